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
 *
 * **Hot-path reductions** (dc_vec_dot(), dc_vec_nrm2(), dc_vec_asum(), dc_vec_sum(), their
 * *_repro forms, dc_vec_max(), dc_vec_min()): each is one reduction on the vector's env, in
 * which a local failure travels so that every rank returns an error (the failing rank its own,
 * the others DC_ERR_ARG "another rank passed invalid arguments"); none hangs. The binary ones
 * are collective on x's env (x must be the same vector on every rank); a y of another env fails
 * on every rank. With DC_DEBUG the operation, mode and global size are also checked to match.
 * After an error the env may only be destroyed (docs/conventions.md).
 * @{
 */
#ifndef DC_VEC_H
#define DC_VEC_H

#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Fill callback: the value of global index g (ctx as given to dc_vec_fill()). */
typedef double (*dc_vec_fill_fn)(dc_gidx_t g, void *ctx);

/* ------------------------------------------------------------------ lifecycle */

/**
 * \brief Create a zero vector on \p layout (takes a reference to the layout). Collective on the
 * layout's env; an allocation failure on any rank fails on all.
 * \param[in]  layout  the distribution (referenced: the caller may destroy its handle)
 * \param[out] vec_p   the new vector, set only on success
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed layout: at once on that rank; vec_p NULL),
 *         DC_ERR_NOMEM (an allocation failed on some rank, or a local part too large to
 *         address), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_vec_create(dc_layout_t *layout, dc_vec_t **vec_p);
/**
 * \brief Destroy a vector and set *vec_p = NULL. Local; NULL and *vec_p == NULL are no-ops.
 * A vector still borrowed is freed anyway (logged with DC_VERBOSE).
 * \param[in,out] vec_p  the caller's handle
 * \return DC_SUCCESS, DC_ERR_ARG (not a vector handle, or destroyed before: nothing changed)
 */
DC_API int dc_vec_destroy(dc_vec_t **vec_p);
/**
 * \brief New vector on the same layout with the same values. Collective on x's env.
 * \param[in]  x    the vector to copy (read: not borrowed read-write)
 * \param[out] y_p  the new vector, set only on success
 * \return DC_SUCCESS, DC_ERR_ARG (invalid x, y_p NULL), DC_ERR_STATE (x borrowed read-write),
 *         DC_ERR_NOMEM (on any rank), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for
 *         another rank)
 */
DC_API int dc_vec_dup(const dc_vec_t *x, dc_vec_t **y_p);
/**
 * \brief The vector's layout. Local.
 * \param[in]  x         the vector
 * \param[out] layout_p  the layout, lent: usable while the vector lives (even after the caller's
 *                       own layout handle was destroyed), not the caller's to destroy then
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed vector, layout_p NULL)
 */
DC_API int dc_vec_get_layout(const dc_vec_t *x, dc_layout_t **layout_p);
/**
 * \brief Number of entries this rank holds. Local.
 * \param[in]  x         the vector
 * \param[out] nlocal_p  the local size
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector, nlocal_p NULL)
 */
DC_API int dc_vec_get_local_size(const dc_vec_t *x, size_t *nlocal_p);

/* ------------------------------------------------------------------ local data */

/**
 * \brief Borrow the local array for reading and writing until dc_vec_restore_array(). Local.
 * Only one borrow at a time: a second one, or any operation that reads or writes x's values
 * meanwhile, is DC_ERR_STATE (getters of sizes and layout still work).
 * Local entry i holds global index dc_layout_local_to_global(layout, rank, i).
 * \param[in]  x        the vector
 * \param[out] array_p  the local array (nlocal doubles, 64-byte aligned), borrowed until
 *                      dc_vec_restore_array()
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector, array_p NULL), DC_ERR_STATE (already borrowed)
 */
DC_API int dc_vec_get_array(dc_vec_t *x, double **array_p);
/**
 * \brief Return the borrowed array; sets *array_p = NULL. Local.
 * \param[in]     x        the vector
 * \param[in,out] array_p  the array dc_vec_get_array() gave
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector, array_p NULL), DC_ERR_STATE (not borrowed
 *         read-write, or not the array that was lent)
 */
DC_API int dc_vec_restore_array(dc_vec_t *x, double **array_p);
/**
 * \brief Read-only borrow (several may be outstanding; writes to x meanwhile are DC_ERR_STATE).
 * Local.
 * \param[in]  x        the vector
 * \param[out] array_p  the local array, borrowed until dc_vec_restore_array_read()
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector, array_p NULL), DC_ERR_STATE (borrowed
 *         read-write)
 */
DC_API int dc_vec_get_array_read(const dc_vec_t *x, const double **array_p);
/**
 * \brief End a read-only borrow; sets *array_p = NULL. Local.
 * \param[in]     x        the vector
 * \param[in,out] array_p  the array dc_vec_get_array_read() gave
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector, array_p NULL), DC_ERR_STATE (no read borrow
 *         outstanding, or not the array that was lent)
 */
DC_API int dc_vec_restore_array_read(const dc_vec_t *x, const double **array_p);

/**
 * \brief x[g] = value for all g. Local (no communication).
 * \param[in] x      the vector (written: not borrowed)
 * \param[in] value  the value of every entry
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed vector), DC_ERR_STATE (x borrowed)
 */
DC_API int dc_vec_set_all(dc_vec_t *x, double value);
/**
 * \brief x[g] = fn(g, ctx) for every global index g this rank owns, in increasing g. Local.
 * \param[in] x    the vector
 * \param[in] fn   the values' formula
 * \param[in] ctx  passed to fn unchanged (may be NULL)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector, fn NULL), DC_ERR_STATE (x borrowed)
 */
DC_API int dc_vec_fill(dc_vec_t *x, dc_vec_fill_fn fn, void *ctx);

/* ------------------------------------------------------------------ data movement */

/**
 * \brief Set x from a full array of N values held by \p root. Collective on x's env; root must
 * match (checked: agrees on errors like a create).
 * \param[in] x       the vector (written: not borrowed)
 * \param[in] root    the rank that holds the array, in [0, size)
 * \param[in] global  N doubles in global order, read on root only (may be NULL elsewhere; copied)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector; root out of range or differing; global NULL on
 *         root), DC_ERR_SIZE (N > INT_MAX), DC_ERR_STATE (x borrowed), DC_ERR_NOMEM, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_vec_scatter(dc_vec_t *x, int root, const double *global);
/**
 * \brief Gather x into a full array of N values on \p root, or on every rank with root = -1.
 * Collective on x's env; root must match (checked: agrees on errors like a create).
 * \param[in]  x       the vector (read: not borrowed read-write)
 * \param[in]  root    the receiving rank in [0, size), or -1 for all
 * \param[out] global  N doubles in global order, written on the root(s) only (NULL elsewhere)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector; root out of range or differing; global NULL on
 *         a root), DC_ERR_SIZE (N > INT_MAX), DC_ERR_STATE (x borrowed read-write),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_vec_gather(const dc_vec_t *x, int root, double *global);
/**
 * \brief y = x where x and y are on any two layouts of the same global size and env. One
 * all-to-all (a local copy when the layouts are congruent). Collective on x's env, whose
 * communicator it uses: x must be the same vector on every rank (see "The operand that defines
 * the communicator" in docs/conventions.md); a y of another env, on any rank, fails on every
 * rank with DC_ERR_COMM. Agrees on errors like a create.
 * \param[in]  x  source (read: not borrowed read-write)
 * \param[out] y  destination (written: not borrowed; may be x)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector), DC_ERR_COMM (x and y on different envs),
 *         DC_ERR_SIZE (global sizes differ, or a local size > INT_MAX), DC_ERR_STATE (borrowed),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_vec_redistribute(const dc_vec_t *x, dc_vec_t *y);

/* ------------------------------------------------------------------ BLAS-1 (local) */

/**
 * \brief y = x (congruent layouts). Local.
 * \param[in]  x  source (read: not borrowed read-write)
 * \param[out] y  destination (written: not borrowed)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector, layouts not congruent), DC_ERR_COMM
 *         (different envs), DC_ERR_STATE (x borrowed read-write or y borrowed)
 */
DC_API int dc_vec_copy(const dc_vec_t *x, dc_vec_t *y);
/**
 * \brief x = alpha * x. Local.
 * \param[in,out] x      the vector (not borrowed)
 * \param[in]     alpha  the factor
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector), DC_ERR_STATE (x borrowed)
 */
DC_API int dc_vec_scal(dc_vec_t *x, double alpha);
/**
 * \brief y = alpha * x + y (congruent layouts). Local.
 * \param[in,out] y      the vector updated (not borrowed)
 * \param[in]     alpha  factor of x
 * \param[in]     x      the vector added (not borrowed read-write; may be y)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector, layouts not congruent), DC_ERR_COMM
 *         (different envs), DC_ERR_STATE (x borrowed read-write or y borrowed)
 */
DC_API int dc_vec_axpy(dc_vec_t *y, double alpha, const dc_vec_t *x);
/**
 * \brief y = alpha * x + beta * y (congruent layouts). Local.
 * \param[in,out] y      the vector updated (not borrowed)
 * \param[in]     alpha  factor of x
 * \param[in]     x      the vector added (not borrowed read-write; may be y)
 * \param[in]     beta   factor of y
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector, layouts not congruent), DC_ERR_COMM
 *         (different envs), DC_ERR_STATE (x borrowed read-write or y borrowed)
 */
DC_API int dc_vec_axpby(dc_vec_t *y, double alpha, const dc_vec_t *x, double beta);

/* ------------------------------------------------------------------ reductions (collective) */

/* The reductions below are hot-path collectives: see the module description. */

/**
 * \brief Global dot product x . y in the env's reproducibility mode. Collective on x's env (x
 * must be the same vector on every rank); a hot-path collective (see the module description).
 * \param[in]  x         first vector (not borrowed read-write)
 * \param[in]  y         second vector, congruent with x (may be x)
 * \param[out] result_p  the same value on every rank
 * \return DC_SUCCESS; DC_ERR_ARG (invalid vector, result_p NULL, layouts not congruent, or an
 *         error on another rank), DC_ERR_COMM (x and y of different envs), DC_ERR_STATE (an
 *         operand borrowed read-write), DC_ERR_MPI,
 *         DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_vec_dot(const dc_vec_t *x, const dc_vec_t *y, double *result_p);
/**
 * \brief Euclidean norm, without overflow or underflow for huge or tiny entries, in the env's
 * mode. Collective on x's env (hot path).
 * \param[in]  x         the vector (not borrowed read-write)
 * \param[out] result_p  the same value on every rank
 * \return DC_SUCCESS; DC_ERR_ARG (invalid vector, result_p NULL, or an error on another rank),
 *         DC_ERR_STATE (x borrowed read-write),
 *         DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_vec_nrm2(const dc_vec_t *x, double *result_p);
/**
 * \brief Sum of |x_i| in the env's mode. Collective on x's env (hot path).
 * \param[in]  x         the vector (not borrowed read-write)
 * \param[out] result_p  the same value on every rank
 * \return as dc_vec_nrm2(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT
 */
DC_API int dc_vec_asum(const dc_vec_t *x, double *result_p);
/**
 * \brief Sum of x_i in the env's mode. Collective on x's env (hot path).
 * \param[in]  x         the vector (not borrowed read-write)
 * \param[out] result_p  the same value on every rank
 * \return as dc_vec_nrm2(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT
 */
DC_API int dc_vec_sum(const dc_vec_t *x, double *result_p);
/**
 * \brief dot with an explicit mode. Collective on x's env; mode must match.
 * \param[in]  x         first vector (not borrowed read-write)
 * \param[in]  y         second vector, congruent with x (may be x)
 * \param[in]  mode      DC_REPRO_OFF, _BINNED, _EXACT (correctly rounded), or DC_REPRO_DEFAULT
 *                       for the env's
 * \param[out] result_p  the same value on every rank; in BINNED and EXACT the same bits for any
 *                       rank count and layout
 * \return as dc_vec_dot(): DC_SUCCESS, DC_ERR_ARG (also: mode not a dc_repro_t, or differing
 *         with DC_DEBUG), DC_ERR_COMM, DC_ERR_STATE, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_vec_dot_repro(const dc_vec_t *x, const dc_vec_t *y, dc_repro_t mode,
                            double *result_p);
/**
 * \brief nrm2 with an explicit mode (DC_REPRO_EXACT: correctly rounded). Collective on x's env;
 * mode must match.
 * \param[in]  x         the vector (not borrowed read-write)
 * \param[in]  mode      as for dc_vec_dot_repro()
 * \param[out] result_p  as for dc_vec_dot_repro()
 * \return as dc_vec_nrm2(): DC_SUCCESS, DC_ERR_ARG (also: mode not a dc_repro_t, or differing
 *         with DC_DEBUG), DC_ERR_STATE, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_vec_nrm2_repro(const dc_vec_t *x, dc_repro_t mode, double *result_p);
/**
 * \brief asum (sum of |x_i|) with an explicit mode (DC_REPRO_EXACT: correctly rounded).
 * Collective on x's env; mode must match.
 * \param[in]  x         the vector (not borrowed read-write)
 * \param[in]  mode      as for dc_vec_dot_repro()
 * \param[out] result_p  as for dc_vec_dot_repro()
 * \return as dc_vec_nrm2_repro(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT
 */
DC_API int dc_vec_asum_repro(const dc_vec_t *x, dc_repro_t mode, double *result_p);
/**
 * \brief sum with an explicit mode (DC_REPRO_EXACT: correctly rounded). Collective on x's env;
 * mode must match.
 * \param[in]  x         the vector (not borrowed read-write)
 * \param[in]  mode      as for dc_vec_dot_repro()
 * \param[out] result_p  as for dc_vec_dot_repro()
 * \return as dc_vec_nrm2_repro(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT
 */
DC_API int dc_vec_sum_repro(const dc_vec_t *x, dc_repro_t mode, double *result_p);
/**
 * \brief Largest entry and its global index (smallest index on ties). Collective on x's env
 * (hot path).
 * A NaN entry wins (the first NaN and its index), as with DC_REDUCE_MAXLOC (dc_types.h); an
 * empty vector gives -Inf and index -1.
 * \param[in]  x        the vector (not borrowed read-write)
 * \param[out] value_p  the largest value (may be NULL if index_p is not)
 * \param[out] index_p  its global index (may be NULL if value_p is not)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid vector; both outputs NULL: on every rank; an error on
 *         another rank), DC_ERR_STATE (x borrowed read-write), DC_ERR_MPI, DC_ERR_TIMEOUT
 *         (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_vec_max(const dc_vec_t *x, double *value_p, dc_gidx_t *index_p);
/**
 * \brief Smallest entry and its global index (smallest index on ties; a NaN entry wins, the
 * first NaN, as with DC_REDUCE_MINLOC); empty: +Inf and -1. Collective on x's env (hot path).
 * \param[in]  x        the vector (not borrowed read-write)
 * \param[out] value_p  the smallest value (may be NULL if index_p is not)
 * \param[out] index_p  its global index (may be NULL if value_p is not)
 * \return as dc_vec_max(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_vec_min(const dc_vec_t *x, double *value_p, dc_gidx_t *index_p);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_VEC_H */
