// SPDX-License-Identifier: Apache-2.0
/*
 * inspect, the static test payload: declarations shared by its source files.
 * runs in: the app (stage2) of a test pod, a stub stage1, or the host (libc only).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit status of the helper's own errors, as rkt's inspect helper. */
#define EXIT_HELPER_ERROR 254

/* Flags that are settings rather than actions: applied wherever they appear. */
struct inspect_settings {
        int exit_code;
        const char *suffix_msg;
        const char *file_name;
        const char *content;
        const char *serve_body;
        int serve_timeout;
        int serve_count;
        const char *argv0;
};

extern struct inspect_settings settings;

/* test-init-util.c: output, errors and file helpers */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
const char *go_strerror(int err);
void print_quoted(FILE *f, const char *s);
void die_file(const char *what, const char *name, const char *op, int err);
int parse_int(const char *flag, const char *s);
int read_all(const char *path, char **ret, size_t *ret_len, const char **ret_op);
void cat_file(const char *path);
void chomp(char *s);
void write_all_fd(int fd, const char *p, size_t n);
void sleep_seconds(int s);

/* test-init-sys.c: cgroups, namespaces and network */
void do_print_memory_limit(void);
void do_print_cpu(bool quota);
void do_check_cgroups(void);
void print_ns(const char *label, const char *ns);
void do_print_all_ns(void);
void do_check_mountns(void);
void do_print_ipv4(const char *iface);
void do_print_iface_count(void);
void do_print_gwv4(const char *iface);
void do_serve_http(const char *arg);
char *http_get(const char *url);

/* test-init-probe.c: probes of the pod/host boundary */
void do_escape_probe(const char *mark);
void do_probe_procs(void);
void do_exchange_loop(const char *arg);
void do_try_syscall(const char *name);
void do_probe_keyrings(void);
