/* registries: to be written. */
#include "image/image.h"
