/**
 * \file dc_reduce.h
 * \defgroup dc_reduce Collective reductions
 * MPI-style reductions on the env's private communicator, for double, float, int32 and int64
 * (and (value, index) pairs for MINLOC/MAXLOC), with built-in and user-defined operations,
 * blocking and non-blocking. Names follow MPI's vocabulary (allreduce, scan, exscan).
 *
 * Hot path: these calls do no agreement. With debug on (DC_DEBUG=1 or dc_env_set_debug), they
 * first check that count, type, op and root match on all ranks and fail on all ranks if not.
 * After an error on any rank without debug, the env may only be destroyed.
 *
 * Counts are size_t but MPI's are int: a count above INT_MAX is DC_ERR_SIZE. Passing the same
 * buffer as sendbuf and recvbuf is treated as DC_IN_PLACE. The node-aware algorithm
 * (DC_ALLREDUCE=node) applies to the blocking dc_allreduce with commutative operations; the
 * non-blocking forms and non-commutative operations always use the flat algorithm.
 *
 * The reproducible sums (dc_sum, dc_dot, dc_nrm2) reduce distributed arrays so that the result is
 * bitwise identical for any number of ranks and any partition of the data.
 * @{
 */
#ifndef DC_REDUCE_H
#define DC_REDUCE_H

#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Pass as sendbuf to reduce in place (recvbuf is input and output). */
#define DC_IN_PLACE MPI_IN_PLACE

/**
 * \brief Register a user-defined operation. Local (call it on every rank in the same order so
 * the ids match). \p fn has MPI's signature and receives MPI datatypes of the dc_dtype_t used.
 * \param[in]  env      the env the operation belongs to
 * \param[in]  fn       the operation (MPI_User_function)
 * \param[in]  commute  1 if the operation is commutative
 * \param[out] op_p     the new id (>= DC_REDUCE_USER), set only on success
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, fn or op_p NULL), DC_ERR_NOMEM (all
 *         user-operation slots of the env in use), DC_ERR_MPI (MPI_Op_create failed)
 */
DC_API int dc_reduce_op_create(dc_env_t *env, MPI_User_function *fn, int commute,
                               dc_reduce_op_t *op_p);
/**
 * \brief Free a user-defined operation; sets *op_p = -1 (a second call is then a no-op). Local.
 * \param[in]     env   the env it was created on
 * \param[in,out] op_p  the operation
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, op_p NULL, not a live user operation of env),
 *         DC_ERR_MPI (MPI_Op_free failed; the id is released anyway)
 */
DC_API int dc_reduce_op_destroy(dc_env_t *env, dc_reduce_op_t *op_p);
/**
 * \brief The MPI datatype libdcompute uses for \p type (e.g. inside a user operation). Local.
 * \param[in]  env         the env (the pair types belong to it)
 * \param[in]  type        a dc_dtype_t
 * \param[out] mpi_type_p  the datatype, owned by the library (do not free)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, type not a dc_dtype_t, mpi_type_p NULL)
 */
DC_API int dc_dtype_get_mpi(dc_env_t *env, dc_dtype_t type, MPI_Datatype *mpi_type_p);
/**
 * \brief Size in bytes of one element of \p type. Local (needs no env).
 * \param[in]  type    a dc_dtype_t
 * \param[out] size_p  the size
 * \return DC_SUCCESS, DC_ERR_ARG (type not a dc_dtype_t, size_p NULL)
 */
DC_API int dc_dtype_get_size(dc_dtype_t type, size_t *size_p);

/*
 * The reductions below are hot-path collectives on env (docs/conventions.md): count, type, op
 * and root must match on every rank, checked only in debug mode (DC_DEBUG=1), where a mismatch
 * fails on every rank with DC_ERR_SIZE (count) or DC_ERR_ARG. After an error on any rank
 * without debug mode, the env may only be destroyed.
 */

/**
 * \brief Reduce \p count elements over all ranks; the result on all ranks. Collective on env
 * (hot path).
 * \param[in]  env      the env whose ranks take part
 * \param[in]  sendbuf  this rank's count elements (or DC_IN_PLACE: taken from recvbuf)
 * \param[out] recvbuf  the result, on every rank
 * \param[in]  count    elements per rank (<= INT_MAX; must match)
 * \param[in]  type     their type (a dc_dtype_t; must match)
 * \param[in]  op       a DC_REDUCE_* or dc_reduce_op_create() operation (must match)
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, type not a dc_dtype_t, op not a
 *         built-in or live user operation, MINLOC/MAXLOC without a pair type or a pair type
 *         with another op, NULL buffer with count > 0; with DC_DEBUG: type or op differing
 *         across ranks), DC_ERR_SIZE (count > INT_MAX; with DC_DEBUG: count differing),
 *         DC_ERR_NOMEM (a scratch buffer), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired
 *         waiting for another rank)
 */
DC_API int dc_allreduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                        dc_dtype_t type, dc_reduce_op_t op);
/**
 * \brief Reduce to \p root. Collective on env (hot path); root must match.
 * \param[in]  env      the env whose ranks take part
 * \param[in]  sendbuf  this rank's count elements (or DC_IN_PLACE: taken from recvbuf)
 * \param[out] recvbuf  the result, significant on root only (may be NULL elsewhere)
 * \param[in]  count    elements per rank (<= INT_MAX; must match)
 * \param[in]  type     their type (a dc_dtype_t; must match)
 * \param[in]  op       a DC_REDUCE_* or dc_reduce_op_create() operation (must match)
 * \param[in]  root     the rank that receives the result, in [0, size) (must match)
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, type not a dc_dtype_t, op not a
 *         built-in or live user operation, MINLOC/MAXLOC without a pair type or a pair type
 *         with another op, NULL buffer with count > 0, root out of range; with DC_DEBUG: type, op,
 *         root differing across ranks), DC_ERR_SIZE (count > INT_MAX; with DC_DEBUG: count
 * differing), DC_ERR_NOMEM (a scratch buffer), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired
 *         waiting for another rank)
 */
DC_API int dc_reduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                     dc_dtype_t type, dc_reduce_op_t op, int root);
/**
 * \brief Inclusive prefix reduction in rank order: rank r gets the reduction over ranks 0..r.
 * Collective on env (hot path).
 * \param[in]  env      the env whose ranks take part
 * \param[in]  sendbuf  this rank's count elements (or DC_IN_PLACE: taken from recvbuf)
 * \param[out] recvbuf  the reduction over ranks 0..r
 * \param[in]  count    elements per rank (<= INT_MAX; must match)
 * \param[in]  type     their type (a dc_dtype_t; must match)
 * \param[in]  op       a DC_REDUCE_* or dc_reduce_op_create() operation (must match)
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, type not a dc_dtype_t, op not a
 *         built-in or live user operation, MINLOC/MAXLOC without a pair type or a pair type
 *         with another op, NULL buffer with count > 0; with DC_DEBUG: type or op differing
 *         across ranks), DC_ERR_SIZE (count > INT_MAX; with DC_DEBUG: count differing),
 *         DC_ERR_NOMEM (a scratch buffer), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired
 *         waiting for another rank)
 */
DC_API int dc_scan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count, dc_dtype_t type,
                   dc_reduce_op_t op);
/**
 * \brief Exclusive prefix reduction: rank r gets the reduction over ranks 0..r-1. Collective
 * on env (hot path). Unlike MPI, rank 0 receives the identity of a built-in operation (0, 1,
 * +/-Inf or the type's extreme, (identity, -1) for the LOC ops); for user operations rank 0's
 * recvbuf is left unchanged.
 * \param[in]  env      the env whose ranks take part
 * \param[in]  sendbuf  this rank's count elements (or DC_IN_PLACE: taken from recvbuf)
 * \param[out] recvbuf  the reduction over ranks 0..r-1
 * \param[in]  count    elements per rank (<= INT_MAX; must match)
 * \param[in]  type     their type (a dc_dtype_t; must match)
 * \param[in]  op       a DC_REDUCE_* or dc_reduce_op_create() operation (must match)
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, type not a dc_dtype_t, op not a
 *         built-in or live user operation, MINLOC/MAXLOC without a pair type or a pair type
 *         with another op, NULL buffer with count > 0; with DC_DEBUG: type or op differing
 *         across ranks), DC_ERR_SIZE (count > INT_MAX; with DC_DEBUG: count differing),
 *         DC_ERR_NOMEM (a scratch buffer), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired
 *         waiting for another rank)
 */
DC_API int dc_exscan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                     dc_dtype_t type, dc_reduce_op_t op);

/**
 * \brief Non-blocking dc_allreduce(). Collective on env (every rank starts it, in the same
 * order).
 * The buffers belong to the library until the request completes.
 * \param[in]  env      the env whose ranks take part
 * \param[in]  sendbuf  this rank's count elements (or DC_IN_PLACE: taken from recvbuf)
 * \param[out] recvbuf  the result, on every rank, once the request completed
 * \param[in]  count    elements per rank (<= INT_MAX; must match)
 * \param[in]  type     their type (a dc_dtype_t; must match)
 * \param[in]  op       a DC_REDUCE_* or dc_reduce_op_create() operation (must match)
 * \param[out] req_p    the request, for dc_request_test() / dc_request_wait(); set
 *                      only on success
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, type not a dc_dtype_t, op not a
 *         built-in or live user operation, MINLOC/MAXLOC without a pair type or a pair type
 *         with another op, NULL buffer with count > 0, req_p NULL; with DC_DEBUG: type or op
 *         differing across ranks), DC_ERR_SIZE (count > INT_MAX; with DC_DEBUG: count differing),
 *         DC_ERR_NOMEM (a scratch buffer), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired
 *         waiting for another rank): no request then
 */
DC_API int dc_iallreduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                         dc_dtype_t type, dc_reduce_op_t op, dc_request_t **req_p);
/**
 * \brief Non-blocking dc_reduce(). Collective on env; root must match.
 * The buffers belong to the library until the request completes.
 * \param[in]  env      the env whose ranks take part
 * \param[in]  sendbuf  this rank's count elements (or DC_IN_PLACE: taken from recvbuf)
 * \param[out] recvbuf  the result on root, once the request completed (may be NULL elsewhere)
 * \param[in]  count    elements per rank (<= INT_MAX; must match)
 * \param[in]  type     their type (a dc_dtype_t; must match)
 * \param[in]  op       a DC_REDUCE_* or dc_reduce_op_create() operation (must match)
 * \param[in]  root     the rank that receives the result, in [0, size) (must match)
 * \param[out] req_p    the request, for dc_request_test() / dc_request_wait(); set
 *                      only on success
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, type not a dc_dtype_t, op not a
 *         built-in or live user operation, MINLOC/MAXLOC without a pair type or a pair type
 *         with another op, NULL buffer with count > 0, root out of range, req_p NULL; with
 *         DC_DEBUG: type, op, root differing across ranks), DC_ERR_SIZE (count > INT_MAX; with
 * DC_DEBUG: count differing), DC_ERR_NOMEM (a scratch buffer), DC_ERR_MPI, DC_ERR_TIMEOUT
 * (DC_TIMEOUT expired waiting for another rank): no request then
 */
DC_API int dc_ireduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                      dc_dtype_t type, dc_reduce_op_t op, int root, dc_request_t **req_p);
/**
 * \brief Non-blocking dc_scan(). Collective on env.
 * The buffers belong to the library until the request completes.
 * \param[in]  env      the env whose ranks take part
 * \param[in]  sendbuf  this rank's count elements (or DC_IN_PLACE: taken from recvbuf)
 * \param[out] recvbuf  the reduction over ranks 0..r, once the request completed
 * \param[in]  count    elements per rank (<= INT_MAX; must match)
 * \param[in]  type     their type (a dc_dtype_t; must match)
 * \param[in]  op       a DC_REDUCE_* or dc_reduce_op_create() operation (must match)
 * \param[out] req_p    the request, for dc_request_test() / dc_request_wait(); set
 *                      only on success
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, type not a dc_dtype_t, op not a
 *         built-in or live user operation, MINLOC/MAXLOC without a pair type or a pair type
 *         with another op, NULL buffer with count > 0, req_p NULL; with DC_DEBUG: type or op
 *         differing across ranks), DC_ERR_SIZE (count > INT_MAX; with DC_DEBUG: count differing),
 *         DC_ERR_NOMEM (a scratch buffer), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired
 *         waiting for another rank): no request then
 */
DC_API int dc_iscan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                    dc_dtype_t type, dc_reduce_op_t op, dc_request_t **req_p);
/**
 * \brief Non-blocking dc_exscan() (rank 0 gets the identity at completion). Collective on env.
 * The buffers belong to the library until the request completes.
 * \param[in]  env      the env whose ranks take part
 * \param[in]  sendbuf  this rank's count elements (or DC_IN_PLACE: taken from recvbuf)
 * \param[out] recvbuf  the reduction over ranks 0..r-1, once the request completed
 * \param[in]  count    elements per rank (<= INT_MAX; must match)
 * \param[in]  type     their type (a dc_dtype_t; must match)
 * \param[in]  op       a DC_REDUCE_* or dc_reduce_op_create() operation (must match)
 * \param[out] req_p    the request, for dc_request_test() / dc_request_wait(); set
 *                      only on success
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, type not a dc_dtype_t, op not a
 *         built-in or live user operation, MINLOC/MAXLOC without a pair type or a pair type
 *         with another op, NULL buffer with count > 0, req_p NULL; with DC_DEBUG: type or op
 *         differing across ranks), DC_ERR_SIZE (count > INT_MAX; with DC_DEBUG: count differing),
 *         DC_ERR_NOMEM (a scratch buffer), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired
 *         waiting for another rank): no request then
 */
DC_API int dc_iexscan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                      dc_dtype_t type, dc_reduce_op_t op, dc_request_t **req_p);
/**
 * \brief Test a request. Local. On completion frees it and sets *req_p = NULL.
 * \param[in,out] req_p  the request (*req_p == NULL: already complete, DC_SUCCESS)
 * \return DC_SUCCESS when complete, DC_INPROGRESS if not yet, DC_ERR_ARG (req_p NULL, not a
 *         live request), DC_ERR_MPI (the reduction failed; the request is freed)
 */
DC_API int dc_request_test(dc_request_t **req_p);
/**
 * \brief Wait for a request, free it, set *req_p = NULL. Local. *req_p == NULL: no-op.
 * \param[in,out] req_p  the request
 * \return DC_SUCCESS, DC_ERR_ARG (req_p NULL, not a live request), DC_ERR_MPI (the reduction
 *         failed; the request is freed)
 */
DC_API int dc_request_wait(dc_request_t **req_p);

/*
 * Sums of distributed arrays: each rank passes its own part (n may differ per rank). Hot-path
 * collectives: one reduction, in which a local failure travels so that every rank fails (the
 * failing rank with its own code and message, the others with DC_ERR_ARG).
 */

/**
 * \brief Sum of the local arrays of all ranks, sum over ranks of sum_i x[i]. Collective on env
 * (hot path); mode must match. BINNED and EXACT give the correctly rounded exact sum:
 * identical bits for any rank count and any split of the data.
 * \param[in]  env       the env whose ranks take part
 * \param[in]  x         this rank's n values (may be NULL if n = 0)
 * \param[in]  n         this rank's count (may differ per rank)
 * \param[in]  mode      DC_REPRO_OFF, _BINNED, _EXACT or _DEFAULT (the env's mode); must match
 * \param[out] result_p  the sum, the same on every rank
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, NULL array with n > 0, result_p
 *         NULL, mode not a dc_repro_t, an error on another rank; with DC_DEBUG: the operation or
 *         mode differing across ranks), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting
 *         for another rank)
 */
DC_API int dc_sum(dc_env_t *env, const double *x, size_t n, dc_repro_t mode, double *result_p);
/**
 * \brief Global dot product of distributed arrays (EXACT is correctly rounded). Collective on
 * env (hot path); mode must match.
 * \param[in]  env       the env whose ranks take part
 * \param[in]  x, y      this rank's n values each (may be NULL if n = 0)
 * \param[in]  n         this rank's count (may differ per rank)
 * \param[in]  mode      DC_REPRO_OFF, _BINNED, _EXACT or _DEFAULT (the env's mode); must match
 * \param[out] result_p  the dot product, the same on every rank
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, NULL array with n > 0, result_p
 *         NULL, mode not a dc_repro_t, an error on another rank; with DC_DEBUG: the operation or
 *         mode differing across ranks), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting
 *         for another rank)
 */
DC_API int dc_dot(dc_env_t *env, const double *x, const double *y, size_t n, dc_repro_t mode,
                  double *result_p);
/**
 * \brief Global sum of |x[i]| (EXACT is correctly rounded). Collective on env (hot path); mode
 * must match.
 * \param[in]  env       the env whose ranks take part
 * \param[in]  x         this rank's n values (may be NULL if n = 0)
 * \param[in]  n         this rank's count (may differ per rank)
 * \param[in]  mode      DC_REPRO_OFF, _BINNED, _EXACT or _DEFAULT (the env's mode); must match
 * \param[out] result_p  the same on every rank
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, NULL array with n > 0, result_p
 *         NULL, mode not a dc_repro_t, an error on another rank; with DC_DEBUG: the operation or
 *         mode differing across ranks), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting
 *         for another rank)
 */
DC_API int dc_asum(dc_env_t *env, const double *x, size_t n, dc_repro_t mode, double *result_p);
/**
 * \brief Global 2-norm, free of overflow and underflow. Collective on env (hot path); mode must
 * match. EXACT is correctly rounded (the root of the exact sum of squares, rounded once);
 * BINNED rounds each square first.
 * \param[in]  env       the env whose ranks take part
 * \param[in]  x         this rank's n values (may be NULL if n = 0)
 * \param[in]  n         this rank's count (may differ per rank)
 * \param[in]  mode      DC_REPRO_OFF, _BINNED, _EXACT or _DEFAULT (the env's mode); must match
 * \param[out] result_p  the same on every rank
 * \return DC_SUCCESS; DC_ERR_ARG (invalid or destroyed env, NULL array with n > 0, result_p
 *         NULL, mode not a dc_repro_t, an error on another rank; with DC_DEBUG: the operation or
 *         mode differing across ranks), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting
 *         for another rank)
 */
DC_API int dc_nrm2(dc_env_t *env, const double *x, size_t n, dc_repro_t mode, double *result_p);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_REDUCE_H */
