/**
 * \file dc_mat.h
 * \defgroup dc_mat Distributed dense matrices and GEMM
 * A dc_mat_t holds the local part of an m x n matrix of doubles distributed 2-D block-cyclically
 * over a P x Q process grid, as ScaLAPACK does: rows are cut into blocks of mb and dealt
 * round-robin to the grid rows starting at grid row rsrc, columns into blocks of nb dealt to the
 * grid columns starting at csrc. Pure 2-D block (mb = ceil(m / P), nb = ceil(n / Q)), 1-D row
 * (a P x 1 grid) and 1-D column (1 x Q) distributions are special cases. Grid position
 * (prow, pcol) is env rank prow * Q + pcol (the dc_grid_t convention).
 *
 * Each rank stores its entries column-major in one local array of mloc x nloc entries with
 * leading dimension lld = max(1, mloc): local row li holds the li-th global row this rank owns in
 * increasing order (likewise for columns), exactly ScaLAPACK's local storage.
 *
 * Matrices keep no reference to the grid they were created on (only its shape), so the grid may
 * be destroyed at once; they keep their env alive. Operations on two or more matrices need them
 * on the same env (DC_ERR_COMM otherwise), but not on the same grid or distribution.
 *
 * Errors: every collective here agrees, in every mode (not only with DC_DEBUG), on its outcome
 * and on the arguments that must match (scalars, ops, root, lda, options, the matrices'
 * distributions and the vectors' layouts), in one small allreduce: a bad or differing argument
 * on one rank fails on every rank with the same code, before anything is computed, and the
 * message names the argument and the rank. The operand that defines the communicator (C for
 * GEMM, A or a otherwise) must be the same matrix on every rank; see docs/conventions.md.
 *
 * GEMM chooses the algorithm and the process grid itself from the shapes, the number of ranks and
 * the memory limit (SUMMA with lookahead on a 2-D grid, 1-D splits, or a split of k over layers
 * with a reduction for k >> m, n), redistributing the operands when that is cheaper than using
 * them as they are. dc_mat_gemm_plan() tells what it would do without doing it. With a
 * reproducible mode (the env's, or dc_gemm_params_t::repro), C is bitwise identical for any
 * number of ranks and any distributions of A, B and C.
 *
 * The reproducible algorithm, which fixes the bits: C is cut into tiles of tile_m x tile_n at
 * global multiples; each tile is computed by one rank as T = 0, then for every k panel of
 * tile_k (at global multiples, in increasing order) T += op(A)(tile rows, panel) op(B)(panel,
 * tile columns) by one cblas_dgemm (no transpose, alpha = 1, beta = 1) on copies of the operands,
 * and finally C = alpha T + beta C (alpha T when beta = 0). The same data, tile and BLAS library
 * give the same bits whatever the rank count, grid, distributions or BLAS thread count.
 *
 * Collectives on matrices agree on argument and allocation errors: a bad argument on one rank
 * fails on all with the same code, never a hang. After a failure inside the communication itself
 * (DC_ERR_MPI) the env may only be destroyed.
 * @{
 */
#ifndef DC_MAT_H
#define DC_MAT_H

#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Distributed dense matrix of doubles. */
typedef struct dc_mat dc_mat_t;

/** Fill callback: the value of global entry (i, j). */
typedef double (*dc_mat_fill_fn)(dc_gidx_t i, dc_gidx_t j, void *ctx);

/** Distribution of a matrix (a value type, filled by dc_mat_get_dist()). */
typedef struct dc_mat_dist {
    dc_gidx_t m, n;       /**< global rows and columns */
    dc_gidx_t mb, nb;     /**< row and column block sizes (>= 1) */
    int rsrc, csrc;       /**< grid row and grid column that own the first block */
    int nprow, npcol;     /**< grid shape; position (prow, pcol) is env rank prow * npcol + pcol */
    dc_gidx_t ioff, joff; /**< row 0 (column 0) sits at offset ioff (joff) inside the first
                               block, which then holds mb - ioff rows: the distribution of a
                               ScaLAPACK sub-matrix A(IA:, JA:) with ioff = (IA - 1) % MB.
                               0 <= ioff < mb; 0 for ordinary matrices. */
} dc_mat_dist_t;
/** \var dc_mat_dist::m
 * global rows */
/** \var dc_mat_dist::mb
 * row block size (>= 1) */
/** \var dc_mat_dist::rsrc
 * grid row that owns the first block */
/** \var dc_mat_dist::nprow
 * grid rows; position (prow, pcol) is env rank prow * npcol + pcol */
/** \var dc_mat_dist::ioff
 * row offset of row 0 inside the first block (see joff) */

/** Operation applied to a GEMM or GEMV operand. */
typedef enum {
    DC_MAT_NOTRANS = 0, /**< op(A) = A */
    DC_MAT_TRANS = 1    /**< op(A) = A^T */
} dc_mat_op_t;

/**
 * \brief Create a zero m x n matrix distributed block-cyclically on \p grid's shape.
 * Collective on the grid's env; every argument must match on all ranks.
 * \param[in] grid   process grid (only its shape is used; it may be destroyed afterwards)
 * \param[in] m, n   global size (>= 0)
 * \param[in] mb, nb block sizes (>= 1), or 0 for ceil(m / P) and ceil(n / Q): a pure 2-D block
 *                   distribution
 * \param[in] rsrc, csrc grid row and column of the first block (0 <= rsrc < P, 0 <= csrc < Q)
 * \param[out] mat_p the new matrix, set only on success
 * \return DC_SUCCESS, DC_ERR_ARG (NULL grid or mat_p, rsrc/csrc out of range), DC_ERR_SIZE
 *         (negative size or block, or arguments that differ across ranks), DC_ERR_NOMEM (an
 *         allocation failed on some rank, or a local part too large to address), DC_ERR_MPI,
 *         DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_mat_create(dc_grid_t *grid, dc_gidx_t m, dc_gidx_t n, dc_gidx_t mb, dc_gidx_t nb,
                         int rsrc, int csrc, dc_mat_t **mat_p);
/**
 * \brief Create a zero matrix with the distribution \p dist on the ranks of \p env (the grid is
 * dist->nprow x dist->npcol, which must multiply to the env's size). Collective on env; every
 * field of dist must match on all ranks.
 * \param[in]  env    the env whose ranks hold the matrix
 * \param[in]  dist   the distribution (copied)
 * \param[out] mat_p  the new matrix, set only on success
 * \return as dc_mat_create(): DC_SUCCESS, DC_ERR_ARG (invalid env: at once on that rank; dist or
 *         mat_p NULL, rsrc/csrc or ioff/joff out of range), DC_ERR_SIZE (negative size or
 *         block, nprow * npcol not the number of ranks, fields that differ across ranks),
 *         DC_ERR_NOMEM (on any rank), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting
 *         for another rank)
 */
DC_API int dc_mat_create_dist(dc_env_t *env, const dc_mat_dist_t *dist, dc_mat_t **mat_p);
/**
 * \brief Wrap existing local storage as a matrix (no copy): the ScaLAPACK way of handing arrays
 * to the library. Collective on env; the distribution must match on all ranks.
 * \param[in]  env    the env whose ranks hold the matrix
 * \param[in]  dist   distribution (with ioff/joff for a sub-matrix view); mb and nb must be given
 * \param[in]  data   this rank's local array, column-major (borrowed until dc_mat_destroy; may
 *                    be NULL where the rank owns no entry)
 * \param[in]  lld    its leading dimension, >= max(1, local rows)
 * \param[out] mat_p  the new matrix, set only on success
 * \return as dc_mat_create_dist(): DC_SUCCESS, DC_ERR_ARG (also: a NULL data that owns entries
 *         or a short lld), DC_ERR_SIZE, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_mat_create_view(dc_env_t *env, const dc_mat_dist_t *dist, double *data, size_t lld,
                              dc_mat_t **mat_p);
/**
 * \brief New matrix with the same distribution and values. Collective on the matrix's env.
 * \param[in]  a    the matrix to copy (not borrowed read-write)
 * \param[out] b_p  the new matrix (it owns its array, also for a view), set only on success
 * \return DC_SUCCESS, DC_ERR_ARG (invalid a, b_p NULL), DC_ERR_STATE (a borrowed read-write),
 *         DC_ERR_NOMEM (on any rank), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for
 *         another rank)
 */
DC_API int dc_mat_dup(const dc_mat_t *a, dc_mat_t **b_p);
/**
 * \brief Destroy a matrix, set *mat_p = NULL. Local; NULL and *mat_p == NULL are no-ops. A view
 * leaves the wrapped array to its owner.
 * \param[in,out] mat_p  the caller's handle
 * \return DC_SUCCESS, DC_ERR_ARG (not a matrix handle, or destroyed before: nothing changed)
 */
DC_API int dc_mat_destroy(dc_mat_t **mat_p);

/**
 * \brief The env the matrix lives on. Local.
 * \param[in]  a      the matrix
 * \param[out] env_p  the env, lent: usable while the matrix lives (even after the caller's own
 *                    env handle was destroyed), not the caller's to destroy then
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed matrix, env_p NULL)
 */
DC_API int dc_mat_get_env(const dc_mat_t *a, dc_env_t **env_p);
/**
 * \brief The matrix's distribution. Local.
 * \param[in]  a       the matrix
 * \param[out] dist_p  filled (a copy)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid matrix, dist_p NULL)
 */
DC_API int dc_mat_get_dist(const dc_mat_t *a, dc_mat_dist_t *dist_p);
/**
 * \brief Local extent: this rank's rows, columns and leading dimension (max(1, mloc)). Local.
 * Any output may be NULL, not all.
 * \param[in]  a       the matrix
 * \param[out] mloc_p  local rows
 * \param[out] nloc_p  local columns
 * \param[out] lld_p   leading dimension of the local array
 * \return DC_SUCCESS, DC_ERR_ARG (invalid matrix, all outputs NULL)
 */
DC_API int dc_mat_get_local_size(const dc_mat_t *a, size_t *mloc_p, size_t *nloc_p, size_t *lld_p);
/**
 * \brief Global row and column of local entry (li, lj) of this rank. Local.
 * \param[in]  a    the matrix
 * \param[in]  li   local row, < mloc
 * \param[in]  lj   local column, < nloc
 * \param[out] i_p  global row (may be NULL if j_p is not)
 * \param[out] j_p  global column (may be NULL if i_p is not)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid matrix, li >= mloc or lj >= nloc, both outputs NULL)
 */
DC_API int dc_mat_local_to_global(const dc_mat_t *a, size_t li, size_t lj, dc_gidx_t *i_p,
                                  dc_gidx_t *j_p);
/**
 * \brief Owner (env rank) of global entry (i, j) and its local position there. Local.
 * \param[in]  a       the matrix
 * \param[in]  i       global row, in [0, m)
 * \param[in]  j       global column, in [0, n)
 * \param[out] rank_p  the owner's env rank (any output may be NULL, not all)
 * \param[out] li_p    local row on the owner
 * \param[out] lj_p    local column on the owner
 * \return DC_SUCCESS, DC_ERR_ARG (invalid matrix, (i, j) outside the matrix, all outputs NULL)
 */
DC_API int dc_mat_global_to_local(const dc_mat_t *a, dc_gidx_t i, dc_gidx_t j, int *rank_p,
                                  size_t *li_p, size_t *lj_p);

/**
 * \brief Borrow the local array (column-major, leading dimension *lld_p) for reading and writing
 * until dc_mat_restore_array(). Local. Only one borrow at a time: another borrow, or any other
 * operation on the matrix meanwhile, is DC_ERR_STATE.
 * \param[in]  a       the matrix
 * \param[out] array_p local array (borrowed; may be a valid pointer to no entries)
 * \param[out] lld_p   leading dimension; may be NULL
 * \return DC_SUCCESS, DC_ERR_ARG (invalid matrix, array_p NULL), DC_ERR_STATE (already borrowed)
 */
DC_API int dc_mat_get_array(dc_mat_t *a, double **array_p, size_t *lld_p);
/**
 * \brief End a read-write borrow; sets *array_p = NULL. Local.
 * \param[in]     a        the matrix
 * \param[in,out] array_p  the array dc_mat_get_array() gave
 * \return DC_SUCCESS, DC_ERR_ARG (invalid matrix, array_p NULL), DC_ERR_STATE (not borrowed
 *         read-write, or not the array that was lent)
 */
DC_API int dc_mat_restore_array(dc_mat_t *a, double **array_p);
/**
 * \brief Read-only borrow (several may be outstanding; reading operations stay allowed). Local.
 * \param[in]  a       the matrix
 * \param[out] array_p local array (borrowed until dc_mat_restore_array_read())
 * \param[out] lld_p   leading dimension; may be NULL
 * \return DC_SUCCESS, DC_ERR_ARG (invalid matrix, array_p NULL), DC_ERR_STATE (borrowed
 *         read-write)
 */
DC_API int dc_mat_get_array_read(const dc_mat_t *a, const double **array_p, size_t *lld_p);
/**
 * \brief End a read-only borrow; sets *array_p = NULL. Local.
 * \param[in]     a        the matrix
 * \param[in,out] array_p  the array dc_mat_get_array_read() gave
 * \return DC_SUCCESS, DC_ERR_ARG (invalid matrix, array_p NULL), DC_ERR_STATE (no read borrow
 *         outstanding, or not the array that was lent)
 */
DC_API int dc_mat_restore_array_read(const dc_mat_t *a, const double **array_p);

/**
 * \brief a(i, j) = value for every entry. Local (no communication).
 * \param[in] a      the matrix (written: not borrowed)
 * \param[in] value  the value of every entry
 * \return DC_SUCCESS, DC_ERR_ARG (invalid matrix), DC_ERR_STATE (a borrowed)
 */
DC_API int dc_mat_set_all(dc_mat_t *a, double value);
/**
 * \brief a(i, j) = fn(i, j, ctx) for every entry this rank owns. Local.
 * \param[in] a    the matrix (written: not borrowed)
 * \param[in] fn   the entries' formula
 * \param[in] ctx  passed to fn unchanged (may be NULL)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid matrix, fn NULL), DC_ERR_STATE (a borrowed)
 */
DC_API int dc_mat_fill(dc_mat_t *a, dc_mat_fill_fn fn, void *ctx);

/**
 * \brief Set a from a full m x n column-major array held by \p root. Collective; root, lda and
 * a must match (checked in every mode: DC_ERR_ARG on every rank). One scatter of packed blocks.
 * \param[in] a       the matrix (written: not borrowed)
 * \param[in] root    the rank that holds the array, in [0, size)
 * \param[in] global  column-major array with leading dimension lda >= max(1, m), read on root
 *                    only (may be NULL elsewhere; copied)
 * \param[in] lda     its leading dimension
 * \return DC_SUCCESS, DC_ERR_ARG (invalid matrix, root out of range, NULL global on root,
 *         lda < m, arguments differing across ranks), DC_ERR_STATE (a is borrowed),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_mat_scatter(dc_mat_t *a, int root, const double *global, size_t lda);
/**
 * \brief Gather a into a full m x n column-major array on \p root (root = -1: on every rank).
 * Collective; root, lda and a must match (checked in every mode: DC_ERR_ARG on every rank).
 * \param[in]  a       the matrix (read: not borrowed read-write)
 * \param[in]  root    the receiving rank in [0, size), or -1 for all
 * \param[out] global  array with leading dimension lda >= max(1, m), written on root(s) only
 * \param[in]  lda     its leading dimension
 * \return as dc_mat_scatter(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE (a borrowed read-write),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_mat_gather(const dc_mat_t *a, int root, double *global, size_t lda);
/**
 * \brief b = a for matrices of the same global size and env on any two distributions: one packed
 * all-to-all (the COSTA idea). Collective on a's env: a must be the same matrix on every rank;
 * a b of another env (on any rank) or a different b on some rank fails on every rank. a == b is
 * allowed (nothing to do).
 * \param[in]  a  the source (read: not borrowed read-write)
 * \param[out] b  the destination (written: not borrowed)
 * \return DC_SUCCESS, DC_ERR_SIZE (different global sizes), DC_ERR_COMM (different envs),
 *         DC_ERR_ARG (invalid handle; b differs across ranks), DC_ERR_STATE (borrowed),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_mat_redistribute(const dc_mat_t *a, dc_mat_t *b);
/**
 * \brief b = a^T, where b is n x m on any distribution of the same env. One packed all-to-all.
 * Collective on a's env, as dc_mat_redistribute(). a and b must be different matrices.
 * \param[in]  a  the source, m x n (read: not borrowed read-write)
 * \param[out] b  the destination, n x m (written: not borrowed; not a)
 * \return as dc_mat_redistribute(): DC_SUCCESS, DC_ERR_SIZE (b not n x m), DC_ERR_COMM,
 *         DC_ERR_ARG (also: a == b), DC_ERR_STATE, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_mat_transpose(const dc_mat_t *a, dc_mat_t *b);

/**
 * \brief y = alpha op(A) x + beta y with distributed vectors on any layouts of the env (x of the
 * length of op(A)'s columns, y of its rows). Collective on A's env (A must be the same matrix on
 * every rank); op, alpha, beta and the vectors' layouts must match (checked in every mode).
 * beta = 0 ignores y's old values (even NaN). The local products use OpenBLAS dgemv; partial
 * sums are combined by one reduction.
 * \param[in]     op     DC_MAT_NOTRANS or DC_MAT_TRANS
 * \param[in]     alpha  factor of op(A) x
 * \param[in]     a      the matrix A (read: not borrowed read-write)
 * \param[in]     x      the input vector (not borrowed read-write)
 * \param[in]     beta   factor of y
 * \param[in,out] y      the output vector (not borrowed; not x)
 * \return DC_SUCCESS, DC_ERR_SIZE (lengths do not match), DC_ERR_COMM (x or y of another env, on
 *         any rank), DC_ERR_ARG (invalid handle, bad op, x == y, an argument that differs across
 *         ranks), DC_ERR_STATE (an operand borrowed), DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 *         (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_mat_gemv(dc_mat_op_t op, double alpha, const dc_mat_t *a, const dc_vec_t *x,
                       double beta, dc_vec_t *y);

/** GEMM algorithms (dc_gemm_params_t::algo). */
typedef enum {
    DC_GEMM_AUTO = 0, /**< chosen from the shapes, the rank count and the memory limit */
    DC_GEMM_SUMMA,    /**< SUMMA with lookahead on a pr x pc grid (1-D when pr or pc is 1) */
    DC_GEMM_SPLITK    /**< k split over layers, SUMMA in each layer, then a reduce-scatter
                           of C (2.5-D / 3-D, COSMA-style: for k >> m, n, and for square
                           shapes on operands laid out for it); not in reproducible mode; on
                           one rank it is plain SUMMA. Operands already on the 3-D layout of a
                           pr x pc x pk plan are used in place: A on a pr x (pk pc) grid with
                           k blocks of nba, B on (pr pk) x pc with k blocks of pc nba, C on
                           pr x (pk pc) with ceil(n / (pc pk)) columns per block (all first
                           blocks on coordinate 0); each rank then receives only its layer's
                           panels and its share of the reduction */
} dc_gemm_algo_t;

/** Bits of dc_gemm_params_t::field_mask: only fields whose bit is set are read. */
enum {
    DC_GEMM_PARAM_REPRO = 1u << 0,     /**< repro */
    DC_GEMM_PARAM_MEM_LIMIT = 1u << 1, /**< mem_limit */
    DC_GEMM_PARAM_ALGO = 1u << 2,      /**< algo */
    DC_GEMM_PARAM_GRID = 1u << 3,      /**< nprow, npcol, nlayers */
    DC_GEMM_PARAM_PANEL = 1u << 4,     /**< panel */
    DC_GEMM_PARAM_TILE = 1u << 5       /**< tile_m, tile_n, tile_k */
};

/**
 * GEMM options. Unset fields: the env's reproducibility mode, no memory limit, automatic choice.
 * All fields must match on every rank. New fields are only appended.
 */
typedef struct dc_gemm_params {
    uint64_t field_mask; /**< DC_GEMM_PARAM_* bits of the fields set */
    dc_repro_t repro;    /**< DC_REPRO_OFF: fastest; _BINNED or _EXACT: C bitwise identical for
                              any rank count and distribution (both give the same bits) */
    size_t mem_limit;    /**< bytes of temporary memory per rank the call may use (0: no limit);
                              an algorithm that needs more is never chosen */
    dc_gemm_algo_t algo; /**< force an algorithm (DC_GEMM_AUTO: choose) */
    int nprow, npcol, nlayers;  /**< force the grid (product = rank count); 0 = choose */
    int panel;                  /**< width of the k panels broadcast by SUMMA; 0 = choose */
    int tile_m, tile_n, tile_k; /**< reproducible mode: output tile and k panel (default 128 x
                               128, k 256). The same bits need the same tile on every run. */
} dc_gemm_params_t;
/** \var dc_gemm_params::nprow
 * rows of the forced grid (DC_GEMM_PARAM_GRID; 0 = choose) */
/** \var dc_gemm_params::npcol
 * columns of the forced grid (DC_GEMM_PARAM_GRID; 0 = choose) */
/** \var dc_gemm_params::tile_m
 * reproducible mode: rows of an output tile (DC_GEMM_PARAM_TILE; default 128) */
/** \var dc_gemm_params::tile_n
 * reproducible mode: columns of an output tile (DC_GEMM_PARAM_TILE; default 128) */

/**
 * Communication of one rank in one GEMM, counted by the library where it makes the MPI calls:
 * the redistributions of A, B and C (entries exchanged with other ranks in the all-to-all; a
 * message is a non-empty exchange with one partner), the panel broadcasts (a receiver gets one
 * message of the panel's entries; the root counts one message to each other rank of its grid
 * row or column) and the reduce-scatter of the layers (each other layer's part of this rank's
 * chunk, one message each). Words are doubles. The small agreements (one integer) are not
 * counted. Logical point-to-point volumes: what an MPI library moves inside its collectives may
 * differ, but what a rank must receive does not.
 */
typedef struct dc_gemm_comm {
    double words_sent, words_recv; /**< doubles sent to / received from other ranks */
    double msgs_sent, msgs_recv;   /**< messages sent / received */
} dc_gemm_comm_t;
/** \var dc_gemm_comm::words_sent
 * doubles sent to other ranks */
/** \var dc_gemm_comm::msgs_sent
 * messages sent to other ranks */

/** What a GEMM does or would do (dc_mat_gemm_plan(), dc_mat_gemm_ex()). */
typedef struct dc_gemm_plan {
    dc_gemm_algo_t algo;       /**< DC_GEMM_SUMMA or DC_GEMM_SPLITK */
    int nprow, npcol, nlayers; /**< grid of the computation (nprow * npcol * nlayers = P) */
    int panel;                 /**< k panel width (the k tile in reproducible mode) */
    int repro;                 /**< 1 if reproducible */
    int redist_a, redist_b;    /**< 1 if A / B are redistributed first, 0 if used in place */
    int c_in_place;            /**< 1 if C is updated in place, 0 if computed apart and added */
    size_t mem_bytes;          /**< temporary memory of the most loaded rank, in bytes */
    double comm_bytes;         /**< bytes received by the most loaded rank, computed from the
                                    distributions (what dc_gemm_comm_t::words_recv counts) */
    double est_seconds;        /**< model estimate of the time */
    int nsteps;                /**< k panels of a layer (broadcast steps on a grid of more
                                    than one rank); outside reproducible mode a panel gathers
                                    several blocks of the same owner, so with a small block
                                    (ScaLAPACK's NB) the local products stay wide */
    int gather_b;              /**< 1 on a P x 1 grid whose k panels would be narrow: all of
                                    op(B) is gathered at once (the same words as the panel
                                    broadcasts) and multiplied by one dgemm; nsteps is then 1 */
    dc_gemm_comm_t comm;       /**< this rank's traffic in the call (dc_mat_gemm_ex() only;
                                    zero from dc_mat_gemm_plan() and when nothing was computed) */
} dc_gemm_plan_t;
/** \var dc_gemm_plan::nprow
 * rows of the grid of the computation */
/** \var dc_gemm_plan::npcol
 * columns of the grid of the computation */
/** \var dc_gemm_plan::redist_a
 * 1 if A is redistributed first, 0 if used in place */

/**
 * \brief C = alpha op(A) op(B) + beta C. Collective on C's env (C must be the same matrix on every
 * rank); A and B of another env, on any rank, fail on every rank with DC_ERR_COMM. The other
 * arguments (opa, opb, alpha, beta, A, B, params) must match on all ranks: this is checked in
 * every mode, before anything is computed (DC_ERR_ARG on every rank, C unchanged).
 * Any distributions, any sizes (0 included); C must not be A or B.
 * beta = 0 ignores C's old values (even NaN); alpha = 0 or k = 0 only scales C.
 * Uses the env's reproducibility mode.
 * \param[in]     opa    DC_MAT_NOTRANS or DC_MAT_TRANS: op(A)
 * \param[in]     opb    DC_MAT_NOTRANS or DC_MAT_TRANS: op(B)
 * \param[in]     alpha  factor of op(A) op(B)
 * \param[in]     a      the matrix A (read: not borrowed read-write)
 * \param[in]     b      the matrix B (read: not borrowed read-write)
 * \param[in]     beta   factor of C
 * \param[in,out] c      the matrix C (not borrowed; neither a nor b)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, C aliases A or B, bad op, an argument that
 *         differs across ranks), DC_ERR_SIZE (shapes do not match), DC_ERR_COMM (different
 *         envs), DC_ERR_STATE (borrowed), DC_ERR_NOMEM (an allocation failed on some rank; also
 *         when no algorithm fits the memory limit), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT
 *         expired waiting for another rank). The same code on every rank.
 */
DC_API int dc_mat_gemm(dc_mat_op_t opa, dc_mat_op_t opb, double alpha, const dc_mat_t *a,
                       const dc_mat_t *b, double beta, dc_mat_t *c);
/**
 * \brief dc_mat_gemm() with options; reports the plan it ran in *plan_p (may be NULL), with
 * this rank's communication in plan_p->comm (dc_gemm_comm_t). Collective on C's env.
 * \param[in]     opa     DC_MAT_NOTRANS or DC_MAT_TRANS: op(A)
 * \param[in]     opb     DC_MAT_NOTRANS or DC_MAT_TRANS: op(B)
 * \param[in]     alpha   factor of op(A) op(B)
 * \param[in]     a       the matrix A (read: not borrowed read-write)
 * \param[in]     b       the matrix B (read: not borrowed read-write)
 * \param[in]     beta    factor of C
 * \param[in,out] c       the matrix C (not borrowed; neither a nor b)
 * \param[in]     params  options (must match on all ranks), or NULL for the defaults
 * \param[out]    plan_p  the plan that ran and this rank's traffic, or NULL
 * \return as dc_mat_gemm(): DC_SUCCESS, DC_ERR_ARG (also: a params field out of range or
 *         differing), DC_ERR_SIZE, DC_ERR_COMM, DC_ERR_STATE, DC_ERR_NOMEM, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT
 */
DC_API int dc_mat_gemm_ex(dc_mat_op_t opa, dc_mat_op_t opb, double alpha, const dc_mat_t *a,
                          const dc_mat_t *b, double beta, dc_mat_t *c,
                          const dc_gemm_params_t *params, dc_gemm_plan_t *plan_p);
/**
 * \brief Dry run: the plan dc_mat_gemm_ex() would run, its memory and its cost estimate,
 * without computing or communicating. Local (the plan depends only on global arguments, so
 * every rank gets the same one).
 * \param[in]  opa     DC_MAT_NOTRANS or DC_MAT_TRANS: op(A)
 * \param[in]  opb     DC_MAT_NOTRANS or DC_MAT_TRANS: op(B)
 * \param[in]  a       the matrix A
 * \param[in]  b       the matrix B
 * \param[in]  c       the matrix C
 * \param[in]  params  options, or NULL for the defaults
 * \param[out] plan_p  the plan
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, plan_p NULL, bad op, C aliases A or B, a
 *         params field out of range), DC_ERR_SIZE (shapes do not match), DC_ERR_COMM (different
 *         envs), DC_ERR_NOMEM (no algorithm fits the memory limit)
 */
DC_API int dc_mat_gemm_plan(dc_mat_op_t opa, dc_mat_op_t opb, const dc_mat_t *a, const dc_mat_t *b,
                            const dc_mat_t *c, const dc_gemm_params_t *params,
                            dc_gemm_plan_t *plan_p);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_MAT_H */
