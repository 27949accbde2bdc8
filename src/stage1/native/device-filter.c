/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup v2 device filter (see device-filter.h). Runs in: stage1 host side. */
#include "device-filter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "missing-syscall.h"

/* One rule; type 0 means every type, major/minor -1 every number. */
struct dev_rule {
        int type; /* BPF_DEVCG_DEV_CHAR, BPF_DEVCG_DEV_BLOCK or 0 */
        long major;
        long minor;
        unsigned access; /* BPF_DEVCG_ACC_* bits */
};

struct prog {
        struct bpf_insn *insns;
        size_t n;
};

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        p->insns = oom_check(realloc(p->insns, (p->n + 1) * sizeof(*p->insns)));
        p->insns[p->n++] = (struct bpf_insn){
                .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* "*" or a decimal number up to 2^20 (minors are 20 bits wide). */
static const char *parse_num(const char *s, long *ret)
{
        char *end;

        if (*s == '*') {
                *ret = -1;
                return s + 1;
        }
        if (*s < '0' || *s > '9')
                return NULL;
        errno = 0;
        *ret = strtol(s, &end, 10);
        return errno || *ret > (1L << 20) ? NULL : end;
}

static unsigned parse_access(const char *s)
{
        unsigned acc = 0;

        for (; *s; s++)
                switch (*s) {
                case 'r':
                        acc |= BPF_DEVCG_ACC_READ;
                        break;
                case 'w':
                        acc |= BPF_DEVCG_ACC_WRITE;
                        break;
                case 'm':
                        acc |= BPF_DEVCG_ACC_MKNOD;
                        break;
                default:
                        return 0;
                }
        return acc;
}

/* "<a|b|c> <major>:<minor> <rwm>", or "a" alone (everything). Returns 0 or -EINVAL. */
static int parse_rule(const char *s, struct dev_rule *ret)
{
        struct dev_rule r = {.major = -1, .minor = -1, .access = ACC_ALL};

        switch (s[0]) {
        case 'a':
                break;
        case 'b':
                r.type = BPF_DEVCG_DEV_BLOCK;
                break;
        case 'c':
                r.type = BPF_DEVCG_DEV_CHAR;
                break;
        default:
                return -EINVAL;
        }
        if (s[1] == '\0' && s[0] == 'a') {
                *ret = r;
                return 0;
        }
        if (s[1] != ' ' || !(s = parse_num(s + 2, &r.major)) || *s != ':' ||
            !(s = parse_num(s + 1, &r.minor)) || *s != ' ' || !(r.access = parse_access(s + 1)))
                return -EINVAL;
        *ret = r;
        return 0;
}

/*
 * Registers on entry (see bpf_cgroup_dev_ctx): r2 = device type, r3 = requested access,
 * r4 = major, r5 = minor.
 */
static void emit_prologue(struct prog *p)
{
        emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
        emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
        emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
        emit(p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
        emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
        emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
}

/*
 * Jumps to the next rule unless src == imm. The comparison is made on a scratch register
 * (w1 = src ^ imm) so that the verifier learns nothing about r2-r5 on either branch: every
 * path into the next rule then has the same state and is pruned after the first one (with
 * direct compares the states multiply and loading takes ~6x longer).
 */
static void emit_jne_next(struct prog *p, uint8_t src, int32_t imm, int16_t off)
{
        emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, src, 0, 0);
        emit(p, BPF_ALU | BPF_XOR | BPF_K, BPF_REG_1, 0, 0, imm);
        emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, off, 0);
}

/* Returns 1 (allow) when the device matches r and the access is a subset of r's. */
static void emit_rule(struct prog *p, const struct dev_rule *r)
{
        int len = 2 +
                  3 * ((r->type != 0) + (r->access != ACC_ALL) + (r->major >= 0) + (r->minor >= 0));
        size_t start = p->n;
#define TO_NEXT ((int16_t)(len - (int)(p->n - start) - 3))

        if (r->type)
                emit_jne_next(p, BPF_REG_2, r->type, TO_NEXT);
        if (r->access != ACC_ALL) {
                /* w1 = access & ~allowed */
                emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
                emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t)~r->access);
                emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, TO_NEXT + 2, 0);
        }
        if (r->major >= 0)
                emit_jne_next(p, BPF_REG_4, (int32_t)r->major, TO_NEXT);
        if (r->minor >= 0)
                emit_jne_next(p, BPF_REG_5, (int32_t)r->minor, TO_NEXT);
#undef TO_NEXT
        emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static int prog_build(char *const *rules, struct prog *p)
{
        emit_prologue(p);
        for (char *const *s = rules; s && *s; s++) {
                struct dev_rule r;
                if (parse_rule(*s, &r) < 0)
                        return -EINVAL;
                emit_rule(p, &r);
                if (!r.type && r.access == ACC_ALL && r.major < 0 && r.minor < 0)
                        return 0; /* allows everything: the rest would be unreachable */
        }
        emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        return 0;
}

int device_filter_load(char *const *rules, int *ret_fd)
{
        struct prog p = {0};
        union bpf_attr attr;
        int r, fd;

        r = prog_build(rules, &p);
        if (r < 0) {
                free(p.insns);
                return r;
        }
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t)(uintptr_t)p.insns;
        attr.insn_cnt = (uint32_t)p.n;
        attr.license = (uint64_t)(uintptr_t) "Apache-2.0";
        memcpy(attr.prog_name, "rkt_devices", sizeof("rkt_devices"));
        fd = sys_bpf(BPF_PROG_LOAD, &attr, sizeof(attr));
        r = fd < 0 ? -errno : 0;
        free(p.insns);
        if (r < 0)
                return r;
        *ret_fd = fd;
        return 0;
}

int device_filter_probe(const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        union bpf_attr attr;

        if (fd < 0)
                return -errno;
        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t)fd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        return RET_NERRNO(sys_bpf(BPF_PROG_QUERY, &attr, sizeof(attr)));
}

int device_filter_attach(int prog_fd, const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        union bpf_attr attr;

        if (fd < 0)
                return -errno;
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)fd;
        attr.attach_bpf_fd = (uint32_t)prog_fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        return RET_NERRNO(sys_bpf(BPF_PROG_ATTACH, &attr, sizeof(attr)));
}
