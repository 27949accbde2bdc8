/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the registration client (src/mds/mds-client.h) against a fake service on a
 * unix socket of its own: the request it sends, the status it reads, its errors; and the
 * pod's record of its registration (mds-registered.h).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fs-util.h"
#include "mds-client.h"
#include "mds-registered.h"
#include "process-util.h"
#include "tap.h"

#define BIG_BODY (200u << 10)

struct fake {
        char *dir;
        char *sock;
        char *capture; /* the request as the fake received it */
        pid_t pid;
};

/* Runs in: the fake. Reads one request (headers and Content-Length bytes) into buf. */
static size_t read_request(int fd, char *buf, size_t max)
{
        size_t n = 0;
        ssize_t k;

        while (n < max && (k = read(fd, buf + n, max - n)) > 0) {
                const char *end, *cl;
                n += (size_t)k;
                buf[n] = '\0';
                end = strstr(buf, "\r\n\r\n");
                if (!end)
                        continue;
                cl = strcasestr(buf, "\r\nContent-Length: ");
                if (!cl || cl > end || (size_t)(end + 4 - buf) + strtoul(cl + 18, NULL, 10) <= n)
                        break;
        }
        return n;
}

/* Runs in: the fake. One connection: the request into f->capture, then reply (NULL: none),
 * then big extra bytes of body. */
_noreturn_ static void serve_one(const struct fake *f, int lfd, const char *reply, size_t big)
{
        static char buf[1 << 16];
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        size_t n;

        if (c < 0)
                _exit(1);
        n = read_request(c, buf, sizeof(buf) - 1);
        (void)write_file_replace_at(AT_FDCWD, f->capture, buf, n, 0644, 0);
        if (reply && write_full(c, reply, strlen(reply)) < 0)
                _exit(2);
        for (size_t i = 0; reply && i < big; i += 1024)
                if (write_full(c, buf, 1024) < 0)
                        _exit(0); /* the client stopped reading */
        _exit(0);
}

static void fake_start(struct fake *f, const char *reply, size_t big)
{
        union {
                struct sockaddr sa;
                struct sockaddr_un un;
        } addr = {.un = {.sun_family = AF_UNIX}};
        int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        f->dir = xstrdup("/tmp/test-mds-client-XXXXXX");
        ASSERT_NOT_NULL(mkdtemp(f->dir));
        f->sock = xasprintf("%s/sock", f->dir);
        f->capture = xasprintf("%s/request", f->dir);
        strcpy(addr.un.sun_path, f->sock);
        ASSERT_TRUE(lfd >= 0);
        ASSERT_OK(bind(lfd, &addr.sa, sizeof(addr.un)));
        ASSERT_OK(listen(lfd, 4));
        if (safe_fork("fake service", FORK_DEATHSIG_SIGKILL, &f->pid) == 0)
                serve_one(f, lfd, reply, big);
        close(lfd);
}

/* Waits for the fake; returns the request it read (malloc'd). */
static char *fake_done(struct fake *f)
{
        char *req = NULL;

        ASSERT_OK(wait_for_pid(f->pid, NULL));
        ASSERT_OK(read_file_at(AT_FDCWD, f->capture, 1 << 20, &req, NULL));
        rm_rf_at(AT_FDCWD, f->dir);
        free(f->dir);
        free(f->sock);
        free(f->capture);
        return req;
}

TEST(put_sends_the_body_and_reads_the_status)
{
        struct fake f;
        struct rk_error *e = NULL;
        unsigned status = 0;
        _cleanup_free_ char *req = NULL;

        fake_start(&f, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
        ASSERT_OK(mds_client_request_at(f.sock, "PUT", "/pods/u?token=t", "{\"a\":1}", 7, 1,
                                        &status, &e));
        req = fake_done(&f);
        ASSERT_EQ(status, 200);
        ASSERT_TRUE(strncmp(req, "PUT /pods/u?token=t HTTP/1.1\r\n", 30) == 0);
        ASSERT_CONTAINS(req, "\r\nContent-Type: application/json\r\n");
        ASSERT_CONTAINS(req, "\r\nContent-Length: 7\r\n");
        ASSERT_CONTAINS(req, "\r\n\r\n{\"a\":1}");
        ASSERT_EQ(strlen(strstr(req, "\r\n\r\n")), 4 + 7);
}

TEST(delete_reads_an_error_status)
{
        struct fake f;
        struct rk_error *e = NULL;
        unsigned status = 0;
        _cleanup_free_ char *req = NULL;

        fake_start(&f,
                   "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                   "Content-Length: 13\r\n\r\npod not found",
                   0);
        ASSERT_OK(mds_client_request_at(f.sock, "DELETE", "/pods/u", NULL, 0, 1, &status, &e));
        req = fake_done(&f);
        ASSERT_EQ(status, 404);
        ASSERT_TRUE(strncmp(req, "DELETE /pods/u HTTP/1.1\r\n", 25) == 0);
}

TEST(a_long_answer_is_read_for_its_status)
{
        struct fake f;
        struct rk_error *e = NULL;
        unsigned status = 0;

        fake_start(&f, "HTTP/1.1 200 OK\r\nContent-Length: 204800\r\n\r\n", BIG_BODY);
        ASSERT_OK(mds_client_request_at(f.sock, "PUT", "/pods/u", "{}", 2, 1, &status, &e));
        free(fake_done(&f));
        ASSERT_EQ(status, 200);
}

TEST(no_service_is_unreachable)
{
        struct rk_error *e = NULL;
        unsigned status = 0;

        ASSERT_ERRNO(mds_client_request_at("/nonexistent/sock", "PUT", "/pods/u", "{}", 2, 1,
                                           &status, &e),
                     ENOENT);
        ASSERT_STREQ(rk_error_cause(e), MDS_UNREACHABLE_TEXT);
        rk_error_free(e);
}

TEST(an_answer_that_is_not_http_is_an_error)
{
        struct fake f;
        struct rk_error *e = NULL;
        unsigned status = 0;

        fake_start(&f, "hello there\r\n\r\n", 0);
        ASSERT_ERRNO(mds_client_request_at(f.sock, "PUT", "/pods/u", "{}", 2, 1, &status, &e),
                     EBADMSG);
        free(fake_done(&f));
        ASSERT_STREQ(rk_error_cause(e), "PUT /pods/u failed: Bad message");
        rk_error_free(e);
}

TEST(no_answer_is_an_error)
{
        struct fake f;
        struct rk_error *e = NULL;
        unsigned status = 0;

        fake_start(&f, NULL, 0);
        ASSERT_ERRNO(mds_client_request_at(f.sock, "DELETE", "/pods/u", NULL, 0, 1, &status, &e),
                     EBADMSG);
        free(fake_done(&f));
        ASSERT_STREQ(rk_error_cause(e), "DELETE /pods/u failed: Bad message");
        rk_error_free(e);
}

TEST(registration_record)
{
        _cleanup_free_ char *dir = xstrdup("/tmp/test-mds-registered-XXXXXX"), *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        ASSERT_NOT_NULL(mkdtemp(dir));
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_FALSE(mds_registered_is_marked(fd));
        ASSERT_OK(mds_registered_mark(fd));
        ASSERT_TRUE(mds_registered_is_marked(fd));
        ASSERT_OK(fstatat(fd, MDS_REGISTERED_FILE, &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0640 && st.st_size == 0);
        ASSERT_OK(mds_registered_mark(fd)); /* again: still one empty file */
        ASSERT_OK(read_file_at(fd, MDS_REGISTERED_FILE, 16, &text, NULL));
        ASSERT_STREQ(text, "");
        rm_rf_at(AT_FDCWD, dir);
}

TAP_MAIN
