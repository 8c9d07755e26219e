/* layer: to be written. */
#include "image/image.h"
