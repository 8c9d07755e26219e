/* store: to be written. */
#include "storage/storage.h"
