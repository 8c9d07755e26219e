/* Networking arrives with slirp4netns support; this file anchors the library. */
#include "net.h"
