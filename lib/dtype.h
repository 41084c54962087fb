/*
 * Element types and reduction operations (lib/dtype.c): sizes, MPI types, the (value, index)
 * pairs and their MINLOC/MAXLOC rule, identities, operation checks and user operations. One
 * place for what dc_allreduce & co (reduce.c), the scheduler's combination (sched_combine.c)
 * and dc_vec_max/min (vec.c) all need. Private; never installed.
 *
 * The MINLOC/MAXLOC rule (the one rule of the library, documented in dc_types.h):
 *   - a NaN value wins over any number (NaN propagates, as numpy's argmax/argmin): the
 *     result is NaN with the smallest index holding a NaN;
 *   - otherwise the larger (MAXLOC) or smaller (MINLOC) value wins;
 *   - equal values, and two NaNs, go to the smaller index.
 * This is a total order, so the operation is commutative and associative: the result does not
 * depend on the reduction tree, the rank count or the schedule. Float and int32 values widen
 * exactly to double and int64 for the comparison.
 */
#ifndef DC_DTYPE_H
#define DC_DTYPE_H

#include "dc_impl.h"

#include <math.h>

/* Does (av, ai) win against (bv, bi) under the rule above? max != 0: MAXLOC. */
static inline int dci_loc_wins_f(double av, int64_t ai, double bv, int64_t bi, int max)
{
    int an = isnan(av), bn = isnan(bv);

    if (an || bn)
        return an && (!bn || ai < bi);
    if (av != bv)
        return max ? av > bv : av < bv;
    return ai < bi;
}

static inline int dci_loc_wins_i(int64_t av, int64_t ai, int64_t bv, int64_t bi, int max)
{
    if (av != bv)
        return max ? av > bv : av < bv;
    return ai < bi;
}

/* Size in bytes of one element; 0 if type is not a dc_dtype_t. */
size_t dci_dtype_size(dc_dtype_t type);
/* 1 for the (value, index) pair types. */
int dci_dtype_is_loc(dc_dtype_t type);
/* MPI datatype of type (the pair types are the env's committed struct types). */
MPI_Datatype dci_dtype_mpi(const dc_env_t *env, dc_dtype_t type);

/* 1 if op is a live user operation of env. */
int dci_op_is_user(const dc_env_t *env, dc_reduce_op_t op);
/* DC_SUCCESS if op applies to type (built-in op in range, MINLOC/MAXLOC exactly with the pair
 * types, or a live user op); else DC_ERR_ARG with a message in env (func names the caller). */
int dci_op_check(dc_env_t *env, const char *func, dc_reduce_op_t op, dc_dtype_t type);
/* MPI operation of a checked (op, type). */
MPI_Op dci_op_mpi(const dc_env_t *env, dc_reduce_op_t op);
/* Fill count elements with the identity of a built-in op (0 for SUM, 1 for PROD, the top or
 * bottom of the type for MIN/MAX, (+-Inf or the integer limit, -1) for the pairs); returns 0
 * and writes nothing for a user op. */
int dci_dtype_identity(dc_dtype_t type, dc_reduce_op_t op, size_t count, void *buf);
/* inout[i] = in[i] if in[i] wins under the MINLOC/MAXLOC rule (pair types only). */
void dci_loc_combine(dc_dtype_t type, int max, const void *in, void *inout, size_t n);

/* Per env: the pair datatypes and the MINLOC/MAXLOC MPI operations (created once, used by
 * every call), and the user-operation table. Collective-free. */
int dci_dtype_env_setup(dc_env_t *env);
void dci_dtype_env_free(dc_env_t *env);

#endif /* DC_DTYPE_H */
