/**
 * \file dc_vec.h
 * \defgroup dc_vec Distributed vectors
 * A dc_vec_t holds the local part of a vector of doubles distributed by a layout. BLAS-1 runs on
 * OpenBLAS locally plus one reduction. Reductions (dot, norms, sums) follow the env's
 * reproducibility mode (dc_env_set_repro) unless a *_repro variant gives one per call.
 *
 * Binary operations need congruent layouts (see dc_layout_congruent); vectors on the same layout
 * object always are. Hot-path collectives (dot, norms, max/min) do not agree on argument errors
 * beyond what travels for free in their one reduction: a local error (incompatible layouts) is
 * reported on every rank without a hang, but after any error the vectors' values are undefined.
 * @{
 */
#ifndef DC_VEC_H
#define DC_VEC_H

#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Fill callback: the value of global index g. */
typedef double (*dc_vec_fill_fn)(dc_gidx_t g, void *ctx);

/**
 * \brief Create a zero vector on \p layout (takes a reference to the layout). Collective on the
 * layout's env; an allocation failure on any rank fails on all.
 * \return DC_SUCCESS, DC_ERR_ARG (NULL layout or vec_p), DC_ERR_NOMEM (an allocation failed on
 *         some rank, or a local part too large to address)
 */
DC_API int dc_vec_create(dc_layout_t *layout, dc_vec_t **vec_p);
/** \brief Destroy a vector, set *vec_p = NULL. Local; NULL is a no-op. */
DC_API int dc_vec_destroy(dc_vec_t **vec_p);
/** \brief New vector on the same layout with the same values. Collective. */
DC_API int dc_vec_dup(const dc_vec_t *x, dc_vec_t **y_p);
/**
 * \brief The vector's layout. Local.
 * \param[out] layout_p  the layout, lent: usable while the vector lives (even after the caller's
 *                       own layout handle was destroyed), not the caller's to destroy then
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed vector, layout_p NULL)
 */
DC_API int dc_vec_get_layout(const dc_vec_t *x, dc_layout_t **layout_p);
/** \brief Number of local entries. Local. */
DC_API int dc_vec_get_local_size(const dc_vec_t *x, size_t *nlocal_p);

/**
 * \brief Borrow the local array for reading and writing until dc_vec_restore_array(). Local.
 * Only one borrow at a time: a second one, or any operation that reads or writes x's values
 * meanwhile, is DC_ERR_STATE (getters of sizes and layout still work).
 * Local entry i holds global index dc_layout_local_to_global(layout, rank, i).
 */
DC_API int dc_vec_get_array(dc_vec_t *x, double **array_p);
/** \brief Return the borrowed array; sets *array_p = NULL. Local. A wrong pointer: DC_ERR_STATE. */
DC_API int dc_vec_restore_array(dc_vec_t *x, double **array_p);
/** \brief Read-only borrow (several may be outstanding). Local. */
DC_API int dc_vec_get_array_read(const dc_vec_t *x, const double **array_p);
/** \brief End a read-only borrow. Local. */
DC_API int dc_vec_restore_array_read(const dc_vec_t *x, const double **array_p);

/** \brief x[g] = value for all g. Local (no communication). */
DC_API int dc_vec_set_all(dc_vec_t *x, double value);
/** \brief x[g] = fn(g, ctx) for every global index g this rank owns. Local. */
DC_API int dc_vec_fill(dc_vec_t *x, dc_vec_fill_fn fn, void *ctx);
/**
 * \brief Set x from a full array of N values held by \p root. Collective; root must match.
 * \param[in] global  N doubles, read on root only (may be NULL elsewhere; copied)
 */
DC_API int dc_vec_scatter(dc_vec_t *x, int root, const double *global);
/**
 * \brief Gather x into a full array of N values on \p root. Collective; root must match.
 * root = -1 gathers on every rank. \param[out] global N doubles, written on root(s) only.
 */
DC_API int dc_vec_gather(const dc_vec_t *x, int root, double *global);
/**
 * \brief y = x where x and y are on any two layouts of the same global size and env.
 * One all-to-all. Collective on x's env: x must be the same vector on every rank (see "The
 * operand that defines the communicator" in docs/conventions.md); a y of another env, on any
 * rank, fails on every rank with DC_ERR_COMM.
 */
DC_API int dc_vec_redistribute(const dc_vec_t *x, dc_vec_t *y);

/** \brief y = x (congruent layouts). Local. */
DC_API int dc_vec_copy(const dc_vec_t *x, dc_vec_t *y);
/** \brief x = alpha * x. Local. */
DC_API int dc_vec_scal(dc_vec_t *x, double alpha);
/** \brief y = alpha * x + y. Local. */
DC_API int dc_vec_axpy(dc_vec_t *y, double alpha, const dc_vec_t *x);
/** \brief y = alpha * x + beta * y. Local. */
DC_API int dc_vec_axpby(dc_vec_t *y, double alpha, const dc_vec_t *x, double beta);

/**
 * \brief Global dot product x . y in the env's reproducibility mode. Collective on x's env (x
 * must be the same vector on every rank); a y of another env fails on every rank.
 */
DC_API int dc_vec_dot(const dc_vec_t *x, const dc_vec_t *y, double *result_p);
/** \brief Euclidean norm without overflow or underflow for huge or tiny entries. Collective. */
DC_API int dc_vec_nrm2(const dc_vec_t *x, double *result_p);
/** \brief Sum of |x_i|. Collective. */
DC_API int dc_vec_asum(const dc_vec_t *x, double *result_p);
/** \brief Sum of x_i. Collective. */
DC_API int dc_vec_sum(const dc_vec_t *x, double *result_p);
/** \brief dot with an explicit mode (DC_REPRO_DEFAULT: the env's). Collective. */
DC_API int dc_vec_dot_repro(const dc_vec_t *x, const dc_vec_t *y, dc_repro_t mode,
                            double *result_p);
/** \brief nrm2 with an explicit mode (DC_REPRO_EXACT: correctly rounded). Collective. */
DC_API int dc_vec_nrm2_repro(const dc_vec_t *x, dc_repro_t mode, double *result_p);
/** \brief sum with an explicit mode. Collective. */
DC_API int dc_vec_sum_repro(const dc_vec_t *x, dc_repro_t mode, double *result_p);
/**
 * \brief Largest entry and its global index (smallest index on ties). Collective.
 * A NaN entry wins (the first NaN and its index), as with DC_REDUCE_MAXLOC (dc_types.h); an
 * empty vector gives -Inf and index -1. Either output may be NULL, not both (DC_ERR_ARG on
 * every rank).
 */
DC_API int dc_vec_max(const dc_vec_t *x, double *value_p, dc_gidx_t *index_p);
/**
 * \brief Smallest entry and its global index (smallest index on ties; a NaN entry wins, the
 * first NaN, as with DC_REDUCE_MINLOC); empty: +Inf and -1. Collective. Either output may be
 * NULL, not both.
 */
DC_API int dc_vec_min(const dc_vec_t *x, double *value_p, dc_gidx_t *index_p);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_VEC_H */
