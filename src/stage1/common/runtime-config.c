/* SPDX-License-Identifier: Apache-2.0 */
/* The P/runtime-config record (see runtime-config.h). Runs in: stage1 entrypoints. */
#include "runtime-config.h"

#include <errno.h>

#include "json-record.h"
#include "json-util.h"

#define MAX_RUNTIME_CONFIG (1u << 20)

#define F(name, type, member, ...) \
        JSON_RECORD_FIELD(name, type, struct stage1_runtime_config, member, __VA_ARGS__)
#define I(name, member) JSON_RECORD_FIELD(name, BOOL, struct stage1_insecure_options, member)

static const struct json_record_field insecure_fields[] = {
        I("DisablePaths", disable_paths),
        I("DisableCapabilities", disable_capabilities),
        I("DisableSeccomp", disable_seccomp),
        {NULL},
};

static const struct json_record_field fields[] = {
        F("MetadataServiceURL", STRING, mds_url),
        F("PrivateUsers", STRING, private_users),
        F("MDSToken", STRING, mds_token),
        F("Hostname", STRING, hostname),
        F("Debug", BOOL, debug),
        F("Mutable", BOOL, mutable_pod),
        F("ResolvConfMode", STRING, resolv_conf_mode),
        F("EtcHostsMode", STRING, etc_hosts_mode),
        F("NetList", STRV, net_list),
        F("Interactive", BOOL, interactive),
        F("InsecureOptions", OBJECT, insecure, insecure_fields),
        F("IPCMode", STRING, ipc_mode),
        {NULL},
};

int stage1_runtime_config_write(int poddirfd, const struct stage1_runtime_config *c)
{
        _cleanup_json_ json_t *o = json_record_build(fields, c, JSON_RECORD_DISK);

        /* root's: it holds the pod's metadata service token (its identity there) */
        return json_record_write_at(poddirfd, STAGE1_RUNTIME_CONFIG, o, 0600);
}

int stage1_runtime_config_read(int poddirfd, struct stage1_runtime_config *ret)
{
        _cleanup_json_ json_t *o = NULL;
        _cleanup_free_ char *why = NULL;
        int r;

        *ret = (struct stage1_runtime_config){0};
        r = json_record_load_at(poddirfd, STAGE1_RUNTIME_CONFIG, MAX_RUNTIME_CONFIG, &o);
        if (r < 0)
                return r;
        if (json_record_parse(fields, o, NULL, ret, &why) < 0) {
                stage1_runtime_config_done(ret);
                return -EINVAL;
        }
        return 0;
}

void stage1_runtime_config_done(struct stage1_runtime_config *c)
{
        json_record_done(fields, c);
}
