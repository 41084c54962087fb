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

typedef enum {
    DC_LAYOUT_BLOCK = 0,
    DC_LAYOUT_CYCLIC,
    DC_LAYOUT_BLOCK_CYCLIC,
    DC_LAYOUT_WEIGHTED,
    DC_LAYOUT_EXPLICIT
} dc_layout_kind_t;

/**
 * \brief Balanced block layout of N indices. Collective, N must match on all ranks.
 * \return DC_SUCCESS, DC_ERR_ARG (NULL env or layout_p), DC_ERR_SIZE (N < 0 or N differs)
 */
DC_API int dc_layout_create_block(dc_env_t *env, dc_gidx_t n, dc_layout_t **layout_p);
/** \brief Cyclic layout: index g lives on rank g % P. Collective, N must match. */
DC_API int dc_layout_create_cyclic(dc_env_t *env, dc_gidx_t n, dc_layout_t **layout_p);
/**
 * \brief Block-cyclic layout with blocks of \p block indices dealt round-robin. Collective,
 * N and block must match; block >= 1 (DC_ERR_SIZE otherwise).
 */
DC_API int dc_layout_create_block_cyclic(dc_env_t *env, dc_gidx_t n, dc_gidx_t block,
                                         dc_layout_t **layout_p);
/**
 * \brief Contiguous layout proportional to per-rank weights. Collective, N must match.
 * \param[in] weight  this rank's weight (>= 0, finite); a negative value means "the number of
 *                    cores placement gave this rank". All weights zero: DC_ERR_SIZE. Only the
 *                    ratios count: weights whose sum would overflow (e.g. all DBL_MAX) are
 *                    scaled by a power of two first.
 * Counts are rounded by largest remainder, ties to the lower rank, so the result is exact.
 */
DC_API int dc_layout_create_weighted(dc_env_t *env, dc_gidx_t n, double weight,
                                     dc_layout_t **layout_p);
/** \brief Contiguous layout where this rank owns \p nlocal indices; N is the sum. Collective. */
DC_API int dc_layout_create_explicit(dc_env_t *env, size_t nlocal, dc_layout_t **layout_p);

/**
 * \brief Release the caller's reference and set *layout_p = NULL. Local; NULL is a no-op.
 * Vectors on the layout keep it alive; the released handle is rejected from then on.
 * \return DC_SUCCESS, DC_ERR_ARG (not a layout, destroyed before, or lent by
 *         dc_vec_get_layout() after the caller's own handle was destroyed; nothing is changed)
 */
DC_API int dc_layout_destroy(dc_layout_t **layout_p);

/**
 * \brief The env a layout lives on. Local.
 * \param[out] env_p  the env, lent: usable while the layout lives (even after the caller's own
 *                    env handle was destroyed), not the caller's to destroy then
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed layout, env_p NULL)
 */
DC_API int dc_layout_get_env(const dc_layout_t *layout, dc_env_t **env_p);
/**
 * \brief Kind and, for block-cyclic layouts, the block size (1 for cyclic, 0 otherwise). Local.
 * Either output may be NULL, not both (DC_ERR_ARG).
 */
DC_API int dc_layout_get_kind(const dc_layout_t *layout, dc_layout_kind_t *kind_p,
                              dc_gidx_t *block_p);
/** \brief Global size N. Local. */
DC_API int dc_layout_get_global_size(const dc_layout_t *layout, dc_gidx_t *n_p);
/** \brief Number of indices this rank owns. Local. */
DC_API int dc_layout_get_local_size(const dc_layout_t *layout, size_t *nlocal_p);
/** \brief Number of indices rank \p rank owns. Local. DC_ERR_ARG for a rank out of range. */
DC_API int dc_layout_get_rank_size(const dc_layout_t *layout, int rank, size_t *nlocal_p);
/**
 * \brief Contiguous range [lo, hi) owned by \p rank. Local. Either output may be NULL, not both.
 * \return DC_ERR_NOTSUP for cyclic and block-cyclic layouts (not contiguous).
 */
DC_API int dc_layout_get_range(const dc_layout_t *layout, int rank, dc_gidx_t *lo_p,
                               dc_gidx_t *hi_p);
/** \brief Rank owning global index g (0 <= g < N, else DC_ERR_ARG). Local. */
DC_API int dc_layout_get_owner(const dc_layout_t *layout, dc_gidx_t g, int *rank_p);
/** \brief Owner and local index of global index g. Local. Either output may be NULL, not both. */
DC_API int dc_layout_global_to_local(const dc_layout_t *layout, dc_gidx_t g, int *rank_p,
                                     size_t *lidx_p);
/** \brief Global index of local index \p lidx of rank \p rank. Local. */
DC_API int dc_layout_local_to_global(const dc_layout_t *layout, int rank, size_t lidx,
                                     dc_gidx_t *g_p);
/**
 * \brief 1 if a and b distribute the same indices to the same ranks, else 0. Local.
 * Layouts of different envs are never congruent.
 */
DC_API int dc_layout_congruent(const dc_layout_t *a, const dc_layout_t *b, int *congruent_p);

/**
 * \brief Create a P x Q process grid, row-major over the env's ranks. Collective, arguments must
 * match. nprow = npcol = 0 picks the near-square factorisation of P (P >= Q, P*Q = size; for a
 * prime size that is size x 1). A given grid must satisfy nprow * npcol == size (DC_ERR_SIZE).
 */
DC_API int dc_grid_create(dc_env_t *env, int nprow, int npcol, dc_grid_t **grid_p);
/** \brief Destroy a grid (collective: frees its row/column communicators). NULL is a no-op. */
DC_API int dc_grid_destroy(dc_grid_t **grid_p);
/** \brief Grid shape and this rank's (row, column). Local. Any output may be NULL, not all. */
DC_API int dc_grid_get_info(const dc_grid_t *grid, int *nprow_p, int *npcol_p, int *myrow_p,
                            int *mycol_p);
/** \brief Env rank at grid position (row, col). Local. */
DC_API int dc_grid_get_rank(const dc_grid_t *grid, int row, int col, int *rank_p);
/** \brief Communicators of this rank's grid row and column (owned by the grid). Local. */
DC_API int dc_grid_get_comms(const dc_grid_t *grid, MPI_Comm *row_comm_p, MPI_Comm *col_comm_p);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_LAYOUT_H */
