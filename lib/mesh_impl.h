/* placeholder: the mesh structure (issue 8) */
#ifndef DC_MESH_IMPL_H
#define DC_MESH_IMPL_H
#include "dc_impl.h"
#endif
