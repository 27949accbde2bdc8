/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image configuration mapped to an ACI image manifest (DOCKER.md §1.5), with the fixes
 * of §1.7: Labels kept on every path, StopSignal carried as an annotation, the group of a
 * user name taken from the image's /etc/passwd, arm variants mapped, the real image ID.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>

#include "docker-image.h"
#include "docker-squash.h"
#include "json-util.h"
#include "strbuf.h"
#include "strv.h"
#include "types.h"

#define PASSWD_MAX   (4 << 20)
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define LINK_HOPS    40

void docker_image_done(struct docker_image *img)
{
        free(img->name);
        free(img->version);
        free(img->original_name);
        free(img->registry);
        free(img->repository);
        free(img->manifest_digest);
        free(img->config_digest);
        json_decref(img->config);
        strv_free(img->layers);
        *img = (struct docker_image){0};
}

static const struct {
        const char *docker, *variant, *aci;
} arch_table[] = {
        {"amd64", NULL, "amd64"}, {"386", NULL, "i386"},        {"arm64", NULL, "aarch64"},
        {"arm", "v7", "armv7l"},  {"arm", "v8", "armv7l"},      {"arm", NULL, "armv6l"},
        {"ppc64", NULL, "ppc64"}, {"ppc64le", NULL, "ppc64le"}, {"s390x", NULL, "s390x"},
};

bool docker_platform_to_aci(const char *os, const char *arch, const char *variant,
                            const char **ret_os, const char **ret_arch)
{
        if (!os || !arch || (strcmp(os, "linux") != 0 && strcmp(os, "freebsd") != 0))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(arch_table); i++) {
                if (strcmp(arch, arch_table[i].docker) != 0)
                        continue;
                if (arch_table[i].variant && (!variant || strcmp(variant, arch_table[i].variant)))
                        continue;
                *ret_os = os;
                *ret_arch = arch_table[i].aci;
                return true;
        }
        return false;
}

void docker_host_platform(const char **ret_arch, const char **ret_variant)
{
        static const struct {
                const char *machine, *arch, *variant;
        } t[] = {{"x86_64", "amd64", NULL}, {"aarch64", "arm64", NULL},
                 {"armv7l", "arm", "v7"},   {"armv6l", "arm", "v6"},
                 {"i686", "386", NULL},     {"ppc64le", "ppc64le", NULL},
                 {"s390x", "s390x", NULL}};
        struct utsname u;

        *ret_arch = "amd64";
        *ret_variant = NULL;
        if (uname(&u) < 0)
                return;
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (strcmp(u.machine, t[i].machine) == 0) {
                        *ret_arch = t[i].arch;
                        *ret_variant = t[i].variant;
                }
}

/* Lowercases s and joins its [a-z0-9] runs with one separator each: the first of the run
 * when it is in seps, else seps[0]. Separators at the ends are dropped. */
static char *sanitise(const char *s, const char *seps)
{
        struct strbuf b = STRBUF_INIT;
        char pending = 0;

        for (; *s; s++) {
                char c = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);

                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                        if (pending && b.len > 0)
                                strbuf_putc(&b, pending);
                        strbuf_putc(&b, c);
                        pending = 0;
                } else if (!pending) {
                        pending = strchr(seps, c) ? c : seps[0];
                }
        }
        return strbuf_detach(&b);
}

/* An AC identifier for s (names), an AC name (ports, volumes) with ac_name. */
static char *sanitise_name(const char *s, bool ac_name)
{
        return sanitise(s, ac_name ? "-" : "-._~/");
}

static json_t *str_array(const json_t *a)
{
        json_t *out = json_array(), *v;
        size_t i;

        json_array_foreach(a, i, v)
                if (json_is_string(v))
                        json_array_append_new(out, json_string(json_string_value(v)));
        return out;
}

static const char *cfg_string(const json_t *cfg, const char *key)
{
        const char *s = json_string_value(json_object_get(cfg, key));

        return s && *s ? s : NULL;
}

/* The gid of user (a name or uid) in the image's /etc/passwd, or NULL. */
static char *passwd_gid(struct squash *sq, const char *user)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL;

        if (squash_read_file(sq, "etc/passwd", PASSWD_MAX, &text) < 0)
                return NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                _cleanup_strv_free_ char **f = strv_split(line, ':');

                if (strv_length(f) >= 4 && (strcmp(f[0], user) == 0 || strcmp(f[2], user) == 0))
                        return xstrdup(f[3]);
        }
        return NULL;
}

/* User "" -> 0:0; "u:g" as given; "u" -> u with its passwd group, 0 for an unknown uid
 * (as Docker), else u (rkt's placeholder that stage1 resolves). As Docker reads it, an
 * empty user part is root and an empty group part is the user's own group (":g" is 0:g,
 * "u:" is "u"). */
static void app_set_user(json_t *app, const json_t *cfg, struct squash *sq)
{
        const char *user = cfg_string(cfg, "User");
        _cleanup_free_ char *u = xstrdup(user ?: "0"), *g = NULL;
        char *colon = strchr(u, ':');

        if (colon) {
                *colon = '\0';
                if (colon[1])
                        g = xstrdup(colon + 1);
        }
        if (!u[0]) {
                free(u);
                u = xstrdup("0");
        }
        if (!g)
                g = passwd_gid(sq, u);
        if (!g)
                g = xstrdup(strspn(u, "0123456789") == strlen(u) ? "0" : u);
        json_object_set_new(app, "user", json_string(u));
        json_object_set_new(app, "group", json_string(g));
}

/* Docker runs a relative program through PATH; appc wants an absolute one. */
static int resolve_exec(json_t *exec, const json_t *cfg, struct squash *sq,
                        struct rk_error **reterr)
{
        const char *prog = json_string_value(json_array_get(exec, 0)), *path = DEFAULT_PATH;
        _cleanup_strv_free_ char **dirs = NULL;
        json_t *v;
        size_t i;

        if (!prog || prog[0] == '/')
                return 0;
        json_array_foreach(json_object_get(cfg, "Env"), i, v)
                if (json_is_string(v) && strncmp(json_string_value(v), "PATH=", 5) == 0)
                        path = json_string_value(v) + 5;
        dirs = strv_split(path, ':');
        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *full = xasprintf("%s/%s", *d, prog);

                if ((*d)[0] == '/' && !strchr(prog, '/') && squash_is_file(sq, full)) {
                        json_array_set_new(exec, 0, json_string(full));
                        return 0;
                }
        }
        return rk_error_set(reterr, ENOENT, "cannot find the program \"%s\" of the image in %s",
                            prog, path);
}

static json_t *app_environment(const json_t *cfg)
{
        json_t *env = json_array(), *v;
        size_t i;

        json_array_foreach(json_object_get(cfg, "Env"), i, v) {
                const char *s = json_string_value(v), *eq = s ? strchr(s, '=') : NULL;

                if (!eq || eq == s)
                        continue;
                json_array_append_new(
                        env, json_pack("{s:s%,s:s}", "name", s, (size_t)(eq - s), "value", eq + 1));
        }
        return env;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keys of obj in byte order. */
static char **sorted_keys(const json_t *obj)
{
        char **keys = NULL;
        const char *k;
        json_t *v;

        json_object_foreach((json_t *)obj, k, v)
                strv_push(&keys, k);
        if (keys)
                qsort(keys, strv_length(keys), sizeof(char *), cmp_str);
        return keys;
}

/* ExposedPorts {"6379/tcp": {}} -> [{"name": "6379-tcp", ...}], sorted by name. */
static json_t *app_ports(const json_t *cfg)
{
        _cleanup_strv_free_ char **keys = sorted_keys(json_object_get(cfg, "ExposedPorts"));
        json_t *ports = json_array();

        STRV_FOREACH(k, keys) {
                _cleanup_free_ char *name = sanitise_name(*k, true);
                const char *slash = strchr(*k, '/'), *proto = slash ? slash + 1 : "tcp";
                char *end;
                unsigned long port = strtoul(*k, &end, 10);

                if (end == *k || (*end && *end != '/') || port == 0 || port > 65535 ||
                    (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
                        continue;
                json_array_append_new(ports, json_pack("{s:s,s:s,s:I,s:i,s:b}", "name", name,
                                                       "protocol", proto, "port", (json_int_t)port,
                                                       "count", 1, "socketActivated", 0));
        }
        return ports;
}

/* Volumes {"/data": {}} -> mount points "volume-data", duplicates "-<n>". */
static json_t *app_mount_points(const json_t *cfg)
{
        _cleanup_strv_free_ char **keys = sorted_keys(json_object_get(cfg, "Volumes"));
        _cleanup_strv_free_ char **seen = NULL;
        json_t *mps = json_array();

        STRV_FOREACH(k, keys) {
                _cleanup_free_ char *raw = xasprintf("volume/%s", *k);
                _cleanup_free_ char *base = sanitise_name(raw, true);
                char *name = xstrdup(base);

                for (int n = 1; strv_contains(seen, name); n++) {
                        free(name);
                        name = xasprintf("%s-%d", base, n);
                }
                if ((*k)[0] != '/') {
                        free(name);
                        continue;
                }
                json_array_append_new(
                        mps, json_pack("{s:s,s:s,s:b}", "name", name, "path", *k, "readOnly", 0));
                strv_consume(&seen, name);
        }
        return mps;
}

static json_t *string_map(const json_t *obj)
{
        _cleanup_strv_free_ char **keys = sorted_keys(obj);
        json_t *m = json_object();

        STRV_FOREACH(k, keys) {
                const char *v = json_string_value(json_object_get(obj, *k));
                if (v)
                        json_object_set_new(m, *k, json_string(v));
        }
        return m;
}

static void set_nonempty(json_t *o, const char *key, json_t *v)
{
        if ((json_is_array(v) && json_array_size(v) == 0) ||
            (json_is_object(v) && json_object_size(v) == 0))
                json_decref(v);
        else
                json_object_set_new(o, key, v);
}

static int app_section(const json_t *cfg, struct squash *sq, json_t **ret, struct rk_error **reterr)
{
        json_t *app = json_object(), *exec = str_array(json_object_get(cfg, "Entrypoint"));
        json_t *cmd = str_array(json_object_get(cfg, "Cmd"));
        int r;

        json_array_extend(exec, cmd);
        json_decref(cmd);
        r = resolve_exec(exec, cfg, sq, reterr);
        json_object_set_new(app, "exec", exec);
        if (r < 0) {
                json_decref(app);
                return r;
        }
        app_set_user(app, cfg, sq);
        set_nonempty(app, "environment", app_environment(cfg));
        if (cfg_string(cfg, "WorkingDir") && cfg_string(cfg, "WorkingDir")[0] == '/')
                json_object_set_new(app, "workingDirectory",
                                    json_string(cfg_string(cfg, "WorkingDir")));
        set_nonempty(app, "mountPoints", app_mount_points(cfg));
        set_nonempty(app, "ports", app_ports(cfg));
        set_nonempty(app, "userLabels", string_map(json_object_get(cfg, "Labels")));
        *ret = app;
        return 0;
}

static void add_annotation(json_t *list, const char *name, const char *value)
{
        if (value && *value)
                json_array_append_new(list, json_pack("{s:s,s:s}", "name", name, "value", value));
}

static void add_json_annotation(json_t *list, const char *name, const json_t *array)
{
        _cleanup_free_ char *text = NULL;

        if (!json_is_array(array) || json_array_size(array) == 0)
                return;
        text = json_dump_go(array, false);
        add_annotation(list, name, text);
}

static json_t *annotations(const struct docker_image *img)
{
        const json_t *cfg = json_object_get(img->config, "config");
        const char *created = json_string_value(json_object_get(img->config, "created"));
        json_t *a = json_array();

        add_annotation(a, "appc.io/docker/originalname", img->original_name);
        add_annotation(a, "appc.io/docker/registryurl", img->registry);
        add_annotation(a, "appc.io/docker/repository", img->repository);
        add_annotation(a, "appc.io/docker/imageid", img->config_digest);
        add_annotation(a, "appc.io/docker/manifesthash", img->manifest_digest);
        add_json_annotation(a, "appc.io/docker/entrypoint", json_object_get(cfg, "Entrypoint"));
        add_json_annotation(a, "appc.io/docker/cmd", json_object_get(cfg, "Cmd"));
        add_annotation(a, "appc.io/docker/stopsignal", cfg_string(cfg, "StopSignal"));
        add_annotation(a, "author", cfg_string(img->config, "author"));
        if (created && strncmp(created, "1970-01-01T00:00:00", 19) != 0)
                add_annotation(a, "created", created);
        return a;
}

static json_t *labels(const struct docker_image *img)
{
        const char *os = NULL, *arch = NULL;
        json_t *l = json_array();

        if (img->version)
                json_array_append_new(
                        l, json_pack("{s:s,s:s}", "name", "version", "value", img->version));
        if (docker_platform_to_aci(cfg_string(img->config, "os"),
                                   cfg_string(img->config, "architecture"),
                                   cfg_string(img->config, "variant"), &os, &arch)) {
                json_array_append_new(l, json_pack("{s:s,s:s}", "name", "os", "value", os));
                json_array_append_new(l, json_pack("{s:s,s:s}", "name", "arch", "value", arch));
        }
        return l;
}

static int aci_manifest(const struct docker_image *img, struct squash *sq, char **ret,
                        struct rk_error **reterr)
{
        _cleanup_free_ char *name = sanitise_name(img->name, false);
        _cleanup_json_ json_t *m = NULL, *none = json_object();
        json_t *app = NULL;
        int r;

        if (!ac_identifier_is_valid(name))
                return rk_error_set(reterr, EINVAL, "cannot make an image name of \"%s\"",
                                    img->name);
        r = app_section(json_object_get(img->config, "config") ?: none, sq, &app, reterr);
        if (r < 0)
                return r;
        m = json_pack("{s:s,s:s,s:s}", "acKind", "ImageManifest", "acVersion", "0.8.11", "name",
                      name);
        set_nonempty(m, "labels", labels(img));
        json_object_set_new(m, "app", app);
        set_nonempty(m, "annotations", annotations(img));
        *ret = json_dump_go(m, false);
        return 0;
}

int docker_image_convert_from(const struct docker_image *img, size_t n_layers,
                              docker_layer_fn next_layer, void *userdata, int tmp_fd, int out_fd,
                              struct rk_error **reterr)
{
        _cleanup_close_ int spool = openat(tmp_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        _cleanup_(squash_freep) struct squash *sq = NULL;
        _cleanup_free_ char *manifest = NULL;
        int r = 0;

        if (spool < 0)
                return rk_error_set_errno(reterr, errno, "cannot create the conversion spool");
        sq = squash_new(spool);
        for (size_t i = 0; i < n_layers; i++) {
                _cleanup_close_ int fd = -EBADF;
                _cleanup_free_ char *what = xasprintf("%zu", i + 1);

                r = next_layer(userdata, i, &fd, reterr);
                if (r >= 0)
                        r = squash_apply_layer(sq, fd, what, reterr);
                if (r < 0)
                        return r;
        }
        r = aci_manifest(img, sq, &manifest, reterr);
        if (r >= 0)
                r = squash_write_aci(sq, manifest, out_fd, reterr);
        return r;
}

static int open_layer_file(void *userdata, size_t i, int *ret_fd, struct rk_error **reterr)
{
        const struct docker_image *img = userdata;
        int fd = open(img->layers[i], O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open layer %s", img->layers[i]);
        *ret_fd = fd;
        return 0;
}

int docker_image_convert(const struct docker_image *img, int tmp_fd, int out_fd,
                         struct rk_error **reterr)
{
        return docker_image_convert_from(img, strv_length(img->layers), open_layer_file,
                                         (void *)img, tmp_fd, out_fd, reterr);
}
