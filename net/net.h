/* den network library: slirp4netns, port forwarding, and name files. net/'s one public
 * header. */
#pragma once

#include "util/util.h"
