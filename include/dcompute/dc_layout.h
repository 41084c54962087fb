/**
 * \file dc_layout.h
 * \defgroup dc_layout Layouts and process grids
 * A layout partitions the global index space [0, N) over the ranks of an env. Layouts are
 * shared by reference among the vectors built on them (dc_vec_create takes a reference), so
 * destroying the caller's handle does not invalidate the vectors; the destroyed handle itself
 * (and every copy of it) is rejected with DC_ERR_ARG from then on (see docs/conventions.md,
 * "Ownership of pointers").
 *
 * Kinds: block (balanced: ranks below N % P get one extra element), cyclic (index g on rank
 * g % P), block-cyclic(b), weighted (contiguous, proportional to per-rank weights; by default the
 * cores each rank owns), explicit per-rank counts. Owner and global-to-local maps are O(1) for the
 * regular kinds and O(log P) for weighted and explicit ones.
 *
 * The creators are collective and agree on errors: an invalid size on one rank fails on all.
 * @{
 */
#ifndef DC_LAYOUT_H
#define DC_LAYOUT_H

#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Kinds of layouts (dc_layout_get_kind()). */
typedef enum {
    DC_LAYOUT_BLOCK = 0,    /**< balanced contiguous blocks */
    DC_LAYOUT_CYCLIC,       /**< index g on rank g % P */
    DC_LAYOUT_BLOCK_CYCLIC, /**< blocks of b indices dealt round-robin */
    DC_LAYOUT_WEIGHTED,     /**< contiguous, proportional to per-rank weights */
    DC_LAYOUT_EXPLICIT      /**< contiguous, per-rank counts given by the ranks */
} dc_layout_kind_t;

/*
 * The creators are setup-class collectives on env: after the handle check every failure is
 * agreed, so all ranks return the same code. On success *layout_p is the caller's new handle;
 * on failure it is unchanged.
 */

/**
 * \brief Balanced block layout of N indices (ranks below N % P get one extra). Collective, N
 * must match on all ranks.
 * \param[in]  env       the env whose ranks hold the indices
 * \param[in]  n         global size N >= 0
 * \param[out] layout_p  the new layout
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env: at once on that rank; layout_p
 *         NULL), DC_ERR_SIZE (N < 0 or differing across ranks), DC_ERR_NOMEM, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_layout_create_block(dc_env_t *env, dc_gidx_t n, dc_layout_t **layout_p);
/**
 * \brief Cyclic layout: index g lives on rank g % P. Collective, N must match.
 * \param[in]  env       the env whose ranks hold the indices
 * \param[in]  n         global size N >= 0
 * \param[out] layout_p  the new layout
 * \return as dc_layout_create_block(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_SIZE, DC_ERR_NOMEM,
 *         DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_layout_create_cyclic(dc_env_t *env, dc_gidx_t n, dc_layout_t **layout_p);
/**
 * \brief Block-cyclic layout with blocks of \p block indices dealt round-robin. Collective,
 * N and block must match.
 * \param[in]  env       the env whose ranks hold the indices
 * \param[in]  n         global size N >= 0
 * \param[in]  block     block size >= 1
 * \param[out] layout_p  the new layout
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env: at once on that rank; layout_p
 *         NULL), DC_ERR_SIZE (N < 0, block < 1, or either differing across ranks),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_layout_create_block_cyclic(dc_env_t *env, dc_gidx_t n, dc_gidx_t block,
                                         dc_layout_t **layout_p);
/**
 * \brief Contiguous layout proportional to per-rank weights. Collective, N must match.
 * Counts are rounded by largest remainder, ties to the lower rank, so the result is exact.
 * \param[in]  env       the env whose ranks hold the indices
 * \param[in]  n         global size N >= 0
 * \param[in]  weight    this rank's weight (>= 0, finite); a negative value means "the number
 *                       of cores placement gave this rank". Only the ratios count: weights
 *                       whose sum would overflow (e.g. all DBL_MAX) are scaled by a power of
 *                       two first.
 * \param[out] layout_p  the new layout
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env: at once on that rank; layout_p
 *         NULL; a weight NaN or infinite: on every rank), DC_ERR_SIZE (N < 0 or differing
 *         across ranks, all weights zero), DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT
 *         expired waiting for another rank)
 */
DC_API int dc_layout_create_weighted(dc_env_t *env, dc_gidx_t n, double weight,
                                     dc_layout_t **layout_p);
/**
 * \brief Contiguous layout where this rank owns \p nlocal indices, in rank order; N is the sum.
 * Collective.
 * \param[in]  env       the env whose ranks hold the indices
 * \param[in]  nlocal    this rank's count (may differ per rank)
 * \param[out] layout_p  the new layout
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env: at once on that rank; layout_p
 *         NULL), DC_ERR_SIZE (the counts sum past INT64_MAX), DC_ERR_NOMEM, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_layout_create_explicit(dc_env_t *env, size_t nlocal, dc_layout_t **layout_p);

/**
 * \brief Release the caller's reference and set *layout_p = NULL. Local; NULL and
 * *layout_p == NULL are no-ops. Vectors on the layout keep it alive; the released handle is
 * rejected from then on.
 * \param[in,out] layout_p  the caller's handle
 * \return DC_SUCCESS, DC_ERR_ARG (not a layout, destroyed before, or lent by
 *         dc_vec_get_layout() after the caller's own handle was destroyed; nothing is changed)
 */
DC_API int dc_layout_destroy(dc_layout_t **layout_p);

/*
 * Queries: local, no communication. Common codes: DC_SUCCESS; DC_ERR_ARG (invalid or destroyed
 * layout, a required output NULL, a rank or index out of range, as stated per function).
 */

/**
 * \brief The env a layout lives on. Local.
 * \param[in]  layout  the layout
 * \param[out] env_p  the env, lent: usable while the layout lives (even after the caller's own
 *                    env handle was destroyed), not the caller's to destroy then
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed layout, env_p NULL)
 */
DC_API int dc_layout_get_env(const dc_layout_t *layout, dc_env_t **env_p);
/**
 * \brief Kind and, for block-cyclic layouts, the block size (1 for cyclic, 0 otherwise). Local.
 * \param[in]  layout   the layout
 * \param[out] kind_p   the kind (may be NULL if block_p is not)
 * \param[out] block_p  the block size (may be NULL if kind_p is not)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid layout, both outputs NULL)
 */
DC_API int dc_layout_get_kind(const dc_layout_t *layout, dc_layout_kind_t *kind_p,
                              dc_gidx_t *block_p);
/**
 * \brief Global size N. Local.
 * \param[in]  layout  the layout
 * \param[out] n_p  N
 * \return DC_SUCCESS, DC_ERR_ARG (invalid layout, n_p NULL)
 */
DC_API int dc_layout_get_global_size(const dc_layout_t *layout, dc_gidx_t *n_p);
/**
 * \brief Number of indices this rank owns. Local.
 * \param[in]  layout    the layout
 * \param[out] nlocal_p  the count
 * \return DC_SUCCESS, DC_ERR_ARG (invalid layout, nlocal_p NULL)
 */
DC_API int dc_layout_get_local_size(const dc_layout_t *layout, size_t *nlocal_p);
/**
 * \brief Number of indices rank \p rank owns. Local.
 * \param[in]  layout    the layout
 * \param[in]  rank      a rank of the layout's env, in [0, size)
 * \param[out] nlocal_p  the count
 * \return DC_SUCCESS, DC_ERR_ARG (invalid layout, nlocal_p NULL, rank out of range)
 */
DC_API int dc_layout_get_rank_size(const dc_layout_t *layout, int rank, size_t *nlocal_p);
/**
 * \brief Contiguous range [lo, hi) owned by \p rank. Local.
 * \param[in]  layout  the layout
 * \param[in]  rank  a rank in [0, size)
 * \param[out] lo_p  first index (may be NULL if hi_p is not)
 * \param[out] hi_p  one past the last (may be NULL if lo_p is not)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid layout, both outputs NULL, rank out of range),
 *         DC_ERR_NOTSUP (cyclic and block-cyclic layouts: not contiguous)
 */
DC_API int dc_layout_get_range(const dc_layout_t *layout, int rank, dc_gidx_t *lo_p,
                               dc_gidx_t *hi_p);
/**
 * \brief Rank owning global index g. Local.
 * \param[in]  layout  the layout
 * \param[in]  g       a global index, 0 <= g < N
 * \param[out] rank_p  its owner
 * \return DC_SUCCESS, DC_ERR_ARG (invalid layout, rank_p NULL, g out of range)
 */
DC_API int dc_layout_get_owner(const dc_layout_t *layout, dc_gidx_t g, int *rank_p);
/**
 * \brief Owner and local index of global index g. Local.
 * \param[in]  layout  the layout
 * \param[in]  g       a global index, 0 <= g < N
 * \param[out] rank_p  its owner (may be NULL if lidx_p is not)
 * \param[out] lidx_p  its index in the owner's local part (may be NULL if rank_p is not)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid layout, both outputs NULL, g out of range)
 */
DC_API int dc_layout_global_to_local(const dc_layout_t *layout, dc_gidx_t g, int *rank_p,
                                     size_t *lidx_p);
/**
 * \brief Global index of local index \p lidx of rank \p rank. Local.
 * \param[in]  layout  the layout
 * \param[in]  rank  a rank in [0, size)
 * \param[in]  lidx  a local index below that rank's count
 * \param[out] g_p   the global index
 * \return DC_SUCCESS, DC_ERR_ARG (invalid layout, g_p NULL, rank or lidx out of range)
 */
DC_API int dc_layout_local_to_global(const dc_layout_t *layout, int rank, size_t lidx,
                                     dc_gidx_t *g_p);
/**
 * \brief Whether a and b distribute the same indices to the same ranks in the same order.
 * Local. Layouts of different envs are never congruent.
 * \param[in]  a, b         the two layouts
 * \param[out] congruent_p  1 if congruent, else 0
 * \return DC_SUCCESS, DC_ERR_ARG (invalid a or b, congruent_p NULL)
 */
DC_API int dc_layout_congruent(const dc_layout_t *a, const dc_layout_t *b, int *congruent_p);

/**
 * \brief Create a P x Q process grid, row-major over the env's ranks. Collective, arguments must
 * match (agreed: every rank returns the same code). nprow = npcol = 0 picks the near-square
 * factorisation of P (P >= Q, P*Q = size; for a prime size that is size x 1).
 * \param[in]  env           the env whose ranks form the grid
 * \param[in]  nprow, npcol  the shape, nprow * npcol == size, or both 0
 * \param[out] grid_p        the new grid
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, grid_p NULL), DC_ERR_SIZE (a shape that does not
 *         multiply to the size, or differs across ranks), DC_ERR_NOMEM, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_grid_create(dc_env_t *env, int nprow, int npcol, dc_grid_t **grid_p);
/**
 * \brief Destroy a grid and set *grid_p = NULL. Collective (frees its row/column
 * communicators); NULL and *grid_p == NULL are no-ops. Matrices created on it do not need it.
 * \param[in,out] grid_p  the caller's handle
 * \return DC_SUCCESS, DC_ERR_ARG (not a grid handle, or destroyed before)
 */
DC_API int dc_grid_destroy(dc_grid_t **grid_p);
/**
 * \brief Grid shape and this rank's (row, column). Local.
 * \param[in]  grid                              the grid
 * \param[out] nprow_p, npcol_p, myrow_p, mycol_p  any may be NULL, not all
 * \return DC_SUCCESS, DC_ERR_ARG (invalid grid, all outputs NULL)
 */
DC_API int dc_grid_get_info(const dc_grid_t *grid, int *nprow_p, int *npcol_p, int *myrow_p,
                            int *mycol_p);
/**
 * \brief Env rank at grid position (row, col). Local.
 * \param[in]  grid    the grid
 * \param[in]  row     grid row, in [0, nprow)
 * \param[in]  col     grid column, in [0, npcol)
 * \param[out] rank_p  the rank
 * \return DC_SUCCESS, DC_ERR_ARG (invalid grid, rank_p NULL, position outside the grid)
 */
DC_API int dc_grid_get_rank(const dc_grid_t *grid, int row, int col, int *rank_p);
/**
 * \brief Communicators of this rank's grid row and column. Local.
 * \param[in]  grid                    the grid
 * \param[out] row_comm_p, col_comm_p  owned by the grid (do not free); either may be NULL, not
 *                                     both
 * \return DC_SUCCESS, DC_ERR_ARG (invalid grid, both outputs NULL)
 */
DC_API int dc_grid_get_comms(const dc_grid_t *grid, MPI_Comm *row_comm_p, MPI_Comm *col_comm_p);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_LAYOUT_H */
