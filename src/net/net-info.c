/* SPDX-License-Identifier: Apache-2.0 */
/* The P/net-info.json record (see net-info.h). */
#include "net-info.h"

#include <errno.h>
#include <stdlib.h>

#include "json-record.h"
#include "json-util.h"

#define MAX_NET_INFO (1u << 20)

#define F(name, type, member, ...) \
        JSON_RECORD_FIELD(name, type, struct net_info_entry, member, __VA_ARGS__)

static const struct json_record_field entry_fields[] = {
        F("netName", STRING, net_name),
        F("netConf", STRING, net_conf),
        F("pluginPath", STRING, plugin_path),
        F("ifName", STRING, if_name),
        F("ip", STRING, ip),
        F("args", STRING, args),
        F("mask", STRING, mask),
        F("cniPath", STRING, cni_path, NULL, JSON_RECORD_OURS),
        F("list", BOOL, list, NULL, JSON_RECORD_OURS),
        F("portMappings", JSON, port_mappings, NULL, JSON_RECORD_OURS),
        F("result", JSON, result, NULL, JSON_RECORD_OURS),
        F("portmapConf", STRING, portmap_conf, NULL, JSON_RECORD_OURS),
        {NULL},
};

struct net_info_entry *net_info_append(struct net_info *info)
{
        info->entries = oom_check(reallocarray(info->entries, info->n + 1, sizeof(*info->entries)));
        info->entries[info->n] = (struct net_info_entry){0};
        return &info->entries[info->n++];
}

int net_info_write(int poddirfd, const struct net_info *info)
{
        _cleanup_json_ json_t *a = json_record_build_array(
                entry_fields, info->entries, info->n, sizeof(*info->entries), JSON_RECORD_DISK);

        return json_record_write_at(poddirfd, NET_INFO_FILE, a, 0644);
}

int net_info_read(int poddirfd, struct net_info *ret)
{
        _cleanup_json_ json_t *a = NULL;
        _cleanup_free_ char *why = NULL;
        void *entries;
        int r;

        *ret = (struct net_info){0};
        r = json_record_load_at(poddirfd, NET_INFO_FILE, MAX_NET_INFO, &a);
        if (r < 0)
                return r;
        if (json_record_parse_array(entry_fields, a, sizeof(*ret->entries), &entries, &ret->n,
                                    &why) < 0)
                return -EINVAL;
        ret->entries = entries;
        return 0;
}

void net_info_done(struct net_info *info)
{
        json_record_array_free(entry_fields, info->entries, info->n, sizeof(*info->entries));
        *info = (struct net_info){0};
}

json_t *net_info_to_rkt_json(const struct net_info *info)
{
        return json_record_build_array(entry_fields, info->entries, info->n, sizeof(*info->entries),
                                       JSON_RECORD_RKT);
}
