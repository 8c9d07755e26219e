/* auth: to be written. */
#include "image/image.h"
