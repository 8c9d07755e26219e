/* pull: to be written. */
#include "image/image.h"
