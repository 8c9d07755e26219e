/* Fuzzes the network option parsers (net/config.c): one input is tried as a -p/--publish
 * value, an -P exposed port, a --network value and a stored network record (JSON). Whatever
 * is accepted must be in range and survive a JSON round trip unchanged. */
#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const struct net_config *c)
{
        json_t *j = net_config_to_json(c), *j2;
        char *a = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT), *b;
        struct net_config back;
        den_error *err = NULL;

        if (net_config_from_json(j, &back, &err) < 0)
                abort();
        j2 = net_config_to_json(&back);
        b = json_dumps(j2, JSON_SORT_KEYS | JSON_COMPACT);
        if (strcmp(a, b) != 0)
                abort();
        for (size_t i = 0; i < back.n_ports; i++) {
                const struct net_port *p = &back.ports[i];

                if (p->range < 1 || p->ctr_port < 1 || p->ctr_port + p->range - 1 > 65535 ||
                    (p->host_port && p->host_port + p->range - 1 > 65535) ||
                    (strcmp(p->proto, "tcp") != 0 && strcmp(p->proto, "udp") != 0))
                        abort();
        }
        free(a);
        free(b);
        json_decref(j);
        json_decref(j2);
        net_config_clear(&back);
}

static void check_error(den_error *err)
{
        if (!err || !err->msg || !*err->msg)
                abort();
        den_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = NULL;
        struct net_config c;
        den_error *err = NULL;
        json_t *j;

        if (size > 4096)
                return 0;
        text = xstrndup((const char *) data, size);
        net_config_init(&c);
        if (net_config_add_publish(&c, text, &err) < 0)
                check_error(steal_ptr(err));
        if (net_config_add_exposed(&c, text, &err) < 0)
                check_error(steal_ptr(err));
        if (net_config_set_mode(&c, text, &err) < 0)
                check_error(steal_ptr(err));
        check_roundtrip(&c);
        net_config_clear(&c);

        j = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES, NULL);
        if (j) {
                if (net_config_from_json(j, &c, &err) == 0) {
                        check_roundtrip(&c);
                        net_config_clear(&c);
                } else {
                        check_error(steal_ptr(err));
                }
                json_decref(j);
        }
        return 0;
}
