/* archive: docker-archive and oci-archive save and load. */
#include "image.h"
