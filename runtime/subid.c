/* subid: to be written. */
#include "runtime/runtime.h"
