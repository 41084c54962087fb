/**
 * \file dc_env.h
 * \defgroup dc_env Environment
 * The env is the root object: every other object hangs off one. It holds a private duplicate of
 * the application's communicator (with MPI_ERRORS_RETURN set on the duplicate only), the hwloc
 * topology and the placement it applied, the options, the profiler and the last-error buffer.
 * Several envs may coexist (for example one per sub-communicator).
 *
 * Handles must be valid on every rank of a collective call: a NULL or destroyed handle fails at
 * once on the rank that passed it (it has no communicator to agree on).
 * @{
 */
#ifndef DC_ENV_H
#define DC_ENV_H

#include <stdio.h>
#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** How ranks are bound to cores when the launcher left them unbound. */
typedef enum {
    DC_BIND_AUTO = 0, /**< keep the launcher's binding; else bind compact if ranks <= cores */
    DC_BIND_COMPACT,  /**< node-local rank r gets consecutive cores */
    DC_BIND_SPREAD,   /**< ranks spread round-robin over packages / NUMA nodes */
    DC_BIND_NONE      /**< never change the binding */
} dc_bind_t;

/** Algorithm of dc_allreduce() for built-in operations. */
typedef enum {
    DC_ALLREDUCE_FLAT = 0, /**< one MPI_Allreduce on the env's communicator */
    DC_ALLREDUCE_NODE /**< node-aware: reduce in the node, allreduce over node leaders, bcast */
} dc_allreduce_algo_t;

/** Bits of dc_env_params_t::field_mask: only fields whose bit is set are read. */
enum {
    DC_ENV_PARAM_BIND = 1u << 0,         /**< bind */
    DC_ENV_PARAM_BLAS_THREADS = 1u << 1, /**< blas_threads */
    DC_ENV_PARAM_REPRO = 1u << 2,        /**< repro */
    DC_ENV_PARAM_DEBUG = 1u << 3,        /**< debug */
    DC_ENV_PARAM_PROFILE = 1u << 4,      /**< profile */
    DC_ENV_PARAM_ALLREDUCE = 1u << 5,    /**< allreduce */
    DC_ENV_PARAM_TOPOLOGY = 1u << 6,     /**< topology */
    DC_ENV_PARAM_TIMEOUT = 1u << 7       /**< timeout and timeout_abort */
};

/**
 * Creation parameters. Set field_mask to the DC_ENV_PARAM_* bits of the fields you set; the
 * others come from the DC_* environment variables (read on rank 0 and broadcast) or defaults.
 * Precedence: params, then environment variable, then default. New fields are only appended.
 */
typedef struct dc_env_params {
    uint64_t field_mask;           /**< DC_ENV_PARAM_* bits of the fields set */
    dc_bind_t bind;                /**< DC_BIND */
    int blas_threads;              /**< DC_BLAS_THREADS: 0 = from the rank's CPU set */
    dc_repro_t repro;              /**< DC_REPRO */
    int debug;                     /**< DC_DEBUG: also check hot-path collectives' arguments */
    int profile;                   /**< DC_PROFILE: run report at destroy: 0 off, 1 text, 2 JSON */
    dc_allreduce_algo_t allreduce; /**< DC_ALLREDUCE */
    const char *topology;          /**< DC_TOPOLOGY: hwloc synthetic string or XML file (copied) */
    /**
     * DC_TIMEOUT: hang watchdog, in seconds, [0, 1e6] (0: off, the default). A library
     * collective whose ranks have not all entered it after this long reports, on each waiting
     * rank, the ranks missing (rank, node, pid, the last library collective each entered) on
     * stderr and in dc_env_last_error() and returns DC_ERR_TIMEOUT; the env's collectives are
     * out of step from then on (they return DC_ERR_TIMEOUT at once, also on a missing rank when
     * it comes: destroy the env or abort). Ranks that entered different library collectives
     * all return DC_ERR_ARG, naming them, and the env stays usable.
     */
    double timeout;
    /** DC_TIMEOUT_ABORT: nonzero = MPI_Abort (error code 13) right after the diagnosis */
    int timeout_abort;
} dc_env_params_t;

/** Verdict on how the ranks of a node sit on its cores. */
typedef enum {
    DC_PLACEMENT_OK = 0,        /**< every rank bound to its own cores, threads fit */
    DC_PLACEMENT_UNBOUND,       /**< ranks <= cores but ranks are not bound (DC_BIND=none) */
    DC_PLACEMENT_OVERLAP,       /**< bindings of ranks of this node overlap */
    DC_PLACEMENT_OVERSUBSCRIBED /**< more ranks than cores on the node */
} dc_placement_verdict_t;

/** Where one rank runs (a value type, filled by dc_env_get_placement()). */
typedef struct dc_placement {
    char node_name[MPI_MAX_PROCESSOR_NAME]; /**< MPI_Get_processor_name */
    int node_id;      /**< index of the node, 0 .. nnodes-1, in order of lowest rank */
    int nnodes;       /**< number of nodes of the env */
    int node_rank;    /**< rank within the node */
    int node_size;    /**< ranks of this env on the node */
    int node_cores;   /**< cores of the node (from its topology) */
    int bound;        /**< 1 if the rank's CPU set is smaller than the machine */
    int applied;      /**< 1 if libdcompute set the binding itself (this env or an earlier,
                           still alive one); always 0 with DC_TOPOLOGY (a simulated machine) */
    int ncores;       /**< cores the rank's CPU set touches */
    int npus;         /**< PUs in the rank's CPU set */
    int numa_node;    /**< NUMA node of the CPU set, -1 if it spans several or unknown */
    int blas_threads; /**< OpenBLAS threads set for this rank (with DC_TOPOLOGY: planned only) */
    dc_placement_verdict_t verdict; /**< the node's verdict (the same on its ranks) */
    char cpuset[128];               /**< PU list of the CPU set, e.g. "0-3,8" */
} dc_placement_t;

/**
 * \brief Create an env on \p comm. Collective on comm.
 *
 * Calls MPI_Init_thread (MPI_THREAD_FUNNELED) if MPI is not initialised yet; then the last
 * dc_env_destroy() calls MPI_Finalize. Duplicates comm, discovers the topology, applies the
 * placement and sets the BLAS thread count. Placement considers only the env's own ranks on
 * each node. Invalid options on any rank make it fail on all. First of all, the MPI the process
 * runs must be the one the library was built for (else DC_ERR_MPI: see dc_env_create_abi()).
 * \param[in]  comm    the application's communicator (not used afterwards; may be freed)
 * \param[in]  params  options, or NULL for environment variables and defaults (copied)
 * \param[out] env_p   the new env, set only on success
 * \return DC_SUCCESS, DC_ERR_ARG (env_p NULL, bad option), DC_ERR_IO (DC_PROFILE's file cannot
 *         be opened: the message names it), DC_ERR_NOTSUP (DC_PROFILE=json in a build without
 *         jansson), DC_ERR_MPI, DC_ERR_TOPO, DC_ERR_NOMEM
 */
DC_API int dc_env_create(MPI_Comm comm, const dc_env_params_t *params, dc_env_t **env_p);

/**
 * \brief dc_env_create() that also checks the MPI of the application's <mpi.h>. Collective on
 * comm. Applications call dc_env_create, which this header makes a macro around this function
 * passing DC_APP_MPI; (dc_env_create)(...) or a pointer to it reaches the unchecked function.
 *
 * Before anything else (and, like dc_env_create, before any MPI call that takes a handle), the
 * MPI the process runs (MPI_Get_library_version) and \p app_mpi must be the MPI the library was
 * built for (DC_MPI_NAME); otherwise it fails on every rank with a message naming both MPIs and
 * the library to link (libdcompute-openmpi or libdcompute-mpich), instead of dying in the first
 * collective.
 * \param[in]  comm     as for dc_env_create()
 * \param[in]  params   as for dc_env_create()
 * \param[out] env_p    as for dc_env_create()
 * \param[in]  app_mpi  "openmpi 4.1.4", "mpich 4.0.2" (DC_APP_MPI), or NULL: not checked
 * \return DC_SUCCESS, DC_ERR_MPI (another MPI: runtime or application, same on every rank), and
 * the codes of dc_env_create(): DC_ERR_ARG, DC_ERR_STATE, DC_ERR_COMM, DC_ERR_TOPO, DC_ERR_NOMEM
 */
DC_API int dc_env_create_abi(MPI_Comm comm, const dc_env_params_t *params, dc_env_t **env_p,
                             const char *app_mpi);
/** dc_env_create() as applications call it: dc_env_create_abi() with their MPI (DC_APP_MPI). */
#define dc_env_create(comm, params, env_p) dc_env_create_abi((comm), (params), (env_p), DC_APP_MPI)

/**
 * \brief Destroy an env and set *env_p to NULL. Collective on the env. NULL is a no-op.
 * Objects still built on the env keep it alive until they are destroyed; the destroyed handle
 * and its copies are rejected from then on (DC_ERR_ARG), unless dc_layout_get_env() or
 * dc_mat_get_env() lends the env out again. With DC_PROFILE (or params.profile),
 * rank 0 writes the run report (text or JSON, docs/profile.md) to stderr or to its file.
 * The last env of the process restores the process's original binding and BLAS thread count.
 * \param[in,out] env_p  the caller's handle
 * \return DC_SUCCESS, DC_ERR_ARG (not an env handle, destroyed before, or lent by a getter after
 *         the caller's own handle was destroyed: nothing changed), DC_ERR_IO, DC_ERR_NOMEM,
 *         DC_ERR_MPI (writing the run report, on every rank; the env is released anyway)
 */
DC_API int dc_env_destroy(dc_env_t **env_p);

/**
 * \brief The env's private communicator. Local.
 * \param[in]  env     the env
 * \param[out] comm_p  the duplicate of the application's communicator the library works on
 *                     (owned by the env: do not free it; messages on it may meet the library's)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env, comm_p NULL)
 */
DC_API int dc_env_get_comm(const dc_env_t *env, MPI_Comm *comm_p);
/**
 * \brief This rank and the number of ranks in the env. Local.
 * \param[in]  env     the env
 * \param[out] rank_p  this rank (may be NULL if size_p is not)
 * \param[out] size_p  the number of ranks (may be NULL if rank_p is not)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env, both outputs NULL)
 */
DC_API int dc_env_get_rank(const dc_env_t *env, int *rank_p, int *size_p);
/**
 * \brief Placement of this rank (where it runs, binding, threads, the node's verdict). Local.
 * \param[in]  env          the env
 * \param[out] placement_p  filled (a copy)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env, placement_p NULL)
 */
DC_API int dc_env_get_placement(const dc_env_t *env, dc_placement_t *placement_p);
/**
 * \brief Static name of a placement verdict, as dc_env_view() and tools/dc_info print it.
 * Local; thread-safe.
 * \param[in] verdict  a dc_placement_verdict_t value
 * \return "ok", "unbound", "overlap" or "oversubscribed"; "unknown" for any other value
 */
DC_API const char *dc_placement_verdict_name(dc_placement_verdict_t verdict);
/**
 * \brief Set the env's default reproducibility mode. Collective, arguments must match on all
 * ranks (a mode that differs on one rank fails on all with DC_ERR_ARG).
 * \param[in] env   the env
 * \param[in] mode  DC_REPRO_OFF, _BINNED or _EXACT
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env: at once on that rank; mode not one of the three
 *         or differing across ranks: on every rank), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired
 *         waiting for another rank)
 */
DC_API int dc_env_set_repro(dc_env_t *env, dc_repro_t mode);
/**
 * \brief The env's default reproducibility mode. Local.
 * \param[in]  env     the env
 * \param[out] mode_p  DC_REPRO_OFF, _BINNED or _EXACT
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env, mode_p NULL)
 */
DC_API int dc_env_get_repro(const dc_env_t *env, dc_repro_t *mode_p);
/**
 * \brief Turn debug-mode checks (hot-path collectives' arguments compared across ranks) on or
 * off. Collective, arguments must match.
 * \param[in] env  the env
 * \param[in] on  nonzero: on
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env: at once on that rank; on differing across
 *         ranks: on every rank), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another
 *         rank)
 */
DC_API int dc_env_set_debug(dc_env_t *env, int on);

/**
 * \brief Print the placement table (one line per rank) and the verdict on rank 0. Collective.
 * \param[in] env  the env
 * \param[in] f  stream to print to on rank 0 (NULL: stdout)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env), DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT
 *         expired waiting for another rank)
 */
DC_API int dc_env_view(dc_env_t *env, FILE *f);

/**
 * \brief Print the options table (name, type, default, current value, help). Local.
 * Used by tools/dc_info -c.
 * \param[in] env  the env whose current values to show, or NULL for the defaults only
 * \param[in] f    stream to print to (NULL: stdout)
 * \return DC_SUCCESS, DC_ERR_ARG (env neither NULL nor a valid env)
 */
DC_API int dc_options_view(const dc_env_t *env, FILE *f);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_ENV_H */
