/*
 * Private to the operator and solver files (op.c, solve.c, mg.c, mesh_stencil.c): the
 * operator structure. An operator of any kind (shell, mesh stencil, mesh point callback) is one
 * dc_op_t with a table of functions; the kind's own data hangs off impl.
 */
#ifndef DC_OP_IMPL_H
#define DC_OP_IMPL_H

#include "dc_impl.h"

typedef enum {
    DCI_OP_SHELL = 0,   /* dc_op_create_shell */
    DCI_OP_STENCIL = 1, /* dc_mesh_op_create_stencil: impl is the stencil (stencil_impl.h) */
    DCI_OP_POINT = 2    /* dc_mesh_op_create_pointwise */
} dci_op_kind_t;

typedef struct dci_op_ops {
    /* y = A x; x, y already checked to be on the operator's layout, x != y, not borrowed */
    int (*apply)(dc_op_t *op, const dc_vec_t *x, dc_vec_t *y);
    /* d = diag(A); NULL: not available (DC_ERR_NOTSUP) */
    int (*diag)(dc_op_t *op, dc_vec_t *d);
    /* frees impl (the operator's last reference) */
    void (*free_impl)(dc_op_t *op);
} dci_op_ops_t;

struct dc_op {
    dci_obj_t hdr;
    dci_op_kind_t kind;
    dc_layout_t *layout; /* counted reference */
    dc_mesh_t *mesh;     /* mesh operators: counted reference (set by the creator); else NULL */
    const dci_op_ops_t *ops;
    void *impl;
};

/* Make an operator of 'kind' on layout (takes a layout reference; impl is owned from here on:
 * on failure ops->free_impl is NOT called, the caller frees impl). Local. */
int dci_op_create(dc_layout_t *layout, dci_op_kind_t kind, const dci_op_ops_t *ops, void *impl,
                  dc_op_t **op_p);

#endif /* DC_OP_IMPL_H */
