/* placeholder: internal stencil kernels (issue 8) */
#ifndef DC_STENCIL_IMPL_H
#define DC_STENCIL_IMPL_H
#include "dc_impl.h"
#endif
