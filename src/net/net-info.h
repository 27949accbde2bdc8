/* SPDX-License-Identifier: Apache-2.0 */
/*
 * P/net-info.json (SPEC.md §6.3): the record of a pod's networks, a JSON array with one
 * object per network in the order they were added. The stage1's network setup writes it
 * before each step, teardown (run and gc entrypoints) replays it, list and status show it.
 * The members are rkt's netinfo.NetInfo ones (what `rkt status --format=json` prints), then
 * ours that teardown needs to repeat the setup's plugin calls.
 *
 * Runs in: the stage1 run and gc entrypoints (reading and writing, as root) and stage0
 * (reading).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define NET_INFO_FILE "net-info.json"

struct net_info_entry {
        /* rkt's */
        char *net_name;    /* "netName" */
        char *net_conf;    /* "netConf": the copy of the definition, P/net/<file> */
        char *plugin_path; /* "pluginPath": the plugin of a single-plugin definition, or "" */
        char *if_name;     /* "ifName": eth<i> */
        char *ip;          /* "ip": the pod's address, "" until the ADD returned */
        char *args;        /* "args": its CNI_ARGS */
        char *mask;        /* "mask": the prefix as Go's net.IPMask marshals (base64) */
        /* ours */
        char *cni_path;        /* "cniPath": the plugin search path (CNI_PATH) */
        bool list;             /* "list": a .conflist chain */
        json_t *port_mappings; /* "portMappings": what the list's own portmap plugin got */
        json_t *result;        /* "result": the ADD's result */
        char *portmap_conf;    /* "portmapConf": P/net/<name>.portmap.json */
};

struct net_info {
        struct net_info_entry *entries;
        size_t n;
};

/* Appends a zeroed entry to info; returns it (valid until the next append). */
struct net_info_entry *net_info_append(struct net_info *info);

/*
 * Writes info as P/net-info.json below poddirfd (replacing it atomically for readers, 0644,
 * not synced: after a reboot the namespaces it names are gone anyway). Returns 0 or -errno.
 */
int net_info_write(int poddirfd, const struct net_info *info);

/*
 * Reads P/net-info.json below poddirfd into *ret (free with net_info_done()). Returns 0,
 * -ENOENT when there is none (or it cannot be read), -EINVAL when it is not such a record.
 */
int net_info_read(int poddirfd, struct net_info *ret);

void net_info_done(struct net_info *info);

/* info as rkt's status showed it: an array of objects with rkt's members only. */
json_t *net_info_to_rkt_json(const struct net_info *info);
