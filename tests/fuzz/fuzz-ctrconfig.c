/* Fuzz target for a container's container.json: the store's parser (storage/container.c),
 * then, for an object, what a start makes of it (cmd_spec_build in cmd/spec.c), which must
 * refuse a damaged configuration with a message, never crash. The seccomp profile is den's
 * default whatever the input names: a profile file is another parser's (fuzz-seccomp). */
#include <stdint.h>
#include <stdlib.h>

#include "cmd/ctr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* an empty directory as the rootfs, made once */
static const char *rootfs(void)
{
        static char dir[] = "/tmp/den-fuzz-ctrconfig-XXXXXX";
        static bool is_made;

        if (!is_made) {
                if (!mkdtemp(dir))
                        abort();
                is_made = true;
        }
        return dir;
}

/* den's namespace as podman lays it out: the user, then 65536 subordinate ids */
static struct rt_idmap maps[] = { { 0, 1000, 1 }, { 1, 100000, 65536 } };
static const struct rt_userns userns = {
        .uidmap = maps, .n_uidmap = 2, .gidmap = maps, .n_gidmap = 2
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *config = NULL;
        json_t *spec = NULL;
        den_error *err = NULL;
        json_t *den;
        const struct cmd_spec_env env = {
                .id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                .name = "fuzz",
                .rootfs = rootfs(),
                .userdata = rootfs(),
                .userns = &userns,
                .host_uid = 1000,
                .host_gid = 1000,
        };

        if (store_container_config_parse((const char *) data, size, &config, &err) < 0) {
                if (!err || !err->msg || !err->msg[0] || config)
                        abort();
                den_error_free(err);
                return 0;
        }
        if (!json_is_object(config) || err)
                abort();
        den = json_object_get(config, "Den");
        if (json_is_object(den))
                json_object_set_new(den, "seccomp", json_string("default"));
        if (cmd_spec_build(config, &env, &spec, &err) < 0) {
                if (!err || !err->msg || !err->msg[0] || spec)
                        abort();
                den_error_free(err);
        } else if (!json_is_object(spec) || err) {
                abort();
        }
        json_decref(spec);
        json_decref(config);
        return 0;
}
