/**
 * \file dc_sched.h
 * \defgroup dc_sched Scheduling of irregular work
 * Parallel map-reduce over an index space [0, N) or over a list of tasks that may spawn tasks,
 * with static (block, cyclic, weighted), dynamic, guided and work-stealing schedules, and a
 * result that is **bitwise identical whatever the schedule, the timing and the number of ranks**.
 *
 * Lifecycle: dc_sched_create(), dc_sched_set_*() (local, before setup), dc_sched_setup()
 * (collective), any number of dc_sched_run() / dc_sched_run_tasks() (collective), then
 * dc_sched_get_stats() / dc_sched_view() and dc_sched_destroy().
 *
 * **The canonical combination.** The index space is cut into blocks of \e grain indices
 * (dc_sched_set_grain(), default 1): block b is [b*grain, min((b+1)*grain, N)). The user callback
 * computes one value per block (\e count elements of \e type). The values of the blocks
 * 0 .. nb-1 are combined by a fixed binary tree: the pairwise tree over nb leaves padded to a
 * power of two, where an inner node is op(left, right) and an empty subtree is skipped. In
 * serial C:
 * \code
 * value tree(lo, size) {               // root: tree(0, smallest power of two >= nb)
 *     if (size == 1) return block_value(lo);
 *     if (lo + size / 2 >= nb) return tree(lo, size / 2);
 *     return op(tree(lo, size / 2), tree(lo + size / 2, size / 2));
 * }
 * \endcode
 * Whoever computes a chunk combines the complete subtrees inside it; the partial values are then
 * merged in the same tree, so the result depends only on N, grain, the values and the operation
 * (which needs to be neither associative nor commutative in floating point: the left operand is
 * always the lower blocks). The data moved at the end is one partial value per aligned power of
 * two inside each chunk: about 2 log2(chunk) values per chunk at most, usually one or two.
 *
 * For task lists the order is the depth-first pre-order of the task tree (initial tasks in list
 * order, then each task's children in spawn order), and the same pairwise tree is applied to the
 * values in that order.
 *
 * **Schedules.** Static schedules need no communication during the run. Dynamic and guided
 * take chunks from a counter in node-local shared memory (MPI_Win_allocate_shared and C11
 * atomics): no rank waits on a busy rank and none is sacrificed as a master. With several nodes,
 * each node's counter is refilled in big, decreasing pieces from a global counter on rank 0
 * (MPI_Compare_and_swap on a window over all ranks). Where the MPI progresses one-sided atomics
 * while the target computes (Open MPI with UCX or RDMA networks), nobody waits; where it
 * completes them only inside MPI calls on the target (Open MPI's osc/pt2pt over TCP, MPICH 4.0),
 * a refill can wait until rank 0 finishes its current callback (ranks waiting for work keep
 * calling MPI, so they never block a refill). If no such window can be opened (Open MPI 4.1
 * over TCP, unless run with --mca osc sm,pt2pt), each node keeps a static share of the range,
 * in proportion to its ranks, and balances dynamically inside. Work stealing keeps a range
 * (and a deque of spawned tasks) per rank in node shared memory; idle ranks steal the back half
 * of a random victim's range, or its oldest tasks. Across nodes, spawned tasks stay on their
 * node; with a global counter, half of the index space (or initial tasks) is handed out by it.
 *
 * **Errors.** A callback returns 0 on success. A nonzero return does not stop the run: every
 * other block or task still runs exactly once, then every rank returns the error of the first
 * failing block (lowest index) or task (first in the canonical order), with a message naming it.
 * Setup agrees on errors on all ranks; dc_sched_run() and dc_sched_run_tasks() also agree on
 * argument errors (a size that differs on one rank fails everywhere, no hang).
 *
 * Thread safety: a dc_sched_t is used by one thread per rank at a time.
 * @{
 */
#ifndef DC_SCHED_H
#define DC_SCHED_H

#include <stdio.h>
#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Scheduler of irregular work over the ranks of an env. */
typedef struct dc_sched dc_sched_t;
/** Context of a running task, passed to a dc_sched_task_fn_t (valid during the call only). */
typedef struct dc_sched_task dc_sched_task_t;

/** Schedules, with OpenMP's vocabulary. */
typedef enum {
    DC_SCHED_STATIC = 0, /**< contiguous blocks, one per rank, balanced by count (default) */
    DC_SCHED_CYCLIC,     /**< chunks of \e chunk blocks dealt round-robin (OpenMP static,c) */
    DC_SCHED_WEIGHTED,   /**< contiguous blocks proportional to per-rank weights */
    DC_SCHED_DYNAMIC,    /**< self-scheduling: each rank takes the next \e chunk blocks */
    DC_SCHED_GUIDED,     /**< self-scheduling with decreasing chunks, at least \e chunk */
    DC_SCHED_STEAL,      /**< start static, then idle ranks steal half of a busy rank's work */
    DC_SCHED_KIND_COUNT_ /**< number of schedules (not a schedule) */
} dc_sched_kind_t;

/** Special weights for dc_sched_set_weight(). */
#define DC_SCHED_WEIGHT_CORES     (-1.0) /**< the number of cores placement gave the rank */
#define DC_SCHED_WEIGHT_CALIBRATE (-2.0) /**< measured at setup: speed of a short fixed kernel */

/** Root value meaning "the result on every rank" (dc_sched_set_root(), the default). */
#define DC_SCHED_ROOT_ALL (-1)

/**
 * Computes the value of one block [lo, hi) of the index space (hi - lo is the grain, except for
 * the last block), writing \e count elements of the scheduler's type to \p value. With the
 * default grain of 1, hi = lo + 1: one value per index.
 * \return 0 on success, nonzero on failure (a negative DC_ERR_* code, or any value of your own:
 *         dc_sched_run() returns a negative code unchanged and DC_ERR_ARG for a positive one)
 */
typedef int (*dc_sched_fn_t)(dc_gidx_t lo, dc_gidx_t hi, void *value, void *ctx);

/**
 * Runs one task: \p task points to a copy of its \e task_size bytes (initial or spawned). It
 * writes its value (\e count elements) to \p value, or calls dc_sched_task_set_empty() to
 * contribute nothing, and may call dc_sched_task_spawn() to create child tasks. The spawns of a
 * task that fails are discarded. Return value as for dc_sched_fn_t.
 */
typedef int (*dc_sched_task_fn_t)(dc_sched_task_t *tc, const void *task, void *value, void *ctx);

/** Per-rank statistics of the last run (dc_sched_get_stats()). Times in seconds. */
typedef struct dc_sched_stats {
    int64_t tasks;  /**< blocks (index space) or tasks executed by the rank */
    int64_t chunks; /**< pieces of work it took (a chunk, a stolen range or a stolen batch) */
    int64_t steals; /**< successful steals */
    int64_t steal_attempts; /**< steal attempts, successful or not */
    double busy;            /**< computing: inside callbacks, and combining its own values */
    double overhead;        /**< getting work: counters, steals, searching, before it ran dry */
    double wait;            /**< from running dry until the last rank ran dry */
    double combine;         /**< the final combination of the partial values (collective) */
} dc_sched_stats_t;

/**
 * \brief Create a scheduler on \p env with default settings (DC_SCHED_STATIC, grain 1, result
 * one double reduced with DC_REDUCE_SUM on every rank). Collective on env.
 * \param[in]  env      the env whose ranks run the work
 * \param[out] sched_p  the new scheduler, set only on success
 * \return DC_SUCCESS, DC_ERR_ARG (NULL env or sched_p), DC_ERR_NOMEM, DC_ERR_TIMEOUT (DC_TIMEOUT
 *         expired waiting for another rank)
 */
DC_API int dc_sched_create(dc_env_t *env, dc_sched_t **sched_p);

/**
 * \brief Destroy a scheduler, set *sched_p = NULL. Collective on its env (frees its shared
 * windows); NULL and *sched_p == NULL are no-ops.
 * \param[in,out] sched_p  the caller's handle
 * \return DC_SUCCESS, DC_ERR_ARG (not a scheduler handle)
 */
DC_API int dc_sched_destroy(dc_sched_t **sched_p);

/**
 * \brief Choose the schedule. Local (every rank must choose the same: checked at setup).
 * \param[in] sched  the scheduler (not set up yet)
 * \param[in] kind   the schedule (a dc_sched_kind_t)
 * \return DC_SUCCESS, DC_ERR_ARG (NULL handle or unknown kind), DC_ERR_STATE (after setup)
 */
DC_API int dc_sched_set_kind(dc_sched_t *sched, dc_sched_kind_t kind);

/**
 * \brief Chunk size in blocks: the unit dealt by DC_SCHED_CYCLIC and DC_SCHED_DYNAMIC, the
 * minimum of DC_SCHED_GUIDED, and what a rank takes at once from its own range with
 * DC_SCHED_STEAL. 0 (default) means 1. Does not change the result. Local, before setup.
 * \param[in] sched  the scheduler (not set up yet)
 * \param[in] chunk  blocks per chunk, >= 0 (0: 1)
 * \return DC_SUCCESS, DC_ERR_ARG (NULL handle), DC_ERR_SIZE (chunk < 0), DC_ERR_STATE
 */
DC_API int dc_sched_set_chunk(dc_sched_t *sched, dc_gidx_t chunk);

/**
 * \brief Indices per block (>= 1, default 1): the callback computes one value per block. Part
 * of the result's definition (the blocks are the leaves of the canonical tree). Local, before
 * setup.
 * \param[in] sched  the scheduler (not set up yet)
 * \param[in] grain  indices per block, >= 1
 * \return DC_SUCCESS, DC_ERR_ARG (NULL handle), DC_ERR_SIZE (grain < 1), DC_ERR_STATE
 */
DC_API int dc_sched_set_grain(dc_sched_t *sched, dc_gidx_t grain);

/**
 * \brief Type of the values and the operation combining them. Local, before setup.
 * \param[in] sched  the scheduler (not set up yet)
 * \param[in] type   element type (the *_LOC types only with DC_REDUCE_MINLOC / _MAXLOC)
 * \param[in] count  elements per value (>= 1)
 * \param[in] op     a built-in DC_REDUCE_* or an operation from dc_reduce_op_create() (which
 *                   must stay alive while runs use it)
 * \return DC_SUCCESS, DC_ERR_ARG (NULL handle, bad type, op or combination), DC_ERR_SIZE
 *         (count < 1 or too large), DC_ERR_STATE (after setup)
 */
DC_API int dc_sched_set_reduction(dc_sched_t *sched, dc_dtype_t type, size_t count,
                                  dc_reduce_op_t op);

/**
 * \brief Rank that receives the result, or DC_SCHED_ROOT_ALL (default) for every rank. Local,
 * before setup; must be the same on all ranks (checked at setup).
 * \param[in] sched  the scheduler (not set up yet)
 * \param[in] root   a rank in [0, size), or DC_SCHED_ROOT_ALL
 * \return DC_SUCCESS, DC_ERR_ARG (NULL handle, root not in [0, size) nor DC_SCHED_ROOT_ALL),
 *         DC_ERR_STATE (after setup)
 */
DC_API int dc_sched_set_root(dc_sched_t *sched, int root);

/**
 * \brief This rank's weight for DC_SCHED_WEIGHTED: a finite value >= 0,
 * DC_SCHED_WEIGHT_CORES (default) or DC_SCHED_WEIGHT_CALIBRATE. Local, before setup; at setup
 * the weights are exchanged (all zero: DC_ERR_SIZE on every rank). Only DC_SCHED_WEIGHTED
 * uses them; the calibration runs a fixed kernel of about 1 ms three times on every rank at once.
 * \param[in] sched   the scheduler (not set up yet)
 * \param[in] weight  this rank's weight (see above)
 * \return DC_SUCCESS, DC_ERR_ARG (NULL handle, negative or non-finite weight), DC_ERR_STATE
 */
DC_API int dc_sched_set_weight(dc_sched_t *sched, double weight);

/**
 * \brief Commit the settings. Collective on the env: the kind, chunk, grain, type, count, op and
 * root must match on all ranks (DC_ERR_ARG on every rank otherwise). Allocates the node-shared
 * counters (dynamic, guided, stealing), exchanges the weights (weighted) and runs the
 * calibration if asked.
 * \param[in] sched  the scheduler (configured, not set up yet)
 * \return DC_SUCCESS, DC_ERR_ARG, DC_ERR_SIZE, DC_ERR_STATE (setup twice), DC_ERR_NOMEM,
 *         DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_sched_setup(dc_sched_t *sched);

/**
 * \brief Map-reduce over [0, n): call \p fn once for every block, combine the values in the
 * canonical tree, and store the result in \p result (count elements of the type) on every rank
 * or on the root only. Collective; \p n must match on all ranks.
 *
 * For n = 0 the result is the identity of a built-in operation (0, 1, +/-Inf or the type's
 * extreme, (identity, -1) for the LOC operations); for a user operation \p result is left as
 * it is. \p result is written only on success.
 * \param[in]  sched   the scheduler (set up)
 * \param[in]  n       size of the index space (>= 0)
 * \param[in]  fn      the callback; \p ctx is passed to it unchanged
 * \param[in]  ctx     passed to fn unchanged (may be NULL)
 * \param[out] result  the reduced value (may be NULL on ranks other than the root)
 * \return DC_SUCCESS; DC_ERR_ARG, DC_ERR_SIZE (n < 0 or different across ranks), DC_ERR_STATE
 *         (not set up), the callback's error (see dc_sched_fn_t), DC_ERR_NOMEM, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank): always the same code on
 *         every rank.
 */
DC_API int dc_sched_run(dc_sched_t *sched, dc_gidx_t n, dc_sched_fn_t fn, void *ctx, void *result);

/**
 * \brief Run a task list whose tasks may spawn tasks, and combine their values in the canonical
 * order (depth-first pre-order). The initial tasks are scheduled like the indices of
 * dc_sched_run() (grain is ignored: one task per block); spawned tasks run on the rank that
 * spawned them, except with DC_SCHED_STEAL, where idle ranks of the same node steal the oldest
 * ones. Collective; ntasks and task_size must match on all ranks, and \p tasks must hold the
 * same list on every rank.
 * \param[in] sched      the scheduler (set up)
 * \param[in] ntasks     number of initial tasks (>= 0)
 * \param[in] tasks      ntasks * task_size bytes (copied as needed; may be NULL if ntasks = 0)
 * \param[in] task_size  bytes per task (1 .. 65536)
 * \param[in] fn         the task callback (see dc_sched_task_fn_t)
 * \param[in] ctx        passed to fn unchanged (may be NULL)
 * \param[out] result    as for dc_sched_run()
 * \return as for dc_sched_run(): DC_SUCCESS; DC_ERR_ARG (also: fn NULL, tasks NULL with
 *         ntasks > 0), DC_ERR_SIZE (ntasks < 0, task_size not in [1, 65536], or either different
 *         across ranks), DC_ERR_STATE (not set up), the callback's error, DC_ERR_NOMEM, DC_ERR_MPI,
 *         DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank): always the same code on
 *         every rank.
 */
DC_API int dc_sched_run_tasks(dc_sched_t *sched, dc_gidx_t ntasks, const void *tasks,
                              size_t task_size, dc_sched_task_fn_t fn, void *ctx, void *result);

/**
 * \brief From inside a dc_sched_task_fn_t: create a child task (its task_size bytes are copied).
 * Children come after their parent, in spawn order, in the canonical order. Local.
 * \param[in] tc    the running task's context (the callback's first argument)
 * \param[in] task  the child task: task_size bytes, copied
 * \return DC_SUCCESS, DC_ERR_ARG (NULL argument, or tc not the running task), DC_ERR_NOMEM
 */
DC_API int dc_sched_task_spawn(dc_sched_task_t *tc, const void *task);

/**
 * \brief From inside a dc_sched_task_fn_t: this task contributes no value (its value buffer is
 * ignored). Local.
 * \param[in] tc  the running task's context (the callback's first argument)
 * \return DC_SUCCESS, DC_ERR_ARG (tc NULL or not the running task)
 */
DC_API int dc_sched_task_set_empty(dc_sched_task_t *tc);

/**
 * \brief Statistics of \p rank in the last run (they are exchanged at the end of every run).
 * Local.
 * \param[in]  sched    the scheduler
 * \param[in]  rank     a rank of the env, in [0, size)
 * \param[out] stats_p  filled (a copy)
 * \return DC_SUCCESS, DC_ERR_ARG (NULL argument, rank out of range), DC_ERR_STATE (no run yet)
 */
DC_API int dc_sched_get_stats(const dc_sched_t *sched, int rank, dc_sched_stats_t *stats_p);

/**
 * \brief Load imbalance of the last run: max busy / mean busy over the ranks (1 = perfect), and
 * the rank with the most busy time. Local. Either output may be NULL.
 * \param[in]  sched        the scheduler
 * \param[out] imbalance_p  max busy / mean busy (may be NULL)
 * \param[out] slowest_p    the rank with the most busy time (may be NULL)
 * \return DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE (no run yet)
 */
DC_API int dc_sched_get_imbalance(const dc_sched_t *sched, double *imbalance_p, int *slowest_p);

/**
 * \brief Print the schedule and the per-rank statistics of the last run (one line per rank and
 * the imbalance) on rank 0. Collective on the env.
 * \param[in] sched  the scheduler
 * \param[in] f  stream on rank 0 (NULL: stdout)
 * \return DC_SUCCESS, DC_ERR_ARG (NULL handle)
 */
DC_API int dc_sched_view(dc_sched_t *sched, FILE *f);

/**
 * \brief Name of a schedule ("static", "cyclic", ...). Local.
 * \param[in] kind  the schedule
 * \return a static string, or NULL for a value that is not a dc_sched_kind_t
 */
DC_API const char *dc_sched_kind_name(dc_sched_kind_t kind);
/**
 * \brief Schedule of a name as printed by dc_sched_kind_name(). Local.
 * \param[in]  name    the name
 * \param[out] kind_p  the schedule
 * \return DC_SUCCESS, DC_ERR_ARG (name or kind_p NULL, unknown name)
 */
DC_API int dc_sched_kind_from_name(const char *name, dc_sched_kind_t *kind_p);

/**
 * \defgroup dc_random Counter-based random numbers (dc_rng_*)
 * Philox4x32-10 (Salmon et al., SC'11; the generator of Random123, bit for bit): the numbers
 * are a pure function of (seed, stream, position), so a Monte Carlo code that uses stream i
 * for index i gives the same result on any number of ranks and with any schedule.
 * Call k of the generator (k = 0, 1, ...) encrypts the counter (k mod 2^32, k / 2^32,
 * stream mod 2^32, stream / 2^32) with the key (seed mod 2^32, seed / 2^32); the four output
 * words x0..x3 give the 64-bit values x0 + 2^32 x1 and x2 + 2^32 x3, in that order, and a
 * uniform double is (v >> 11) * 2^-53, in [0, 1).
 * @{
 */

/** A stream of random numbers (a value type: copy it, keep it on the stack). */
typedef struct dc_rng {
    uint32_t key[2]; /**< the key: the seed */
    uint32_t ctr[4]; /**< the counter: position and stream */
    uint64_t buf[2]; /**< the two values of the last block */
    int avail;       /**< values of buf not used yet */
} dc_rng_t;

/**
 * \brief Start stream \p stream of \p seed at position 0. Local, thread-safe.
 * \param[out] rng     the generator state to initialise (caller's storage)
 * \param[in]  seed    the key: different seeds give independent families of streams
 * \param[in]  stream  the stream number (any 64-bit value, e.g. a global index)
 * \return DC_SUCCESS, DC_ERR_ARG (rng NULL)
 */
DC_API int dc_rng_init(dc_rng_t *rng, uint64_t seed, uint64_t stream);
/**
 * \brief Next \p n uniform doubles in [0, 1). Local.
 * \param[in,out] rng  the generator (advanced by n values)
 * \param[out]    u    n doubles
 * \param[in]     n    how many (0 is allowed)
 * \return DC_SUCCESS, DC_ERR_ARG (rng NULL, or u NULL with n > 0)
 */
DC_API int dc_rng_uniform(dc_rng_t *rng, double *u, size_t n);
/**
 * \brief Next \p n uniform 64-bit integers. Local.
 * \param[in,out] rng  the generator (advanced by n values)
 * \param[out]    x    n integers
 * \param[in]     n    how many (0 is allowed)
 * \return DC_SUCCESS, DC_ERR_ARG (rng NULL, or x NULL with n > 0)
 */
DC_API int dc_rng_uint64(dc_rng_t *rng, uint64_t *x, size_t n);
/**
 * \brief One Philox4x32-10 block: \p out = bijection of \p ctr under \p key (for known-answer
 * tests and for users who manage counters themselves). Local.
 * \param[in]  ctr  the 128-bit counter, four 32-bit words
 * \param[in]  key  the 64-bit key, two 32-bit words
 * \param[out] out  the four output words
 * \return DC_SUCCESS, DC_ERR_ARG (ctr, key or out NULL)
 */
DC_API int dc_rng_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/** @} */

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_SCHED_H */
