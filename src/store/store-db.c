/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store index in SQLite (D/cas/db/store.sqlite, WAL): a schema version row, the image
 * table (rkt's aciinfo) and the remote-download cache table (rkt's remote), SPEC.md §6.1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "format-util.h"
#include "fs-util.h"
#include "log.h"
#include "process-util.h"
#include "sha512.h"
#include "store-private.h"
#include "strv.h"
#include "time-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize)

#define STORE_DB_WAL_PAGES 32 /* see store_db_open() */

/* Version 2: the Docker conversion cache. */
#define DOCKER_TABLE_SQL                                                          \
        "CREATE TABLE IF NOT EXISTS dockerremote ("                               \
        "  reference TEXT NOT NULL, digest TEXT NOT NULL, blobkey TEXT NOT NULL," \
        "  downloadtime INTEGER NOT NULL, PRIMARY KEY (reference, digest));"

static const char schema_sql[] =
        "CREATE TABLE IF NOT EXISTS version (version INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS aciinfo ("
        "  blobkey TEXT PRIMARY KEY, name TEXT NOT NULL, version TEXT,"
        "  importtime INTEGER NOT NULL, lastused INTEGER NOT NULL,"
        "  latest INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0,"
        "  treestoresize INTEGER NOT NULL DEFAULT 0);"
        "CREATE INDEX IF NOT EXISTS aciinfo_name ON aciinfo (name);"
        "CREATE TABLE IF NOT EXISTS remote ("
        "  aciurl TEXT PRIMARY KEY, sigurl TEXT, etag TEXT, blobkey TEXT NOT NULL,"
        "  cachemaxage INTEGER NOT NULL DEFAULT 0, downloadtime INTEGER NOT "
        "NULL);" DOCKER_TABLE_SQL;

/* Opens the index store_open_deferred() left closed; the error of that, again, when it failed. */
static int db_ready(struct store *s, struct rk_error **reterr)
{
        if (s->index_deferred) {
                struct rk_error *e = NULL;

                store_db_helper_stop(s);   /* needed now: here */
                s->index_deferred = false; /* store_db_open() uses it */
                if (store_db_open(s, &e) < 0 && s->db)
                        sqlite3_close_v2(TAKE_PTR(s->db));
                s->index_err = e;
        }
        if (!s->index_err)
                return 0;
        *reterr = rk_error_dup(s->index_err);
        return -s->index_err->errnum;
}

static int db_error(struct store *s, struct rk_error **reterr, const char *what)
{
        int code = sqlite3_errcode(s->db);
        int e = code == SQLITE_FULL                              ? ENOSPC
                : code == SQLITE_READONLY                        ? EROFS
                : code == SQLITE_PERM || code == SQLITE_CANTOPEN ? EACCES
                                                                 : EIO;

        return rk_error_set(reterr, e, "store index: %s: %s", what, sqlite3_errmsg(s->db));
}

static int db_exec(struct store *s, const char *sql, struct rk_error **reterr)
{
        int r = db_ready(s, reterr);

        if (r < 0)
                return r;
        if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
                return db_error(s, reterr, "cannot update");
        return 0;
}

static int db_prepare(struct store *s, const char *sql, sqlite3_stmt **ret,
                      struct rk_error **reterr)
{
        int r = db_ready(s, reterr);

        if (r < 0)
                return r;
        if (sqlite3_prepare_v2(s->db, sql, -1, ret, NULL) != SQLITE_OK)
                return db_error(s, reterr, "cannot query");
        return 0;
}

static int db_check_version(struct store *s, struct rk_error **reterr)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r, version;

        r = db_prepare(s, "SELECT version FROM version", &st, reterr);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW) {
                sqlite3_finalize(TAKE_PTR(st));
                return db_exec(s, "INSERT INTO version VALUES (2)", reterr);
        }
        version = sqlite3_column_int(st, 0);
        sqlite3_finalize(TAKE_PTR(st));
        if (version == 1) /* migration: the tables were created IF NOT EXISTS already */
                return db_exec(s, "UPDATE version SET version = 2", reterr);
        if (version > STORE_DB_VERSION)
                return rk_error_set(reterr, EPROTO,
                                    "current store db version: %d (greater than "
                                    "the current rkt expected version: %d)",
                                    version, STORE_DB_VERSION);
        return 0;
}

/* The schema version recorded in the index, or 0 when it has none yet. */
static int db_read_version(struct store *s)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(s->db, "SELECT version FROM version", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW)
                return 0;
        return sqlite3_column_int(st, 0);
}

/* Creates the tables (once, in one transaction) and checks the version. */
static int db_init_schema(struct store *s, struct rk_error **reterr)
{
        int r;

        if (db_read_version(s) == STORE_DB_VERSION)
                return 0; /* the common case: a read, no write lock */
        if (sqlite3_db_readonly(s->db, "main") != 0)
                return db_check_version(s, reterr);
        (void)sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        r = db_exec(s, "BEGIN IMMEDIATE", reterr);
        if (r >= 0)
                r = db_exec(s, schema_sql, reterr);
        if (r >= 0)
                r = db_check_version(s, reterr);
        if (r < 0) {
                (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        return db_exec(s, "COMMIT", reterr);
}

/*
 * Root only. A member may write the index and turn it out of WAL mode: then SQLite would
 * remove store.sqlite-journal after each write and make it again by name at the next (where
 * a member may have put a hard link since; store_open_index_file() claimed only the one there
 * when we opened the index). Back to WAL mode, else the journal stays (PERSIST).
 */
static void db_keep_journal(struct store *s)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW &&
            strcmp((const char *)sqlite3_column_text(st, 0) ?: "", "wal") == 0)
                return;
        (void)sqlite3_exec(s->db, "PRAGMA journal_mode=PERSIST", NULL, NULL, NULL);
}

int store_db_open(struct store *s, struct rk_error **reterr)
{
        _cleanup_free_ char *path = xasprintf("%s/cas/db/store.sqlite", s->dir);
        mode_t old;
        int r;

        r = store_open_index_file(s, reterr);
        if (r < 0)
                return r;
        old = umask(0007);
        r = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
        if (r != SQLITE_OK) {
                if (s->db)
                        sqlite3_close_v2(TAKE_PTR(s->db));
                r = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL);
        }
        umask(old);
        if (r != SQLITE_OK)
                return rk_error_set(reterr, EACCES, "cannot open the store index %s: %s", path,
                                    s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_busy_timeout(s->db, 60000);
        (void)sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
        /*
         * No checkpoint when a command closes the index (two fsyncs, the WAL and its index
         * removed and made again by the next command: ~2 ms of every command that wrote a
         * row): the WAL is checkpointed as it grows. A crash loses at most the rows not yet
         * written back, as with synchronous=NORMAL before: none of them is needed to read
         * the store's files. The first command to open the index after the last one closed
         * it reads the whole WAL back (its index in store.sqlite-shm is rebuilt), ~3 µs a
         * page: at SQLite's default of 1000 pages that was up to 3 ms of every command, so
         * the WAL is checkpointed at STORE_DB_WAL_PAGES (its fsyncs every ~15 writes).
         */
        (void)sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
        (void)sqlite3_wal_autocheckpoint(s->db, STORE_DB_WAL_PAGES);
        if (geteuid() == 0)
                db_keep_journal(s);
        return db_init_schema(s, reterr);
}

/* store_sync()'s work once the index is open: unverified checked, touched recorded. */
static int sync_lists(struct store *s, char **unverified, char **touched, struct rk_error **reterr)
{
        int r;

        STRV_FOREACH(k, unverified) {
                struct image_info info = {0};

                r = store_get_image(s, *k, &info, reterr);
                image_info_done(&info);
                if (r == -ENOENT) {
                        *reterr = rk_error_free(*reterr);
                        rk_error_set(reterr, ENOENT, "no image IDs found");
                        return rk_error_wrap(reterr, "could not resolve image \"%s\"", *k);
                }
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(k, touched)
                store_touch_image(s, *k);
        return 0;
}

/* The helper's work, read to the end: the keys of "U <key>" and "T <key>" lines. */
static int helper_read_work(int fd, char ***unverified, char ***touched)
{
        _cleanup_strv_free_ char **lines = NULL;
        _cleanup_free_ char *in = NULL;
        int r;

        r = read_fd_all(fd, 1 << 20, &in, NULL);
        if (r < 0)
                return r;
        lines = strv_split(in, '\n');
        STRV_FOREACH(l, lines)
                if (((*l)[0] == 'U' || (*l)[0] == 'T') && (*l)[1] == ' ' &&
                    store_key_is_valid(*l + 2))
                        strv_push((*l)[0] == 'U' ? unverified : touched, *l + 2);
        return 0;
}

/*
 * The helper of store_open_deferred(). It opens the index, reads its work from the socket
 * until the command shuts its side ("U <key>" lines: IDs to check, "T <key>": last-used times
 * to record), does it and answers: "K" (done), or "O" (the index did not open) or "C" (an ID
 * is not in it) followed by the packed error.
 */
static _noreturn_ void helper_main(struct store *s, int fd)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        _cleanup_strv_free_ char **unverified = NULL, **touched = NULL;
        _cleanup_free_ char *packed = NULL;
        char kind = 'O';
        size_t len = 0;
        int r;

        (void)prctl(PR_SET_NAME, "rkt-index"); /* in ps and perf, not "rkt" */
        r = db_ready(s, &err);
        sched_like_parent(); /* the rest may run wherever rkt may */
        if (helper_read_work(fd, &unverified, &touched) < 0)
                _exit(1);
        if (r >= 0) {
                kind = 'C';
                r = sync_lists(s, unverified, touched, &err);
        }
        if (r < 0)
                packed = rk_error_pack(err, &len);
        if (write_full(fd, r < 0 ? &kind : "K", 1) < 0 || (len && write_full(fd, packed, len) < 0))
                _exit(1);
        /* the answer is whole now, not when our exit has unmapped SQLite (helper_finish()) */
        (void)shutdown(fd, SHUT_WR);
        _exit(0);
}

void store_db_helper_start(struct store *s)
{
        int sv[2], r;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return;
        /* only the store's descriptors: not the lock of a pod the command holds */
        r = safe_fork_full("store-index", NULL, (const int[]){s->dir_fd, s->cas_fd, sv[1]}, 3,
                           FORK_RESET_SIGNALS | FORK_DEATHSIG_SIGKILL | FORK_CLOSE_ALL_FDS, &pid);
        if (r == 0)
                helper_main(s, sv[1]);
        safe_close(sv[1]);
        if (r < 0) {
                safe_close(sv[0]);
                return;
        }
        sched_beside_us(pid);
        s->index_pid = pid;
        s->index_cmd_fd = sv[0];
}

void store_db_helper_stop(struct store *s)
{
        kill_and_wait(&s->index_pid, SIGKILL);
        s->index_cmd_fd = safe_close(s->index_cmd_fd);
}

/* Sends v's keys as lines "<tag> <key>". Returns 0 or -errno. */
static int helper_send(int fd, char tag, char **v)
{
        STRV_FOREACH(k, v) {
                _cleanup_free_ char *line = xasprintf("%c %s\n", tag, *k);
                size_t off = 0, len = strlen(line);

                while (off < len) {
                        ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                return -errno;
                        off += (size_t)n;
                }
        }
        return 0;
}

/*
 * Hands the helper its work and takes its answer (see helper_main()). Returns 1 when the
 * helper answered (its result in *ret, reterr), 0 when it did not (died: the work is ours).
 * A helper that answered has done all its work and only exits: its exit (unmapping SQLite,
 * ~0.3 ms) is not waited for.
 */
static int helper_finish(struct store *s, char **unverified, char **touched, int *ret,
                         struct rk_error **reterr)
{
        _cleanup_close_ int fd = TAKE_FD(s->index_cmd_fd);
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;

        if (helper_send(fd, 'U', unverified) < 0 || helper_send(fd, 'T', touched) < 0 ||
            shutdown(fd, SHUT_WR) < 0 || read_fd_all(fd, 1 << 20, &buf, &n) < 0)
                n = 0;
        if (n == 0 || (buf[0] != 'K' && buf[0] != 'O' && buf[0] != 'C')) {
                kill_and_wait(&s->index_pid, SIGKILL);
                return 0;
        }
        (void)waitpid(s->index_pid, NULL, WNOHANG); /* else reaped after our exit */
        s->index_pid = 0;
        if (buf[0] == 'K') {
                *ret = 0;
                return 1;
        }
        *ret = rk_error_unpack(buf + 1, n - 1, reterr);
        if (buf[0] == 'O' && *ret != -EBADMSG) { /* as db_ready(): again at each later use */
                s->index_deferred = false;
                s->index_err = rk_error_dup(*reterr);
        }
        return 1;
}

void store_forget_deferred(struct store *s)
{
        s->unverified = strv_free(s->unverified);
        s->touched = strv_free(s->touched);
        store_db_helper_stop(s);
}

int store_sync(struct store *s, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **unverified = TAKE_PTR(s->unverified);
        _cleanup_strv_free_ char **touched = TAKE_PTR(s->touched);
        int r;

        if (s->index_pid > 0 && !unverified && !touched)
                store_db_helper_stop(s); /* nothing for it: its open is not waited for */
        if (s->index_pid > 0 && helper_finish(s, unverified, touched, &r, reterr) > 0)
                return r;
        if (s->index_deferred && !unverified && !touched)
                return 0; /* nothing waits for the index */
        r = db_ready(s, reterr);
        if (r < 0)
                return r;
        return sync_lists(s, unverified, touched, reterr);
}

static char *column_strdup(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);

        return t ? xstrdup((const char *)t) : NULL;
}

static void row_to_info(sqlite3_stmt *st, struct image_info *i)
{
        i->key = column_strdup(st, 0);
        i->name = column_strdup(st, 1);
        i->version = column_strdup(st, 2);
        i->import_time = sqlite3_column_int64(st, 3);
        i->last_used = sqlite3_column_int64(st, 4);
        i->latest = sqlite3_column_int(st, 5) != 0;
        i->size = (uint64_t)sqlite3_column_int64(st, 6);
        i->tree_size = (uint64_t)sqlite3_column_int64(st, 7);
}

#define INFO_COLUMNS "blobkey, name, version, importtime, lastused, latest, size, treestoresize"

int store_list_images(struct store *s, struct image_info **ret, size_t *ret_n,
                      struct rk_error **reterr)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        struct image_info *v = NULL;
        size_t n = 0;
        int r;

        r = db_prepare(s, "SELECT " INFO_COLUMNS " FROM aciinfo", &st, reterr);
        if (r < 0)
                return r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                v = oom_check(realloc(v, (n + 1) * sizeof(*v)));
                row_to_info(st, &v[n++]);
        }
        if (r != SQLITE_DONE) {
                image_infos_free(v, n);
                return db_error(s, reterr, "cannot list images");
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int store_get_image(struct store *s, const char *key, struct image_info *ret,
                    struct rk_error **reterr)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r;

        r = db_prepare(s, "SELECT " INFO_COLUMNS " FROM aciinfo WHERE blobkey = ?", &st, reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return rk_error_set(reterr, ENOENT, "no image with ID %s in the store", key);
        if (r != SQLITE_ROW)
                return db_error(s, reterr, "cannot read image");
        row_to_info(st, ret);
        return 0;
}

void store_touch_image(struct store *s, const char *key)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        _cleanup_(rk_error_freep) struct rk_error *ignored = NULL;

        if (s->index_deferred) {
                if (!strv_contains(s->touched, key)) /* one update each */
                        strv_push(&s->touched, key); /* store_sync() */
                return;
        }
        if (db_prepare(s, "UPDATE aciinfo SET lastused = ? WHERE blobkey = ?", &st, &ignored) < 0)
                return;
        sqlite3_bind_int64(st, 1, now_ns());
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                log_debug("cannot update last-used time of %s: %s", key, sqlite3_errmsg(s->db));
}

int store_db_upsert_image(struct store *s, const struct image_info *i, struct rk_error **reterr)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r;

        r = db_prepare(s,
                       "INSERT INTO aciinfo (" INFO_COLUMNS ") VALUES (?,?,?,?,?,?,?,0) "
                       "ON CONFLICT(blobkey) DO UPDATE SET importtime = excluded.importtime, "
                       "lastused = excluded.lastused, latest = excluded.latest",
                       &st, reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, i->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, i->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, i->version, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, i->import_time ? i->import_time : now_ns());
        sqlite3_bind_int64(st, 5, i->last_used ? i->last_used : now_ns());
        sqlite3_bind_int(st, 6, i->latest);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)i->size);
        if (sqlite3_step(st) != SQLITE_DONE)
                return db_error(s, reterr, "cannot record image");
        return 0;
}

int store_db_delete_image(struct store *s, const char *key, struct rk_error **reterr)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *a = NULL, *b = NULL, *c = NULL;
        int r;

        r = db_prepare(s, "DELETE FROM aciinfo WHERE blobkey = ?", &a, reterr);
        if (r >= 0)
                r = db_prepare(s, "DELETE FROM remote WHERE blobkey = ?", &b, reterr);
        if (r >= 0)
                r = db_prepare(s, "DELETE FROM dockerremote WHERE blobkey = ?", &c, reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(a, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(b, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(c, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(a) != SQLITE_DONE || sqlite3_step(b) != SQLITE_DONE ||
            sqlite3_step(c) != SQLITE_DONE)
                return db_error(s, reterr, "cannot remove image");
        return 0;
}

int store_db_set_tree_size(struct store *s, const char *key, uint64_t size)
{
        static const char sql[] = "UPDATE aciinfo SET treestoresize = ? WHERE blobkey = ?";
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        _cleanup_(rk_error_freep) struct rk_error *ignored = NULL;

        if (db_prepare(s, sql, &st, &ignored) < 0)
                return -EIO;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        return sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
}

int store_db_keys_with_prefix(struct store *s, const char *prefix, char ***ret,
                              struct rk_error **reterr)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        _cleanup_strv_free_ char **keys = NULL;
        size_t len = strlen(prefix);
        int r;

        r = db_prepare(s, "SELECT blobkey FROM aciinfo WHERE substr(blobkey, 1, ?) = ?", &st,
                       reterr);
        if (r < 0)
                return r;
        sqlite3_bind_int(st, 1, (int)len);
        sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
                strv_push(&keys, (const char *)sqlite3_column_text(st, 0));
        if (r != SQLITE_DONE)
                return db_error(s, reterr, "cannot look up image IDs");
        *ret = TAKE_PTR(keys);
        return 0;
}

/*
 * Root's own copy of the remote caches, D/cas/rootcache/<digest of table, a, b>: the index
 * rows are written by members of group rkt too, and a row pointing a file, a URL or a Docker
 * manifest root fetched before at another image (one root imported, even, such as a hostile
 * app's) must never stand for it. Root reads only these files, which only root writes.
 */
static char *rootcache_name(const char *table, const char *a, const char *b)
{
        struct sha512 md; /* short input: not libcrypto, which `rkt run` would load for it */
        uint8_t digest[SHA512_DIGEST_SIZE];
        char hex[2 * SHA512_DIGEST_SIZE + 1];

        sha512_init(&md);
        sha512_update(&md, table, strlen(table) + 1);
        sha512_update(&md, a, strlen(a) + 1);
        if (b)
                sha512_update(&md, b, strlen(b) + 1);
        sha512_final(&md, digest);
        hex_encode(digest, STORE_KEY_HEX / 2, hex);
        return xasprintf("rootcache/%s", hex);
}

static int rootcache_get(struct store *s, const char *table, const char *a, const char *b,
                         char **ret_key)
{
        _cleanup_free_ char *name = rootcache_name(table, a, b), *key = NULL;
        int r = read_regular_file_at(s->cas_fd, name, 4096, &key, NULL);

        if (r < 0)
                return r;
        if (!store_key_is_valid(key))
                return -EINVAL;
        *ret_key = TAKE_PTR(key);
        return 0;
}

static void rootcache_put(struct store *s, const char *table, const char *a, const char *b,
                          const char *key)
{
        _cleanup_free_ char *name = rootcache_name(table, a, b);

        if (write_file_atomic_at(s->cas_fd, name, key, strlen(key), 0600) < 0)
                log_debug("cannot record %s in %s/cas/rootcache: %m", a, s->dir);
}

/* The blob key of the first row of a one-column query bound to texts a and b (b may be
 * NULL) -- for root, of its own record of the row (rootcache_get()) -- when that image is
 * still in the store. */
static int db_lookup_key(struct store *s, const char *table, const char *sql, const char *a,
                         const char *b, char **ret_key, struct rk_error **reterr)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        struct image_info info = {0};
        _cleanup_free_ char *key = NULL;
        int r;

        if (geteuid() == 0) {
                if (rootcache_get(s, table, a, b, &key) < 0)
                        return rk_error_set(reterr, ENOENT, "no image was fetched from %s", a);
        } else {
                r = db_prepare(s, sql, &st, reterr);
                if (r < 0)
                        return r;
                sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
                if (b)
                        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
                r = sqlite3_step(st);
                if (r == SQLITE_DONE)
                        return rk_error_set(reterr, ENOENT, "no image was fetched from %s", a);
                if (r != SQLITE_ROW)
                        return db_error(s, reterr, "cannot read the remote cache");
                key = column_strdup(st, 0);
        }
        r = store_get_image(s, key, &info, reterr);
        image_info_done(&info);
        if (r < 0)
                return r;
        *ret_key = TAKE_PTR(key);
        return 0;
}

int store_get_remote(struct store *s, const char *url, char **ret_key, struct rk_error **reterr)
{
        return db_lookup_key(s, "remote", "SELECT blobkey FROM remote WHERE aciurl = ?", url, NULL,
                             ret_key, reterr);
}

int store_get_docker(struct store *s, const char *reference, const char *digest, char **ret_key,
                     struct rk_error **reterr)
{
        return db_lookup_key(s, "dockerremote",
                             "SELECT blobkey FROM dockerremote WHERE reference = ? AND digest = ?",
                             reference, digest, ret_key, reterr);
}

/* Runs an INSERT OR REPLACE bound to texts v[0..n-1] and the time now as ?n+1. */
static int db_put(struct store *s, const char *sql, const char *const *v, int n,
                  struct rk_error **reterr)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r;

        r = db_prepare(s, sql, &st, reterr);
        if (r < 0)
                return r;
        for (int i = 0; i < n; i++)
                sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, n + 1, now_ns());
        if (sqlite3_step(st) != SQLITE_DONE)
                return db_error(s, reterr, "cannot record the remote");
        return 0;
}

int store_put_remote(struct store *s, const char *url, const char *key, struct rk_error **reterr)
{
        if (geteuid() == 0)
                rootcache_put(s, "remote", url, NULL, key);
        return db_put(s,
                      "INSERT OR REPLACE INTO remote (aciurl, blobkey, downloadtime) "
                      "VALUES (?, ?, ?)",
                      (const char *const[]){url, key}, 2, reterr);
}

int store_put_docker(struct store *s, const char *reference, const char *digest, const char *key,
                     struct rk_error **reterr)
{
        if (geteuid() == 0)
                rootcache_put(s, "dockerremote", reference, digest, key);
        return db_put(s,
                      "INSERT OR REPLACE INTO dockerremote (reference, digest, blobkey, "
                      "downloadtime) VALUES (?, ?, ?, ?)",
                      (const char *const[]){reference, digest, key}, 3, reterr);
}

void store_remote_done(struct store_remote *r)
{
        free(r->url);
        free(r->sig_url);
        free(r->etag);
        free(r->key);
        *r = (struct store_remote){0};
}

/*
 * Root's own copy of a remote row's HTTP data (rootcache "remote-http"): its max-age, download
 * time, ETag and signature URL, one a line; a member could otherwise keep root from asking
 * the server again (a forged max-age) for as long as they like.
 */
static void rootcache_put_http(struct store *s, const struct store_remote *rem, int64_t when)
{
        bool etag_ok = rem->etag && !strchr(rem->etag, '\n');
        bool sig_ok = rem->sig_url && !strchr(rem->sig_url, '\n');
        _cleanup_free_ char *name = rootcache_name("remote-http", rem->url, NULL);
        _cleanup_free_ char *text =
                xasprintf("%" PRId64 "\n%" PRId64 "\n%s\n%s\n", rem->max_age, when,
                          etag_ok ? rem->etag : "", sig_ok ? rem->sig_url : "");

        if (write_file_atomic_at(s->cas_fd, name, text, strlen(text), 0600) < 0)
                log_debug("cannot record %s in %s/cas/rootcache: %m", rem->url, s->dir);
}

/* Root's row of url: the image of its own record, the HTTP data of its own (or none). */
static int rootcache_get_remote(struct store *s, const char *url, struct store_remote *ret)
{
        _cleanup_free_ char *name = rootcache_name("remote-http", url, NULL), *text = NULL;
        struct store_remote rem = {.url = xstrdup(url)};
        _cleanup_strv_free_ char **lines = NULL;

        if (rootcache_get(s, "remote", url, NULL, &rem.key) < 0) {
                store_remote_done(&rem);
                return -ENOENT;
        }
        if (read_regular_file_at(s->cas_fd, name, 8192, &text, NULL) >= 0)
                lines = strv_split(text, '\n');
        if (strv_length(lines) >= 4) {
                rem.max_age = strtoll(lines[0], NULL, 10);
                rem.download_time = strtoll(lines[1], NULL, 10);
                rem.etag = *lines[2] ? xstrdup(lines[2]) : NULL;
                rem.sig_url = *lines[3] ? xstrdup(lines[3]) : NULL;
        }
        *ret = rem;
        return 0;
}

int store_get_remote_full(struct store *s, const char *url, struct store_remote *ret,
                          struct rk_error **reterr)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        struct store_remote rem = {0};
        struct image_info info = {0};
        int r;

        if (geteuid() == 0) {
                /* root reads only its own record (see rootcache_name()) */
                if (rootcache_get_remote(s, url, &rem) < 0)
                        return rk_error_set(reterr, ENOENT, "no image was fetched from %s", url);
        } else {
                r = db_prepare(s,
                               "SELECT aciurl, sigurl, etag, blobkey, cachemaxage, downloadtime "
                               "FROM remote WHERE aciurl = ?",
                               &st, reterr);
                if (r < 0)
                        return r;
                sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
                r = sqlite3_step(st);
                if (r == SQLITE_DONE)
                        return rk_error_set(reterr, ENOENT, "no image was fetched from %s", url);
                if (r != SQLITE_ROW)
                        return db_error(s, reterr, "cannot read the remote cache");
                rem = (struct store_remote){
                        .url = column_strdup(st, 0),
                        .sig_url = column_strdup(st, 1),
                        .etag = column_strdup(st, 2),
                        .key = column_strdup(st, 3),
                        .max_age = sqlite3_column_int64(st, 4),
                        .download_time = sqlite3_column_int64(st, 5),
                };
        }
        r = rem.key ? store_get_image(s, rem.key, &info, reterr)
                    : rk_error_set(reterr, ENOENT, "no image was fetched from %s", url);
        image_info_done(&info);
        if (r < 0) {
                store_remote_done(&rem);
                return r;
        }
        *ret = rem;
        return 0;
}

int store_put_remote_full(struct store *s, const struct store_remote *rem, struct rk_error **reterr)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int64_t when = rem->download_time ? rem->download_time : now_ns();
        int r;

        if (geteuid() == 0) {
                rootcache_put(s, "remote", rem->url, NULL, rem->key);
                rootcache_put_http(s, rem, when);
        }
        r = db_prepare(s,
                       "INSERT OR REPLACE INTO remote (aciurl, sigurl, etag, blobkey, "
                       "cachemaxage, downloadtime) VALUES (?, ?, ?, ?, ?, ?)",
                       &st, reterr);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, rem->url, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, rem->sig_url, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, rem->etag, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, rem->key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, rem->max_age);
        sqlite3_bind_int64(st, 6, when);
        if (sqlite3_step(st) != SQLITE_DONE)
                return db_error(s, reterr, "cannot record the remote");
        return 0;
}
