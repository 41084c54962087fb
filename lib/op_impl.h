/*
 * Private to the operator and solver files (op.c, solve.c, mg.c, mesh_stencil.c): the
 * operator structure. An operator of any kind (shell, mesh stencil, mesh point callback) is one
 * dc_op_t with a table of functions; the kind's own data hangs off impl.
 */
#ifndef DC_OP_IMPL_H
#define DC_OP_IMPL_H

#include "dc_impl.h"
#include <dcompute/dc_solve.h>

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
    /* optional fast path for CG (NULL: not offered): y = A x and *xy = this rank's plain
     * (DC_REPRO_OFF) partial sum of x . y computed in the same pass over memory */
    int (*apply_dot)(dc_op_t *op, const dc_vec_t *x, dc_vec_t *y, double *xy);
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

/* ---------------------------------------------------------------- multigrid (lib/mg.c) */

/* The geometric multigrid preconditioner that solve.c uses for DC_PC_MG. */
typedef struct dci_mg dci_mg_t;
/* Build the hierarchy for op (a DCI_OP_STENCIL operator whose stencil has laplacian != 0 and
 * Dirichlet boundaries, else DC_ERR_NOTSUP on every rank); prm has every field resolved to its
 * value (defaults filled in by solve.c); mode is BINNED/EXACT when the solve must be
 * reproducible. Collective; agreed (all ranks return the same code). */
int dci_mg_create(dc_op_t *op, const dc_solver_params_t *prm, dc_repro_t mode, dci_mg_t **mg_p);
/* z = M^-1 r: one V-cycle from a zero initial guess (symmetric positive definite as a map of
 * r, so it is a valid CG preconditioner). r and z on op's layout. Collective. */
int dci_mg_apply(dci_mg_t *mg, const dc_vec_t *r, dc_vec_t *z);
/* Number of levels (the finest included). */
int dci_mg_levels(const dci_mg_t *mg);
/* Free everything (local: no collective calls). NULL is a no-op. */
void dci_mg_destroy(dci_mg_t *mg);

/* ---------------------------------------------------------------- solver state (lib/solve.c) */

/*
 * A solve's iteration state, for checkpoints (lib/ckpt_solver.c): what a solve at iteration
 * 'it' needs to go on exactly as if it had not stopped. Read from the monitor while a solve
 * runs (dci_solver_state_get), or filled from a checkpoint and installed so that the NEXT
 * dc_solver_solve continues at iteration it + 1 (dci_solver_state_load_begin / _end).
 * Vectors are the solver's own (lent); vec[0] is the iterate x. CG: x r p [z]; PIPECG:
 * x r w n z p s [u m q] (bracketed: with a preconditioner). Scalars: CG rz, rz_old, rnorm;
 * PIPECG alpha, beta, gamma, rnorm.
 */
enum { DCI_SST_NVEC = 10, DCI_SST_NSCAL = 4 };
typedef struct dci_solver_state {
    dc_env_t *env;
    /* the description a loaded state must match */
    int type;  /* dc_solver_type_t */
    int pc;    /* dc_pc_type_t */
    int mode;  /* dc_repro_t: OFF, BINNED or EXACT */
    int64_t n; /* global size */
    /* a mesh operator's mesh: the vectors are its fields, stored in the mesh's natural order
     * (dc_ckpt_write_mesh_field); NULL: plain vectors in the layout's order */
    dc_mesh_t *mesh;
    /* the iteration */
    int it;
    int reason;    /* dc_solve_reason_t decided at it (DC_SOLVE_ITERATING: goes on) */
    double bnorm;  /* ||b|| */
    double rnorm0; /* ||r_0|| */
    int nvec;
    const char *vname[DCI_SST_NVEC];
    dc_vec_t *vec[DCI_SST_NVEC];
    int nscal;
    double scal[DCI_SST_NSCAL];
    double *hist; /* ||r_0||, ..., ||r_it||: it + 1 values (load: to be filled) */
} dci_solver_state_t;

/* The state of the solve now running on s (called from its monitor); DC_ERR_STATE (message)
 * when no solve is running. Local. */
int dci_solver_state_get(const dc_solver_t *s, dci_solver_state_t *st);
/* The description of s (type, pc, mode, n, nvec, nscal, vname) into st; no vectors. Local. */
void dci_solver_state_describe(const dc_solver_t *s, dci_solver_state_t *st);
/* Prepare to load a state of iteration it into s: cancels a pending resume and the last
 * solve's history, makes room for the history and the stored iterate; st gets the vectors and
 * history array to fill. Collective (agreed): DC_ERR_STATE inside the monitor, DC_ERR_NOMEM. */
int dci_solver_state_load_begin(dc_solver_t *s, int it, dci_solver_state_t *st);
/* Install the filled state (it, reason, bnorm, rnorm0, scal, and the filled vectors and
 * history): the next dc_solver_solve on s continues from it. Local. */
void dci_solver_state_load_end(dc_solver_t *s, const dci_solver_state_t *st);

#endif /* DC_OP_IMPL_H */
