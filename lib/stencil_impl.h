/*
 * Private to the stencil operators (mesh_stencil.c), their kernels (stencil_kernel.c) and the
 * multigrid that may reuse them (mg.c): a constant stencil compiled for one rank's box of one mesh,
 * the kernels that apply it to a ghosted local array (plain, fused with a residual, fused with a
 * Jacobi/Chebyshev step), the boundary-condition ghost fill, and access to the stencil of a stencil
 * operator.
 *
 * Arithmetic (what makes results independent of the box split): every output value is computed
 * with the same operations in the same order wherever the point lies and whichever region or
 * row segment computes it. The terms of (A x)_p are summed left to right in increasing order of
 * their offset in memory (z, then y, then x; equal offsets in the order given):
 * s = c_0 x_0; s = s + c_1 x_1; ... The library is compiled without FMA contraction.
 *
 * Arrays: "ghosted" arrays have the layout of a local field (dc_mesh_info_t::gcount points per
 * dimension, dof fastest, dc_mesh_local_index()); "owned" arrays that of this rank's part of a
 * global field (dc_mesh_info_t::count, dc_mesh_global_index()). The input x is always ghosted,
 * with its ghosts set (halo exchanged, then dci_stencil_fill_bc()) for every point the region
 * needs; the other arrays (y, b, r, d, xout) are all ghosted or all owned, as 'ghosted' says
 * (in a ghosted output only the owned points are written). Output arrays must not overlap x.
 * All kernels are Local and cannot fail.
 */
#ifndef DC_STENCIL_IMPL_H
#define DC_STENCIL_IMPL_H

#include "dc_impl.h"
#include "op_impl.h"

/* Which points of the owned box a kernel computes. INTERIOR: the points whose stencil reads no
 * ghost (at least the stencil's reach away from every side of the box; for a point callback:
 * the mesh's width), so it may run between dc_mesh_global_to_local_begin() and _end();
 * BOUNDARY: the others; ALL: both. INTERIOR then BOUNDARY gives the same bits as ALL. */
typedef enum {
    DCI_STENCIL_ALL = 0,
    DCI_STENCIL_INTERIOR = 1,
    DCI_STENCIL_BOUNDARY = 2
} dci_stencil_region_t;

/* Specialised loops (dof 1, the shapes of dc_stencil_laplacian(), any coefficients). */
typedef enum {
    DCI_SK_GENERAL = 0, /* any offsets within the width, any dof: per term over a row */
    DCI_SK_3 = 3,       /* 1-D x-1, x, x+1 */
    DCI_SK_5 = 5,       /* 2-D star */
    DCI_SK_9 = 9,       /* 2-D box */
    DCI_SK_7 = 7,       /* 3-D star */
    DCI_SK_27 = 27      /* 3-D box */
} dci_stencil_special_t;

/* A constant stencil compiled for this rank's box of a mesh (a value type: copy it freely). */
typedef struct dci_stencil_kernel {
    dc_mesh_info_t info;           /* the mesh view it was compiled for */
    int npoints;                   /* terms, sorted by memory offset */
    int o[DC_STENCIL_MAX][3];      /* offset of each term in points */
    ptrdiff_t off[DC_STENCIL_MAX]; /* offset of each term in a ghosted array, in doubles */
    double coef[DC_STENCIL_MAX];
    int reach[3][2];      /* largest offset below (0) and above (1) the point per dimension */
    int special;          /* dci_stencil_special_t */
    double centre;        /* sum of the coefficients at offset 0 (the diagonal away from
                             Neumann sides and tiny periodic dimensions) */
    double inv_centre;    /* 1 / centre (used by dci_stencil_smooth) */
    dc_bc_t bc[3][2];     /* as dc_stencil_t::bc; entries of d >= dim unused */
    ptrdiff_t gstride[3]; /* ghosted array: doubles between neighbours in x, y, z */
    ptrdiff_t ostride[3]; /* owned array: the same */
} dci_stencil_kernel_t;

/*
 * Compile st for the rank whose view of the mesh is info. Checks everything
 * dc_mesh_op_create_stencil() documents (npoints in 1..DC_STENCIL_MAX, |offset| <= width,
 * offsets 0 beyond dim, no edge/corner offset on a STAR mesh, bc values valid and periodic
 * exactly where the mesh is, finite coefficients) and returns DC_ERR_ARG with a message in env
 * on failure (k undefined then). A centre of 0 gives inv_centre 0. Local, no allocation.
 */
int dci_stencil_kernel_init(dc_env_t *env, const dc_mesh_info_t *info, const dc_stencil_t *st,
                            dci_stencil_kernel_t *k);
/* The compiling part of dci_stencil_kernel_init() for a stencil and bc already checked (no
 * checks, no errors). */
void dci_stencil_kernel_build(const dc_mesh_info_t *info, const dc_stencil_t *st,
                              const dc_bc_t bc[3][2], dci_stencil_kernel_t *k);
/* ko = k for owned arrays: the offsets with the owned strides (ostride), for
 * dci_stencil_apply_owned(). */
void dci_stencil_kernel_owned(const dci_stencil_kernel_t *k, dci_stencil_kernel_t *ko);
/*
 * Check bc (NULL: all Dirichlet) against the mesh (valid values, periodic exactly where the mesh
 * is) and copy it to out. DC_ERR_ARG with a message in env. Local.
 */
int dci_stencil_check_bc(dc_env_t *env, const dc_mesh_info_t *info, const dc_bc_t (*bc)[2],
                         dc_bc_t out[3][2]);
/*
 * Fill the ghosts of the ghosted array xl that lie outside the domain on non-periodic sides:
 * Dirichlet 0, Neumann u[-1-m] = u[m] (and u[n+m] = u[n-1-m]). Dimension by dimension (x, then
 * y, then z), each over the whole ghosted extent of the other dimensions, so edge and corner
 * ghosts get the tensor-product value; needs the halo exchange done first (with a BOX mesh, for
 * corners). Ghosts between ranks and periodic wraps are left to the exchange. Ranks with an
 * empty box do nothing. Local.
 */
void dci_stencil_fill_bc(const dc_mesh_info_t *info, const dc_bc_t bc[3][2], double *xl);

/* y = A x on region; if xy_p != NULL, *xy_p += sum over the region's points of x . (A x)
 * (plain sum in no particular order: for CG's fused dot, not reproducible). */
void dci_stencil_apply(const dci_stencil_kernel_t *k, dci_stencil_region_t region, const double *xl,
                       double *y, int ghosted, double *xy_p);
/* y = A x on region, with x and y both owned arrays and ko from dci_stencil_kernel_owned():
 * only for INTERIOR (the other points need ghosts); the same bits as dci_stencil_apply(). An
 * operator computes its interior this way from x itself while the halo exchange runs. */
void dci_stencil_apply_owned(const dci_stencil_kernel_t *ko, dci_stencil_region_t region,
                             const double *x, double *y, double *xy_p);
/* r = b - A x on region (each r_p = b_p - (A x)_p, one rounding after (A x)_p). If rr_p !=
 * NULL, *rr_p += sum of r_p^2 (plain). r may be b. */
void dci_stencil_residual(const dci_stencil_kernel_t *k, dci_stencil_region_t region,
                          const double *b, const double *xl, double *r, int ghosted, double *rr_p);
/*
 * One fused smoothing step on region, per point p (t = inv_centre, the inverse centre
 * coefficient: the diagonal of a Dirichlet or periodic stencil):
 *   r_p = b_p - (A x)_p
 *   e   = beta * (t * r_p)                      (d == NULL, or alpha == 0: d_p is not read)
 *   e   = alpha * d_p + beta * (t * r_p)        (d != NULL, alpha != 0)
 *   d_p = e (d != NULL);  xout_p = x_p + e
 * Weighted Jacobi: d = NULL, beta = omega. Chebyshev in the three-term form
 * d_k = alpha_k d_{k-1} + beta_k D^-1 r_k, x_{k+1} = x_k + d_k: pass the same d every step,
 * alpha = 0 on the first. b == NULL means b = 0 (r_p = -(A x)_p). xout must not overlap x (the
 * stencil reads the old neighbours); b and d must not overlap xout.
 */
void dci_stencil_smooth(const dci_stencil_kernel_t *k, dci_stencil_region_t region, const double *b,
                        const double *xl, double *d, double *xout, double alpha, double beta,
                        int ghosted);

/* A run of n points of one row of the owned box: xo its offset in a ghosted array, oo in an
 * owned one (in doubles). */
typedef void (*dci_stencil_run_fn)(const dci_stencil_kernel_t *k, size_t xo, size_t oo, size_t n,
                                   void *arg);
/* Call fn on the runs of region, in order (rows z, then y; in a row the interior run first, then
 * the boundary runs); reach (per dimension, below and above) defines the interior. Ranks with an
 * empty box make no call. */
void dci_stencil_for_region(const dci_stencil_kernel_t *k, const int reach[3][2],
                            dci_stencil_region_t region, dci_stencil_run_fn fn, void *arg);

/* The stencil operator's data (op->impl of a DCI_OP_STENCIL or DCI_OP_POINT operator). */
typedef struct dci_stencil_op dci_stencil_op_t;
/*
 * The stencil of a DCI_OP_STENCIL operator as the caller gave it (bc, laplacian, h, shift), its
 * mesh (not referenced: valid while op lives) and its compiled kernel; each output may be NULL.
 * DC_ERR_NOTSUP (message in env) for other operators. Local.
 */
int dci_stencil_op_get(const dc_op_t *op, const dc_stencil_t **st_p, dc_mesh_t **mesh_p,
                       const dci_stencil_kernel_t **k_p);

#endif /* DC_STENCIL_IMPL_H */
