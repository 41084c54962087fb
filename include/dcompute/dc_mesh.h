/**
 * \file dc_mesh.h
 * \defgroup dc_mesh Structured grids (meshes), fields, halo exchange and stencil operators
 * A dc_mesh_t is a 1-, 2- or 3-D index box of n[0] x n[1] x n[2] points with \p dof values per
 * point, split over a Cartesian process grid (as PETSc's DMDA). Each rank owns one sub-box
 * (possibly empty, when the caller gives per-rank counts with zeros).
 *
 * **Fields.** A *global* field is a dc_vec_t on the mesh's global layout
 * (dc_mesh_get_layout()): the owned points only, so every BLAS-1 operation, reduction and
 * reproducible dot of dc_vec.h works on it unchanged. Its global index is the *distributed
 * ordering*: rank 0's box first, then rank 1's, ...; inside a box, lexicographic with dof
 * fastest, then x (dimension 0), then y, then z. A *local* field is a dc_vec_t on the mesh's
 * local layout (dc_mesh_get_local_layout()): the owned box plus \p width ghost layers on every
 * side of every dimension below dim, in the same lexicographic order. Ghost layers outside a
 * non-periodic edge of the domain exist too (they hold what a boundary condition puts there;
 * the halo exchange never writes them), so a kernel reads x[i +- width] without tests.
 * dc_mesh_local_index() gives the offset of a point in a local array.
 *
 * **Natural ordering** is the lexicographic order of the whole grid (dof fastest, then x, y,
 * z): what a serial code or a file holds. dc_mesh_gather_natural() & co move between the two.
 *
 * **Halo exchange** (dc_mesh_global_to_local() and its begin/end form) fills the ghosts of a
 * local field from the owners. With a STAR stencil shape only the face neighbours' layers are
 * exchanged (edge and corner ghosts are left as they were); BOX exchanges faces, edges and
 * corners. Periodic dimensions wrap. The communication pattern is set up once, at
 * dc_mesh_create(). A rank with an empty box has no ghosts to fill: the exchange leaves its
 * local field as it was. A field "of this mesh" is a dc_vec_t on the mesh's layout or on a
 * layout congruent with it (dc_layout_congruent()). The exchange is a hot-path collective, not
 * agreed: a misuse detected on one rank only (e.g. a wrong field there) returns on that rank,
 * after which the env may only be destroyed.
 *
 * All ranks of the env must pass the same arguments to the collectives below (they are
 * checked and agreed like any create: a different value on one rank fails on every rank with the
 * same code). Handles must be valid on every rank (a NULL or destroyed handle fails at once on
 * that rank only, see docs/conventions.md).
 * @{
 */
#ifndef DC_MESH_H
#define DC_MESH_H

#include <stddef.h>
#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Which ghost points a halo exchange fills (dc_mesh_params_t::shape). */
typedef enum {
    DC_MESH_STAR = 0, /**< faces only: enough for 5-/7-point stencils (PETSc's DMDA_STENCIL_STAR) */
    DC_MESH_BOX = 1   /**< faces, edges and corners: 9-/27-point stencils */
} dc_mesh_shape_t;

/** How local_to_global treats values (dc_mesh_local_to_global()). */
typedef enum {
    DC_MESH_INSERT = 0, /**< owned points of the local field are copied, ghosts ignored */
    DC_MESH_ADD = 1     /**< owned values plus every ghost copy of the same point, summed by
                             the owner in a fixed order (owner first, then by rank) */
} dc_mesh_insert_t;

/** Bits of dc_mesh_params_t::field_mask: only fields whose bit is set are read. */
enum {
    DC_MESH_PARAM_PERIODIC = 1u << 0, /**< periodic */
    DC_MESH_PARAM_SHAPE = 1u << 1,    /**< shape */
    DC_MESH_PARAM_PROCS = 1u << 2,    /**< procs */
    DC_MESH_PARAM_COUNTS = 1u << 3    /**< counts */
};

/** Optional settings of dc_mesh_create(). */
typedef struct dc_mesh_params {
    uint64_t field_mask;   /**< DC_MESH_PARAM_* bits of the fields set */
    int periodic[3];       /**< 1: dimension d wraps around (default 0: not periodic; entries
                              for d >= dim must be 0) */
    dc_mesh_shape_t shape; /**< ghost points exchanged (default DC_MESH_STAR) */
    /** process grid (default all 0). The product must equal the env's size. Entries 0 are
     * chosen: among the factorisations of the ranks left with procs[d] <= n[d] and slabs
     * n[d] / procs[d] >= width, the one with the smallest halo surface of a largest box with
     * the most neighbours (both faces of a dimension cut into 3 or more slabs); on a
     * tie the one whose thinnest slab is widest, then the one with more ranks in the later
     * dimensions (their halo rows are contiguous: 2 ranks split a 2-D grid in y, as PETSc's
     * DMDA); MPI_Dims_create's grid when none fits. Entries for d >= dim must be 0 or 1. Rank r
     * sits at the Cartesian coordinates of r in row-major order with dimension 0 fastest:
     * r = c0 + procs[0] * (c1 + procs[1] * c2). */
    int procs[3];
    const dc_gidx_t *counts[3]; /**< counts[d][c]: points of dimension d owned by the ranks at
                       coordinate c (procs[d] entries, each >= 0, summing to n[d]; PETSc's
                       lx/ly/lz); NULL for d: balanced (the first n % p slabs get one more).
                       Needs DC_MESH_PARAM_PROCS with every procs[d] given. A zero count gives
                       empty boxes. */
} dc_mesh_params_t;

/** A rank's view of a mesh (a value type, filled by dc_mesh_get_info()). Entries of
 * dimensions d >= dim are: n 1, start 0, count 1, gstart 0, gcount 1, procs 1, coord 0. */
typedef struct dc_mesh_info {
    int dim;                        /**< 1, 2 or 3 */
    dc_gidx_t n[3];                 /**< global points per dimension */
    int dof;                        /**< values per point */
    int width;                      /**< ghost layers (stencil width) */
    dc_mesh_shape_t shape;          /**< ghost points exchanged (STAR or BOX) */
    int periodic[3];                /**< 1 where dimension d wraps around */
    int procs[3];                   /**< process grid */
    int coord[3];                   /**< this rank's coordinates in it */
    dc_gidx_t start[3], count[3];   /**< owned box: [start, start + count) per dimension */
    dc_gidx_t gstart[3], gcount[3]; /**< local (ghosted) box: start - width, count + 2 width */
    size_t nlocal;                  /**< owned values: count[0] * count[1] * count[2] * dof */
    size_t nghosted; /**< values of a local field: gcount[0] * gcount[1] * gcount[2] * dof */
} dc_mesh_info_t;
/** \var dc_mesh_info::start
 * first owned point per dimension (global indices) */
/** \var dc_mesh_info::gstart
 * first point of the ghosted box per dimension */

/* ------------------------------------------------------------------ lifecycle */

/**
 * \brief Create a mesh of n[0] x ... x n[dim-1] points, \p dof values per point and \p width
 * ghost layers, over the env's ranks. Collective on env; every argument (and every params field
 * read) must match on all ranks: checked, and agreed like any create.
 * \param[in]  env     the env (referenced by the mesh)
 * \param[in]  dim     1, 2 or 3
 * \param[in]  n       dim entries, each >= 1
 * \param[in]  dof     values per point, >= 1
 * \param[in]  width   ghost layers, >= 0 and <= the smallest extent of a non-empty box
 * \param[in]  params  optional settings (NULL: all defaults)
 * \param[out] mesh_p  the new mesh, set only on success
 * \return DC_SUCCESS; DC_ERR_ARG (env invalid: at once on that rank; mesh_p or n NULL, dim,
 *         dof or width out of range, a params field out of range, procs whose product is not
 *         the env's size, counts without procs, or any argument differing between ranks);
 *         DC_ERR_SIZE (n[d] < procs[d] with balanced counts: a grid smaller than the process
 *         grid; counts that do not sum to n[d]; width larger than a non-empty box's extent;
 *         a local field too large to address); DC_ERR_NOMEM; DC_ERR_MPI; DC_ERR_TIMEOUT (DC_TIMEOUT
 *         expired waiting for another rank)
 */
DC_API int dc_mesh_create(dc_env_t *env, int dim, const dc_gidx_t *n, int dof, int width,
                          const dc_mesh_params_t *params, dc_mesh_t **mesh_p);
/**
 * \brief Release the caller's reference and set *mesh_p = NULL. Local. Operators built on the
 * mesh keep it alive; fields keep only its layouts (they stay usable as vectors, but no copy of
 * the mesh handle may be used after its destroy). NULL and *mesh_p == NULL are no-ops.
 * \param[in,out] mesh_p  the caller's handle
 * \return DC_SUCCESS, DC_ERR_ARG (not a mesh handle, or destroyed before: nothing changed)
 */
DC_API int dc_mesh_destroy(dc_mesh_t **mesh_p);
/**
 * \brief This rank's view of the mesh. Local.
 * \param[in]  mesh    the mesh
 * \param[out] info_p  filled (a copy)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid mesh, info_p NULL)
 */
DC_API int dc_mesh_get_info(const dc_mesh_t *mesh, dc_mesh_info_t *info_p);
/**
 * \brief The env of the mesh (lent, as dc_layout_get_env()). Local.
 * \param[in]  mesh   the mesh
 * \param[out] env_p  the env, lent: usable while the mesh lives, not the caller's to destroy
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed mesh, env_p NULL)
 */
DC_API int dc_mesh_get_env(const dc_mesh_t *mesh, dc_env_t **env_p);
/**
 * \brief The layout of global fields (contiguous, rank r owns its box's values). Lent: valid
 * while the mesh lives; not the caller's to destroy. Local.
 * \param[in]  mesh      the mesh
 * \param[out] layout_p  the layout (lent)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed mesh, layout_p NULL)
 */
DC_API int dc_mesh_get_layout(const dc_mesh_t *mesh, dc_layout_t **layout_p);
/**
 * \brief The layout of local fields (rank r holds its ghosted box's values). Lent. Local.
 * \param[in]  mesh      the mesh
 * \param[out] layout_p  the layout (lent: valid while the mesh lives)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed mesh, layout_p NULL)
 */
DC_API int dc_mesh_get_local_layout(const dc_mesh_t *mesh, dc_layout_t **layout_p);
/**
 * \brief Owned box of rank \p rank (of any rank, for planning transfers). Local.
 * \param[in]  mesh   the mesh
 * \param[in]  rank   a rank of the mesh's env, in [0, size)
 * \param[out] start  3 entries, as dc_mesh_info_t::start
 * \param[out] count  3 entries, as dc_mesh_info_t::count
 * \return DC_SUCCESS, DC_ERR_ARG (invalid mesh, rank out of range, NULL output)
 */
DC_API int dc_mesh_get_box(const dc_mesh_t *mesh, int rank, dc_gidx_t *start, dc_gidx_t *count);

/* ------------------------------------------------------------------ fields */

/**
 * \brief New zero global field (a dc_vec_t on the mesh's layout). Collective on the mesh's env.
 * \param[in]  mesh   the mesh
 * \param[out] vec_p  the new vector, set only on success
 * \return as dc_vec_create(): DC_SUCCESS, DC_ERR_ARG (invalid mesh: at once on that rank; vec_p
 *         NULL), DC_ERR_NOMEM (on any rank), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired
 *         waiting for another rank)
 */
DC_API int dc_mesh_create_global(dc_mesh_t *mesh, dc_vec_t **vec_p);
/**
 * \brief New zero local (ghosted) field (a dc_vec_t on the mesh's local layout). Collective on
 * the mesh's env.
 * \param[in]  mesh   the mesh
 * \param[out] vec_p  the new vector, set only on success
 * \return as dc_vec_create(): DC_SUCCESS, DC_ERR_ARG (invalid mesh: at once on that rank; vec_p
 *         NULL), DC_ERR_NOMEM (on any rank), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired
 *         waiting for another rank)
 */
DC_API int dc_mesh_create_local(dc_mesh_t *mesh, dc_vec_t **vec_p);
/**
 * \brief Offset of point (i, j, k), component c, in a local array of this rank; i, j, k are
 * global indices inside the ghosted box (gstart <= i < gstart + gcount; pass 0 for j, k beyond
 * dim). No checks. Local; inline.
 */
static inline size_t dc_mesh_local_index(const dc_mesh_info_t *info, dc_gidx_t i, dc_gidx_t j,
                                         dc_gidx_t k, int c)
{
    size_t p = (size_t)(k - info->gstart[2]);
    p = p * (size_t)info->gcount[1] + (size_t)(j - info->gstart[1]);
    p = p * (size_t)info->gcount[0] + (size_t)(i - info->gstart[0]);
    return p * (size_t)info->dof + (size_t)c;
}
/**
 * \brief Offset of owned point (i, j, k), component c, in this rank's part of a global field.
 * No checks. Local; inline.
 */
static inline size_t dc_mesh_global_index(const dc_mesh_info_t *info, dc_gidx_t i, dc_gidx_t j,
                                          dc_gidx_t k, int c)
{
    size_t p = (size_t)(k - info->start[2]);
    p = p * (size_t)info->count[1] + (size_t)(j - info->start[1]);
    p = p * (size_t)info->count[0] + (size_t)(i - info->start[0]);
    return p * (size_t)info->dof + (size_t)c;
}

/** Point callback: write the dof values of point ijk (global indices; 0 beyond dim). */
typedef void (*dc_mesh_point_fn)(const dc_gidx_t ijk[3], double *values, void *ctx);
/**
 * \brief Set every owned point of a global field from \p fn, in lexicographic order. Local.
 * \param[in]  mesh    the mesh
 * \param[out] global  a global field of this mesh (not borrowed)
 * \param[in]  fn      called once per owned point with its global indices
 * \param[in]  ctx     passed to fn unchanged (may be NULL)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid mesh or vec, fn NULL, vec not on the mesh's global
 *         layout), DC_ERR_STATE (vec borrowed)
 */
DC_API int dc_mesh_fill(dc_mesh_t *mesh, dc_vec_t *global, dc_mesh_point_fn fn, void *ctx);

/* ------------------------------------------------------------------ halo exchange */

/**
 * \brief local = global on owned points, and the ghosts from their owners (blocking: begin +
 * end). Collective on the mesh's env (every rank takes part, including ranks with an empty box).
 * \param[in]  mesh    the mesh
 * \param[in]  global  a global field of this mesh (read: not borrowed read-write)
 * \param[out] local   a local field of this mesh (written: not borrowed); its ghosts outside
 *                     non-periodic edges are left unchanged
 * \return DC_SUCCESS; DC_ERR_ARG (invalid handle; a field not of this mesh's layouts, e.g. a
 *         field of another mesh: the mismatched fields error, on every rank when it is the same
 *         mistake everywhere); DC_ERR_STATE (a field borrowed, or an exchange of this mesh
 *         already under way); DC_ERR_MPI; DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another
 *         rank)
 */
DC_API int dc_mesh_global_to_local(dc_mesh_t *mesh, const dc_vec_t *global, dc_vec_t *local);
/**
 * \brief Start the halo exchange: copies the owned values into local and starts the
 * (persistent) sends and receives. Between begin and end the caller may read local's owned
 * values and compute on points whose stencil needs no ghost, but must not write global or
 * local, and must not start another exchange on this mesh. Collective on the mesh's env.
 * \param[in]  mesh    the mesh
 * \param[in]  global  a global field of this mesh (read: not borrowed read-write)
 * \param[out] local   a local field of this mesh (written: not borrowed)
 * \return as dc_mesh_global_to_local(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT
 */
DC_API int dc_mesh_global_to_local_begin(dc_mesh_t *mesh, const dc_vec_t *global, dc_vec_t *local);
/**
 * \brief Complete the exchange started by dc_mesh_global_to_local_begin() with the same
 * fields: the ghosts are set. Collective on the mesh's env.
 * \param[in]  mesh    the mesh
 * \param[in]  global  the global field passed to begin
 * \param[out] local   the local field passed to begin
 * \return as dc_mesh_global_to_local(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE (also: no exchange
 *         under way, or other fields), DC_ERR_MPI
 */
DC_API int dc_mesh_global_to_local_end(dc_mesh_t *mesh, const dc_vec_t *global, dc_vec_t *local);
/**
 * \brief global = the owned values of local (DC_MESH_INSERT), or owned values plus the ghost
 * copies other ranks hold of them (DC_MESH_ADD: reverse halo exchange, for assembly-style
 * kernels). Collective on the mesh's env. ADD takes the ghosts the forward exchange fills (faces
 * only for STAR; none outside non-periodic edges) and sums each point as: the owner's value,
 * then the copies by increasing rank of their holder (the owner itself for a periodic wrap),
 * each holder's in its ghost order; so the result does not depend on timing.
 * \param[in]  mesh    the mesh
 * \param[in]  local   a local field of this mesh (read: not borrowed read-write)
 * \param[out] global  a global field of this mesh (written: not borrowed)
 * \param[in]  mode    DC_MESH_INSERT or DC_MESH_ADD
 * \return as dc_mesh_global_to_local(): DC_SUCCESS, DC_ERR_ARG (also: an invalid mode),
 *         DC_ERR_STATE, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_mesh_local_to_global(dc_mesh_t *mesh, const dc_vec_t *local, dc_vec_t *global,
                                   dc_mesh_insert_t mode);

/* ------------------------------------------------------------------ natural ordering */

/**
 * \brief Gather a global field in natural order (n[0]*n[1]*n[2]*dof values) on \p root, or on
 * every rank with root = -1. Collective on the mesh's env; root must match.
 * \param[in]  mesh     the mesh
 * \param[in]  global   a global field of this mesh (read: not borrowed read-write)
 * \param[in]  root     the receiving rank in [0, size), or -1 for all
 * \param[out] natural  written on the root(s) only (may be NULL elsewhere)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, field not of this mesh, root out of range or
 *         differing, natural NULL on a root), DC_ERR_SIZE (more than INT_MAX values),
 *         DC_ERR_STATE (global borrowed read-write), DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 *         (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_mesh_gather_natural(dc_mesh_t *mesh, const dc_vec_t *global, int root,
                                  double *natural);
/**
 * \brief Set a global field from an array in natural order held by \p root. Collective on the
 * mesh's env; root must match.
 * \param[in]  mesh     the mesh
 * \param[in]  root     the rank that holds the array, in [0, size)
 * \param[in]  natural  n[0]*n[1]*n[2]*dof values, read on root only (may be NULL elsewhere)
 * \param[out] global   a global field of this mesh (written: not borrowed)
 * \return as dc_mesh_gather_natural(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_SIZE, DC_ERR_STATE,
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_mesh_scatter_natural(dc_mesh_t *mesh, int root, const double *natural,
                                   dc_vec_t *global);
/**
 * \brief natural = global reordered: entry g of \p natural (a dc_vec_t of the same global size
 * on any layout of the mesh's env, e.g. a block layout for a file) is the value of natural
 * index g. One all-to-all; nothing is gathered on one rank. Collective on the mesh's env.
 * \param[in]  mesh     the mesh
 * \param[in]  global   a global field of this mesh (read: not borrowed read-write)
 * \param[out] natural  the reordered vector (written: not borrowed)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, field not of this mesh), DC_ERR_SIZE (global
 *         sizes differ), DC_ERR_COMM (natural on another env), DC_ERR_STATE (a vector borrowed),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_mesh_global_to_natural(dc_mesh_t *mesh, const dc_vec_t *global, dc_vec_t *natural);
/**
 * \brief The inverse of dc_mesh_global_to_natural(). Collective on the mesh's env.
 * \param[in]  mesh     the mesh
 * \param[in]  natural  a vector in natural order, of the same global size on any layout of the
 *                      mesh's env (read: not borrowed read-write)
 * \param[out] global   a global field of this mesh (written: not borrowed)
 * \return as dc_mesh_global_to_natural(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_SIZE, DC_ERR_COMM,
 *         DC_ERR_STATE, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_mesh_natural_to_global(dc_mesh_t *mesh, const dc_vec_t *natural, dc_vec_t *global);

/* ------------------------------------------------------------------ stencil operators */

/** Boundary condition of one side of one dimension (dc_stencil_t::bc). A Laplacian with shift 0
 * and no Dirichlet side (only periodic and Neumann sides) is singular, the constants (per
 * component) its null space: CG converges (to one of the solutions) when each component of b
 * sums to zero; for any other b no x gets the residual below the part of b along the constants,
 * and the solve stops with a negative reason (breakdown or max_it). */
typedef enum {
    DC_BC_DIRICHLET = 0, /**< homogeneous Dirichlet: the ghost points beyond the edge hold 0
                              (vertex-centred: the boundary is one spacing h beyond the first
                              and last points, x_i = (i + 1) h, h = L / (n + 1)) */
    DC_BC_NEUMANN = 1,   /**< zero normal derivative: ghosts mirror the points inside,
                              u[-1 - m] = u[m] (cell-centred: the boundary is half a spacing
                              beyond the first point) */
    DC_BC_PERIODIC = 2   /**< wrap around; both sides of a dimension, and the mesh periodic
                              in it */
} dc_bc_t;

/** Most entries of a constant stencil: a 5 x 5 x 5 box (width 2). */
#define DC_STENCIL_MAX 125

/**
 * A constant-coefficient stencil: (A x)_p = sum_s coef[s] x_{p + offset[s]}, applied to each
 * of the dof components independently, with the boundary conditions bc[d][0] (low side) and
 * bc[d][1] (high side) filling the ghosts outside the domain before it is applied.
 */
typedef struct dc_stencil {
    int npoints;                   /**< entries used, <= DC_STENCIL_MAX */
    int offset[DC_STENCIL_MAX][3]; /**< |offset| <= the mesh's width; 0 beyond dim */
    double coef[DC_STENCIL_MAX];   /**< coefficient of each offset */
    dc_bc_t bc[3][2];              /**< default (all 0): Dirichlet everywhere */
    /* Set by dc_stencil_laplacian() (0 otherwise): what geometric multigrid rediscretises on
     * coarser grids. */
    int laplacian; /**< 5, 9 (2-D), 7, 27 (3-D) or 3 (1-D): the stencil's kind; 0: general */
    double h[3];   /**< the spacings it was built for */
    double shift;  /**< the c of -Laplace(u) + c u */
} dc_stencil_t;

/**
 * \brief Fill \p st with the stencil of -Laplace(u) + shift * u on spacings h: 3-point (1-D),
 * 5-point or 9-point (2-D, the compact "Mehrstellen" stencil (1/(6h^2)) [-1 -4 -1; -4 20 -4;
 * -1 -4 -1], h[0] == h[1]), 7-point or 27-point (3-D, the compact stencil (1/(30h^2)) with
 * centre 128, faces -14, edges -3, corners -1; needs equal spacings), with Dirichlet
 * boundaries on every side. Local.
 * \param[in]  dim      1, 2 or 3
 * \param[in]  npoints  3 (dim 1), 5 or 9 (dim 2), 7 or 27 (dim 3)
 * \param[in]  h        dim spacings > 0
 * \param[in]  shift    c >= 0 (0: Poisson)
 * \param[out] st       the stencil
 * \return DC_SUCCESS, DC_ERR_ARG (NULL pointer, dim/npoints not a listed pair, h <= 0 or not
 *         finite, unequal h for 9/27 points, shift < 0 or not finite)
 */
DC_API int dc_stencil_laplacian(int dim, int npoints, const double *h, double shift,
                                dc_stencil_t *st);
/**
 * \brief A matrix-free operator (dc_op_t, see dc_solve.h) applying a constant stencil on a
 * mesh: y = A x for global fields x, y. Collective on the mesh's env; the stencil must match.
 * \param[in]  mesh  the mesh (referenced by the operator)
 * \param[in]  st    the stencil (copied)
 * \param[out] op_p  the new operator, set only on success
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, st NULL, npoints out of range, an offset
 *         beyond the mesh's width or beyond dim, a box offset on a STAR mesh, a periodic BC on
 *         a non-periodic dimension or a non-periodic BC on a periodic one, arguments differing
 *         between ranks), DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting
 *         for another rank)
 */
DC_API int dc_mesh_op_create_stencil(dc_mesh_t *mesh, const dc_stencil_t *st, dc_op_t **op_p);

/**
 * Point operator callback: write the dof values of (A x) at point ijk into y. x points at
 * component 0 of point ijk in a ghosted local array whose ghosts are set (halo exchanged and
 * boundary conditions applied): the neighbour at offset (a, b, c) is
 * x[a * stride[0] + b * stride[1] + c * stride[2]], component m at +m. Return 0, or non-zero to
 * stop the apply with DC_ERR_ARG on every rank.
 */
typedef int (*dc_mesh_point_op_fn)(const dc_gidx_t ijk[3], const double *x,
                                   const ptrdiff_t stride[3], double *y, void *ctx);
/**
 * \brief A matrix-free operator from a per-point callback (variable coefficients, own
 * discretisations). Collective on the mesh's env.
 * \param[in]  mesh  the mesh (referenced by the operator)
 * \param[in]  fn    computes (A x) at one point (see dc_mesh_point_op_fn)
 * \param[in]  diag  gives the dof diagonal entries of point ijk for Jacobi preconditioning, or
 *                   NULL (then DC_PC_JACOBI is not available)
 * \param[in]  bc    boundary conditions per side as dc_stencil_t::bc (NULL: Dirichlet
 *                   everywhere; copied)
 * \param[in]  ctx   passed to fn and diag unchanged
 * \param[out] op_p  the new operator, set only on success
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, fn or op_p NULL, bad bc), DC_ERR_NOMEM,
 *         DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_mesh_op_create_pointwise(dc_mesh_t *mesh, dc_mesh_point_op_fn fn,
                                       dc_mesh_point_fn diag, const dc_bc_t (*bc)[2], void *ctx,
                                       dc_op_t **op_p);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_MESH_H */
