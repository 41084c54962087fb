/**
 * \file dc_types.h
 * Basic types shared by every module: handles, global indices, data types and reduction ops.
 */
#ifndef DC_TYPES_H
#define DC_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <mpi.h>
#include <dcompute/dc_version.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Global index into a distributed index space (signed so that differences are safe). */
typedef int64_t dc_gidx_t;

/** Execution environment: communicator, topology, options, profiler, last error. */
typedef struct dc_env dc_env_t;
/** Partition of the global index space [0, N) over the ranks of an env. */
typedef struct dc_layout dc_layout_t;
/** 2-D process grid (P x Q) over the ranks of an env. */
typedef struct dc_grid dc_grid_t;
/** Distributed vector of doubles, built on a layout. */
typedef struct dc_vec dc_vec_t;
/** Structured grid (1-3-D box over a Cartesian process grid), see dc_mesh.h. */
typedef struct dc_mesh dc_mesh_t;
/** Linear operator y = A x on the vectors of one layout, see dc_solve.h. */
typedef struct dc_op dc_op_t;
/** Krylov solver (CG, pipelined CG) with its preconditioner, see dc_solve.h. */
typedef struct dc_solver dc_solver_t;
/** Request of a non-blocking reduction. */
typedef struct dc_request dc_request_t;

/** Element types understood by the reductions. The *_LOC types are (value, index) pairs. */
typedef enum {
    DC_TYPE_DOUBLE = 0, /**< double */
    DC_TYPE_FLOAT,      /**< float */
    DC_TYPE_INT32,      /**< int32_t */
    DC_TYPE_INT64,      /**< int64_t */
    DC_TYPE_DOUBLE_LOC, /**< dc_double_loc_t, for DC_REDUCE_MINLOC / DC_REDUCE_MAXLOC */
    DC_TYPE_FLOAT_LOC,  /**< dc_float_loc_t */
    DC_TYPE_INT32_LOC,  /**< dc_int32_loc_t */
    DC_TYPE_INT64_LOC,  /**< dc_int64_loc_t */
    DC_TYPE_COUNT_      /**< number of types (not a type) */
} dc_dtype_t;

/** (value, global index) pairs reduced by DC_REDUCE_MINLOC / DC_REDUCE_MAXLOC. */
typedef struct {
    double value;  /**< the value compared */
    int64_t index; /**< its global index (smallest wins ties) */
} dc_double_loc_t;
/** (float value, global index) pair, DC_TYPE_FLOAT_LOC. */
typedef struct {
    float value;   /**< the value compared */
    int64_t index; /**< its global index (smallest wins ties) */
} dc_float_loc_t;
/** (int32_t value, global index) pair, DC_TYPE_INT32_LOC. */
typedef struct {
    int32_t value; /**< the value compared */
    int64_t index; /**< its global index (smallest wins ties) */
} dc_int32_loc_t;
/** (int64_t value, global index) pair, DC_TYPE_INT64_LOC. */
typedef struct {
    int64_t value; /**< the value compared */
    int64_t index; /**< its global index (smallest wins ties) */
} dc_int64_loc_t;

/**
 * Reduction operations. Built-in values below DC_REDUCE_USER; dc_reduce_op_create() returns
 * user-defined ones. MINLOC/MAXLOC take the *_LOC types.
 *
 * **The MINLOC/MAXLOC rule** (one rule for dc_allreduce() & co, the scheduler's combination
 * and dc_vec_max()/dc_vec_min()): a NaN value wins over every number, as numpy's argmax and
 * argmin, and the result is the NaN with the smallest index; otherwise the larger (MAXLOC) or
 * smaller (MINLOC) value wins; equal values, and two NaNs, go to the smallest index. This is a
 * total order, so the result does not depend on the rank count, the reduction tree or the
 * schedule. The scheduler's MIN/MAX of floating-point values also give NaN if any value is NaN;
 * dc_allreduce() & co pass plain MIN/MAX to MPI, whose result with NaN MPI leaves open.
 */
typedef int dc_reduce_op_t;
enum {
    DC_REDUCE_SUM = 0,  /**< sum */
    DC_REDUCE_PROD,     /**< product */
    DC_REDUCE_MIN,      /**< minimum */
    DC_REDUCE_MAX,      /**< maximum */
    DC_REDUCE_MINLOC,   /**< smallest value and its index (the *_LOC types, rule above) */
    DC_REDUCE_MAXLOC,   /**< largest value and its index (the *_LOC types, rule above) */
    DC_REDUCE_USER = 64 /**< first id handed out to user-defined operations */
};

/** Reproducibility of sums, dots and norms (see dc_env_set_repro()). */
typedef enum {
    DC_REPRO_DEFAULT = -1, /**< per call: use the env's mode */
    DC_REPRO_OFF = 0,      /**< fastest: OpenBLAS locally, MPI_SUM across ranks */
    DC_REPRO_BINNED =
        1,             /**< bitwise identical for any rank count and layout; products rounded
                            once, then summed exactly (error <= u * sum |x_i y_i| + final rounding) */
    DC_REPRO_EXACT = 2 /**< bitwise identical and correctly rounded (exact products) */
} dc_repro_t;

#ifdef __cplusplus
}
#endif
#endif /* DC_TYPES_H */
