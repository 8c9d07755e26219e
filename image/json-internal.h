/* JSON documents from registries and archives, read the same way by manifest.c and config.c.
 * Private to image/. */
#pragma once

#include <jansson.h>
#include "util/util.h"

/* Parses an untrusted JSON object: bounded in size (max_len) and nesting (64 levels),
 * duplicate keys refused; errors name the line and column. */
int img_json_load_object(const char *body, size_t len, size_t max_len, json_t **ret,
                         den_error **err);
