/*
 * Private to the vector module's files (vec.c: lifecycle, BLAS-1, reductions; vec_scatter.c:
 * scatter, gather, redistribute): the vector structure and its borrow checks.
 * Invariant: local entry i holds global index dci_layout_l2g(layout, rank, i), which increases
 * with i for every layout kind.
 */
#ifndef DC_VEC_IMPL_H
#define DC_VEC_IMPL_H

#include "dc_impl.h"

struct dc_vec {
    dci_obj_t hdr;
    dc_layout_t *layout; /* counted reference; the layout holds the env */
    size_t nlocal;
    double *data;        /* 64-byte aligned, nlocal entries */
    dci_borrow_t borrow; /* dc_vec_get_array & co */
};

/* Reading x is allowed unless it is borrowed read-write. */
static inline int dci_vec_state_read(const dc_vec_t *v, const char *name, const char *func)
{
    return dci_borrow_check_read(v->hdr.env, &v->borrow, "vec", name, func);
}

/* Writing needs no borrow of any kind outstanding. */
static inline int dci_vec_state_write(const dc_vec_t *v, const char *name, const char *func)
{
    return dci_borrow_check_write(v->hdr.env, &v->borrow, "vec", name, func);
}

/* dc_vec_create under the caller's profiling event ev (dc_mesh_create_global & co). */
int dci_vec_create_ev(dc_layout_t *layout, dci_event_t ev, dc_vec_t **vec_p);

#endif /* DC_VEC_IMPL_H */
