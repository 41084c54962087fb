/* placeholder: written for issue 8 */
#include "dc_impl.h"
