/* SPDX-License-Identifier: Apache-2.0 */
/* The missing piece of a program that cannot be loaded (see elf-check.h). Runs in: the app
 * child, inside the app's root, before execve. */
#include "elf-check.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"
#include "root-path.h"
#include "strv.h"

#define MAX_PHDRS   256
#define MAX_DYN     4096
#define MAX_STRTAB  (1u << 20)
#define MAX_CONFIG  (1u << 20)
#define MAX_INCLUDE 8

/* The file's bytes [off, off+len) into buf; 0 or -1 when they are not all there. */
static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
        ssize_t n = pread(fd, buf, len, (off_t)off);

        return n == (ssize_t)len ? 0 : -1;
}

/* Opens path read-only when it is a regular file (never a FIFO or device of the image). */
static int open_regular(const char *path)
{
        _cleanup_close_ int pfd = open(path, O_PATH | O_CLOEXEC);

        return pfd < 0 ? -1 : fd_reopen_regular(pfd, O_RDONLY);
}

/* The whole of the regular file open at fd, at most max bytes. */
static int read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
        char buf[FD_PATH_MAX];

        return read_file_at(AT_FDCWD, fd_path(fd, buf), max, ret, ret_len);
}

static bool exists(const char *path)
{
        return access(path, F_OK) == 0;
}

struct elf_info {
        char *interp;
        char **needed;
        char *rpath, *runpath;
};

static void elf_info_done(struct elf_info *e)
{
        free(e->interp);
        strv_free(e->needed);
        free(e->rpath);
        free(e->runpath);
}

/* The file offset of the virtual address addr (a PT_LOAD segment's data), or -1. */
static int64_t vaddr_to_off(const Elf64_Phdr *ph, size_t n, uint64_t addr)
{
        for (size_t i = 0; i < n; i++)
                if (ph[i].p_type == PT_LOAD && addr >= ph[i].p_vaddr &&
                    addr - ph[i].p_vaddr < ph[i].p_filesz)
                        return (int64_t)(ph[i].p_offset + (addr - ph[i].p_vaddr));
        return -1;
}

static char *strtab_get(const char *tab, uint64_t size, uint64_t off)
{
        if (off >= size || !memchr(tab + off, '\0', size - off))
                return NULL;
        return xstrdup(tab + off);
}

/* DT_NEEDED, DT_RPATH and DT_RUNPATH of the PT_DYNAMIC segment dyn. */
static int read_dynamic(int fd, const Elf64_Phdr *ph, size_t n, const Elf64_Phdr *dyn,
                        struct elf_info *e)
{
        size_t count = MIN(dyn->p_filesz / sizeof(Elf64_Dyn), (uint64_t)MAX_DYN);
        _cleanup_free_ Elf64_Dyn *d = xnew0(Elf64_Dyn, count + 1);
        _cleanup_free_ char *tab = NULL;
        uint64_t strtab = 0, strsz = 0;
        int64_t off;

        if (read_at(fd, d, count * sizeof(Elf64_Dyn), dyn->p_offset) < 0)
                return -1;
        for (size_t i = 0; i < count && d[i].d_tag != DT_NULL; i++) {
                if (d[i].d_tag == DT_STRTAB)
                        strtab = d[i].d_un.d_ptr;
                else if (d[i].d_tag == DT_STRSZ)
                        strsz = d[i].d_un.d_val;
        }
        off = vaddr_to_off(ph, n, strtab);
        if (off < 0 || strsz == 0 || strsz > MAX_STRTAB)
                return -1;
        tab = oom_check(malloc(strsz));
        if (read_at(fd, tab, strsz, (uint64_t)off) < 0)
                return -1;
        for (size_t i = 0; i < count && d[i].d_tag != DT_NULL; i++) {
                char *s = NULL;
                if (d[i].d_tag == DT_NEEDED || d[i].d_tag == DT_RPATH || d[i].d_tag == DT_RUNPATH)
                        s = strtab_get(tab, strsz, d[i].d_un.d_val);
                if (!s)
                        continue;
                if (d[i].d_tag == DT_NEEDED)
                        strv_consume(&e->needed, s);
                else if (d[i].d_tag == DT_RPATH)
                        free(e->rpath), e->rpath = s;
                else
                        free(e->runpath), e->runpath = s;
        }
        return 0;
}

/* The interpreter and dynamic entries of a 64-bit little-endian ELF file; -1 otherwise. */
static int elf_read(int fd, struct elf_info *e)
{
        Elf64_Ehdr h;
        _cleanup_free_ Elf64_Phdr *ph = NULL;
        const Elf64_Phdr *dyn = NULL;

        if (read_at(fd, &h, sizeof(h), 0) < 0 || memcmp(h.e_ident, ELFMAG, SELFMAG) != 0 ||
            h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_ident[EI_DATA] != ELFDATA2LSB ||
            h.e_phentsize != sizeof(Elf64_Phdr) || h.e_phnum == 0 || h.e_phnum > MAX_PHDRS)
                return -1;
        ph = xnew0(Elf64_Phdr, h.e_phnum);
        if (read_at(fd, ph, h.e_phnum * sizeof(Elf64_Phdr), h.e_phoff) < 0)
                return -1;
        for (size_t i = 0; i < h.e_phnum; i++) {
                if (ph[i].p_type == PT_INTERP && !e->interp && ph[i].p_filesz > 1 &&
                    ph[i].p_filesz < 4096) {
                        e->interp = xnew0(char, ph[i].p_filesz + 1);
                        if (read_at(fd, e->interp, ph[i].p_filesz, ph[i].p_offset) < 0)
                                return -1;
                } else if (ph[i].p_type == PT_DYNAMIC) {
                        dyn = &ph[i];
                }
        }
        return dyn ? read_dynamic(fd, ph, h.e_phnum, dyn, e) : 0;
}

/* Adds the directories of a ':'-separated list, $ORIGIN and ${ORIGIN} replaced. */
static void add_dirs(char ***dirs, const char *list, const char *origin)
{
        _cleanup_strv_free_ char **parts = list ? strv_split(list, ':') : NULL;

        STRV_FOREACH(d, parts) {
                const char *rest = NULL;
                if (strncmp(*d, "$ORIGIN", 7) == 0)
                        rest = *d + 7;
                else if (strncmp(*d, "${ORIGIN}", 9) == 0)
                        rest = *d + 9;
                strv_consume(dirs, rest ? xasprintf("%s%s", origin, rest) : xstrdup(*d));
        }
}

/* The directory lines of an ld.so.conf-style file, following "include" globs. */
static void add_conf_dirs(char ***dirs, const char *path, unsigned depth)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        _cleanup_close_ int fd = open_regular(path);

        if (fd < 0 || depth > MAX_INCLUDE || read_fd(fd, MAX_CONFIG, &text, NULL) < 0)
                return;
        lines = strv_split(text, '\n');
        STRV_FOREACH(l, lines) {
                char *s = *l + strspn(*l, " \t");
                s[strcspn(s, "#")] = '\0';
                if (strncmp(s, "include", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
                        glob_t g = {0};
                        if (glob(s + 8 + strspn(s + 8, " \t"), 0, NULL, &g) == 0)
                                for (size_t i = 0; i < g.gl_pathc; i++)
                                        add_conf_dirs(dirs, g.gl_pathv[i], depth + 1);
                        globfree(&g);
                } else if (s[0] == '/') {
                        s[strcspn(s, " \t:=")] = '\0';
                        strv_push(dirs, s);
                }
        }
}

/* Whether ld.so.cache lists a path for name that exists. */
static bool in_ld_cache(const char *name)
{
        _cleanup_close_ int fd = open_regular("/etc/ld.so.cache");
        _cleanup_free_ char *data = NULL;
        size_t len, n = strlen(name);

        if (fd < 0 || read_fd(fd, 16u << 20, &data, &len) < 0)
                return false;
        for (size_t i = 0; i < len;) {
                const char *s = data + i;
                size_t sl = strnlen(s, len - i);
                if (s[0] == '/' && sl > n && s[sl - n - 1] == '/' &&
                    memcmp(s + sl - n, name, n) == 0 && sl < len - i && exists(s))
                        return true;
                i += sl + 1;
        }
        return false;
}

/* Where the loaders look for a library of the program at path (in their order). */
static char **search_dirs(const struct elf_info *e, const char *path, char *const *envp)
{
        _cleanup_free_ char *copy = xstrdup(path);
        const char *origin = dirname(copy);
        char **dirs = NULL;

        if (!e->runpath)
                add_dirs(&dirs, e->rpath, origin);
        for (char *const *v = envp; v && *v; v++)
                if (strncmp(*v, "LD_LIBRARY_PATH=", 16) == 0)
                        add_dirs(&dirs, *v + 16, origin);
        add_dirs(&dirs, e->runpath, origin);
        add_conf_dirs(&dirs, "/etc/ld.so.conf", 0);
        add_conf_dirs(&dirs, "/etc/ld-musl-x86_64.path", 0);
        add_dirs(&dirs,
                 "/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib64:/lib:"
                 "/usr/lib:/usr/local/lib",
                 origin);
        return dirs;
}

static bool library_found(const char *name, char *const *dirs)
{
        if (strchr(name, '/'))
                return exists(name);
        STRV_FOREACH(d, (char **)dirs) {
                _cleanup_free_ char *p = xasprintf("%s/%s", *d, name);
                if (exists(p))
                        return true;
        }
        return in_ld_cache(name);
}

int elf_find_missing(const char *path, char *const *envp, char **ret_missing)
{
        _cleanup_close_ int fd = open_regular(path);
        _cleanup_strv_free_ char **dirs = NULL;
        struct elf_info e = {0};
        int r = 0;

        if (fd < 0 || elf_read(fd, &e) < 0 || !e.interp) {
                elf_info_done(&e);
                return 0; /* static, not ELF, unreadable: nothing to add */
        }
        if (!exists(e.interp)) {
                *ret_missing = TAKE_PTR(e.interp);
                elf_info_done(&e);
                return 1;
        }
        dirs = search_dirs(&e, path, envp);
        STRV_FOREACH(n, e.needed)
                if (!library_found(*n, dirs)) {
                        *ret_missing = xstrdup(*n);
                        r = 1;
                        break;
                }
        elf_info_done(&e);
        return r;
}
