/* userns: to be written. */
#include "runtime/runtime.h"
