/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the records the stage1 keeps in the pod directory: P/runtime-config. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs-util.h"
#include "runtime-config.h"
#include "strv.h"
#include "tap.h"

/* P/runtime-config of a pod run with --hostname=cap --net=default,n2:K=V --debug, as the
 * stage1 wrote it before the record had a type. */
#define RUNTIME_CONFIG_BYTES                                                                   \
        "{\"MetadataServiceURL\":\"http://172.16.28.1:18112/0123\",\"PrivateUsers\":\"\","     \
        "\"MDSToken\":\"0123\",\"Hostname\":\"cap\",\"Debug\":true,\"Mutable\":false,"         \
        "\"ResolvConfMode\":\"default\",\"EtcHostsMode\":\"stage0\",\"NetList\":[\"default\"," \
        "\"n2:K=V\"],\"Interactive\":false,\"InsecureOptions\":{\"DisablePaths\":false,"       \
        "\"DisableCapabilities\":true,\"DisableSeccomp\":false},\"IPCMode\":\"auto\"}"

static int pod_dir(char **ret_path)
{
        *ret_path = xstrdup("/tmp/test-stage1-records-XXXXXX");
        ASSERT_NOT_NULL(mkdtemp(*ret_path));
        return open(*ret_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void put(int dirfd, const char *text)
{
        ASSERT_OK(write_file_replace_at(dirfd, STAGE1_RUNTIME_CONFIG, text, strlen(text), 0644, 0));
}

TEST(runtime_config_reads_and_writes_the_same_bytes)
{
        _cleanup_free_ char *dir = NULL, *bytes = NULL;
        _cleanup_close_ int fd = pod_dir(&dir);
        struct stage1_runtime_config c;

        put(fd, RUNTIME_CONFIG_BYTES);
        ASSERT_OK(stage1_runtime_config_read(fd, &c));
        ASSERT_STREQ(c.hostname, "cap");
        ASSERT_STREQ(c.mds_url, "http://172.16.28.1:18112/0123");
        ASSERT_STREQ(c.etc_hosts_mode, "stage0");
        ASSERT_TRUE(c.debug && !c.mutable_pod && !c.interactive);
        ASSERT_TRUE(c.insecure.disable_capabilities && !c.insecure.disable_paths);
        ASSERT_EQ(strv_length(c.net_list), 2);
        ASSERT_STREQ(c.net_list[1], "n2:K=V");
        ASSERT_OK(unlinkat(fd, STAGE1_RUNTIME_CONFIG, 0));
        ASSERT_OK(stage1_runtime_config_write(fd, &c));
        ASSERT_OK(read_file_at(fd, STAGE1_RUNTIME_CONFIG, 1 << 20, &bytes, NULL));
        ASSERT_STREQ(bytes, RUNTIME_CONFIG_BYTES);
        stage1_runtime_config_done(&c);
        ASSERT_NULL(c.hostname);
        rm_rf_at(AT_FDCWD, dir);
}

TEST(runtime_config_as_rkt_wrote_it)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = pod_dir(&dir);
        struct stage1_runtime_config c;

        /* rkt's stage1 (Go) wrote more members, and a reader matched keys whatever their case */
        put(fd, "{\"insecureoptions\":{\"disablecapabilities\":true},\"Hostname\":\"h\","
                "\"UseOverlay\":true,\"NetList\":null}");
        ASSERT_OK(stage1_runtime_config_read(fd, &c));
        ASSERT_TRUE(c.insecure.disable_capabilities);
        ASSERT_STREQ(c.hostname, "h");
        ASSERT_NULL(c.net_list);
        ASSERT_NULL(c.ipc_mode);
        stage1_runtime_config_done(&c);
        rm_rf_at(AT_FDCWD, dir);
}

TEST(runtime_config_absent_or_not_a_record)
{
        static const char *const bad[] = {"[]",
                                          "{\"Debug\":\"yes\"}",
                                          "{\"NetList\":[1]}",
                                          "{\"InsecureOptions\":{\"DisableSeccomp\":1}}",
                                          "{\"Debug\":true,\"debug\":false}",
                                          ""};
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = pod_dir(&dir);
        struct stage1_runtime_config c;

        ASSERT_ERRNO(stage1_runtime_config_read(fd, &c), ENOENT);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                put(fd, bad[i]);
                ASSERT_ERRNO(stage1_runtime_config_read(fd, &c), EINVAL);
                ASSERT_NULL(c.hostname);
        }
        rm_rf_at(AT_FDCWD, dir);
}

TAP_MAIN
