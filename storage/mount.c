/* mount: to be written. */
#include "storage/storage.h"
