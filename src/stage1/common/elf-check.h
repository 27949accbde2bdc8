/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Why a program cannot be loaded, in rkt's words (SPEC.md §7.5, §11.11 TestDiagnostic): the
 * first of a dynamically linked ELF program's interpreter and needed libraries that is not
 * in the app's root. Runs in: the app child, inside the app's root (after pivot_root),
 * before execve. Every file it reads comes from the image: each is opened O_NONBLOCK, only
 * when regular, and read within fixed bounds.
 */
#pragma once

/*
 * For the program at path (inside the current root), with the app's environment envp
 * (LD_LIBRARY_PATH): returns 1 and the missing interpreter (as its path) or library (as its
 * DT_NEEDED name) in *ret_missing (malloc'd); 0 when nothing is missing or path is not a
 * dynamically linked 64-bit ELF program (a script, a static program, unreadable: the
 * exec says what there is to say). It never reports a library the loader would find: it
 * looks wherever glibc's and musl's loaders do (RPATH/RUNPATH with $ORIGIN,
 * LD_LIBRARY_PATH, ld.so.cache, ld.so.conf, musl's path file and the default directories).
 */
int elf_find_missing(const char *path, char *const *envp, char **ret_missing);
