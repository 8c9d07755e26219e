/* toml: to be written. */
#include "util.h"
