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
 * \param[in] commute  1 if the operation is commutative
 * \param[out] op_p    the new id (>= DC_REDUCE_USER)
 */
DC_API int dc_reduce_op_create(dc_env_t *env, MPI_User_function *fn, int commute,
                               dc_reduce_op_t *op_p);
/** \brief Free a user-defined operation; sets *op_p = -1. Local. */
DC_API int dc_reduce_op_destroy(dc_env_t *env, dc_reduce_op_t *op_p);
/** \brief The MPI datatype libdcompute uses for \p type (e.g. for a user op). Local. */
DC_API int dc_dtype_get_mpi(dc_env_t *env, dc_dtype_t type, MPI_Datatype *mpi_type_p);
/** \brief Size in bytes of one element of \p type. Local. */
DC_API int dc_dtype_get_size(dc_dtype_t type, size_t *size_p);

/** \brief Reduce \p count elements over all ranks; result on all ranks. Collective. */
DC_API int dc_allreduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                        dc_dtype_t type, dc_reduce_op_t op);
/** \brief Reduce to \p root (recvbuf significant on root only). Collective. */
DC_API int dc_reduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                     dc_dtype_t type, dc_reduce_op_t op, int root);
/** \brief Inclusive prefix reduction in rank order. Collective. */
DC_API int dc_scan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count, dc_dtype_t type,
                   dc_reduce_op_t op);
/**
 * \brief Exclusive prefix reduction. Collective. Unlike MPI, rank 0 receives the identity of a
 * built-in operation (0, 1, +/-Inf or the type's extreme, (identity, -1) for the LOC ops);
 * for user operations rank 0's recvbuf is left unchanged.
 */
DC_API int dc_exscan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                     dc_dtype_t type, dc_reduce_op_t op);

/** \brief Non-blocking dc_allreduce; buffers must stay valid until completion. Collective. */
DC_API int dc_iallreduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                         dc_dtype_t type, dc_reduce_op_t op, dc_request_t **req_p);
/** \brief Non-blocking dc_reduce. Collective. */
DC_API int dc_ireduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                      dc_dtype_t type, dc_reduce_op_t op, int root, dc_request_t **req_p);
/** \brief Non-blocking dc_scan. Collective. */
DC_API int dc_iscan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                    dc_dtype_t type, dc_reduce_op_t op, dc_request_t **req_p);
/** \brief Non-blocking dc_exscan (rank 0 gets the identity at completion). Collective. */
DC_API int dc_iexscan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count,
                      dc_dtype_t type, dc_reduce_op_t op, dc_request_t **req_p);
/**
 * \brief Test a request. Local. On completion frees it and sets *req_p = NULL.
 * \return DC_SUCCESS when complete, DC_INPROGRESS if not yet, or an error
 */
DC_API int dc_request_test(dc_request_t **req_p);
/** \brief Wait for a request, free it, set *req_p = NULL. Local. NULL request: no-op. */
DC_API int dc_request_wait(dc_request_t **req_p);

/**
 * \brief Sum of the local arrays of all ranks, sum over ranks of sum_i x[i]. Collective.
 * \param[in] mode  DC_REPRO_OFF, _BINNED, _EXACT or _DEFAULT (the env's mode). BINNED and EXACT
 *                  give the correctly rounded exact sum: identical bits for any rank count and
 *                  any split of the data.
 */
DC_API int dc_sum(dc_env_t *env, const double *x, size_t n, dc_repro_t mode, double *result_p);
/** \brief Global dot product of distributed arrays. Collective. EXACT is correctly rounded. */
DC_API int dc_dot(dc_env_t *env, const double *x, const double *y, size_t n, dc_repro_t mode,
                  double *result_p);
/** \brief Global sum of |x[i]|. Collective. */
DC_API int dc_asum(dc_env_t *env, const double *x, size_t n, dc_repro_t mode, double *result_p);
/**
 * \brief Global 2-norm, free of overflow and underflow. Collective. EXACT is correctly rounded
 * (the root of the exact sum of squares, rounded once); BINNED rounds each square first.
 */
DC_API int dc_nrm2(dc_env_t *env, const double *x, size_t n, dc_repro_t mode, double *result_p);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_REDUCE_H */
