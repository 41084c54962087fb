/**
 * \file dc_prof.h
 * \defgroup dc_prof Profiling
 * Every public operation passes through a begin/end hook that costs one predictable branch when
 * profiling and tracing are off. DC_PROFILE=text|json[:path] (or dc_env_params_t::profile)
 * writes the run report at dc_env_destroy: per operation calls, time (% of the total, min/avg/max
 * over ranks, slowest rank, imbalance max/avg), bytes and messages the library passed to MPI,
 * flops; per rank the time in compute, communication and waiting at collective entry; the
 * communication matrix; user regions (dc_prof_region_begin()); placement, versions, options.
 * Without ":path" the report goes to stderr on rank 0; a path that cannot be opened makes
 * dc_env_create fail with DC_ERR_IO on every rank. DC_PROFILE=1 means text, 0 or empty off.
 * The report is reduced over ranks only when written. Every field is explained in
 * docs/profile.md.
 * DC_TRACE=path writes a Chrome trace-event timeline of every operation and region per rank
 * (bounded: DC_TRACE_EVENTS per rank, the oldest dropped and counted) at dc_env_destroy.
 * @{
 */
#ifndef DC_PROF_H
#define DC_PROF_H

#include <stdio.h>
#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Report formats of dc_prof_report() (and of DC_PROFILE=text|json[:path]). */
typedef enum {
    DC_PROF_TEXT = 0, /**< tables for people (PETSc -log_view style) */
    DC_PROF_JSON = 1  /**< machine-readable, schema docs/profile-schema.json ("version" field) */
} dc_prof_format_t;

/**
 * One operation's totals on this rank (dc_prof_get_stats()). Times are inclusive: a public
 * operation called from inside another counts in both. Communication is what the library
 * passes to MPI, counted where it calls MPI (no PMPI layer): point-to-point payload per
 * message, and for a collective call this rank's send and receive buffer sizes (one message
 * each way); what MPI moves inside a collective (trees, rings) is not visible.
 */
typedef struct dc_prof_stats {
    uint64_t calls;      /**< outermost calls */
    double seconds;      /**< inclusive time in the operation */
    double comm_seconds; /**< of which inside MPI calls that move data (less the wait
                              estimated for collective entries without a barrier) */
    double wait_seconds; /**< of which waiting at collective entry for the last rank: timed
                              at 1 of every DC_PROFILE_SYNC entries, estimated for the rest */
    uint64_t bytes_sent; /**< bytes passed to MPI to send */
    uint64_t bytes_recv; /**< bytes received from MPI */
    uint64_t msgs_sent;  /**< point-to-point sends plus collective calls */
    uint64_t msgs_recv;  /**< point-to-point receives plus collective calls */
    double flops;        /**< floating-point operations where known (BLAS, GEMM, stencils) */
} dc_prof_stats_t;

/**
 * \brief Turn profiling on or off from now on. Local (but the report is collective, so every
 * rank should make the same choice). Switched on after dc_env_create, nothing times a barrier
 * at collective entry, so waiting is not measured (the report says so); when nothing was
 * counted yet, the report's wall time starts here.
 * \param[in] env  the env
 * \param[in] on   nonzero: on
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env)
 */
DC_API int dc_prof_set_enabled(dc_env_t *env, int on);
/**
 * \brief Forget all counts and times of this rank, user regions' included (open regions stay
 * open and count from now on); the report's wall time starts again. Local.
 * \param[in] env  the env
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env)
 */
DC_API int dc_prof_reset(dc_env_t *env);
/**
 * \brief Write the text run report (as dc_prof_report() with DC_PROF_TEXT) followed by the
 * placement map to a stream on rank 0. Collective.
 * \param[in] env  the env
 * \param[in] f    stream on rank 0 (NULL: stdout); not used on other ranks
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env), DC_ERR_IO (writing failed; on
 *         every rank), DC_ERR_NOMEM, DC_ERR_MPI
 */
DC_API int dc_prof_view(dc_env_t *env, FILE *f);
/**
 * \brief This rank's totals for one operation, by its name (e.g. "dc_vec_dot"). Local.
 * \param[in]  env        the env
 * \param[in]  name       the operation's name as the profile prints it
 * \param[out] calls_p    calls counted (outermost only); may be NULL
 * \param[out] seconds_p  total time; may be NULL
 * \param[out] bytes_p    bytes touched or moved; may be NULL
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, name NULL or unknown)
 */
DC_API int dc_prof_get_event(const dc_env_t *env, const char *name, uint64_t *calls_p,
                             double *seconds_p, uint64_t *bytes_p);

/**
 * \brief This rank's totals for one operation, by its name (e.g. "dc_vec_dot"), over all
 * regions. Local.
 * \param[in]  env    the env
 * \param[in]  name   the operation's name as the profile prints it
 * \param[out] stats  the totals (all zero if the operation was never called while profiling)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, name or stats NULL, name unknown)
 */
DC_API int dc_prof_get_stats(const dc_env_t *env, const char *name, dc_prof_stats_t *stats);
/**
 * \brief Bytes this rank passed to MPI for point-to-point messages to and from one peer (the
 * row and column of the communication matrix). Local.
 * \param[in]  env     the env
 * \param[in]  peer    a rank of the env, in [0, size)
 * \param[out] sent_p  bytes sent to peer; may be NULL
 * \param[out] recv_p  bytes received from peer; may be NULL
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, peer out of range)
 */
DC_API int dc_prof_get_peer_bytes(const dc_env_t *env, int peer, uint64_t *sent_p,
                                  uint64_t *recv_p);
/**
 * \brief Open a user region (PETSc's stage): operations called while it is the innermost open
 * region are reported in its own table as well as in the totals; its time (inclusive of inner
 * regions) is reported over the ranks that have it. Regions nest, at most 16 deep; at most 64
 * regions per env, a region being a name under its parent (the same name under another parent
 * counts again). The report matches regions across ranks by path ("outer/inner"); one that
 * only some ranks opened is reported with the list of those ranks. Local. With profiling and
 * tracing off and no region opened before, it only counts the open region (names not checked).
 * \param[in] env   the env
 * \param[in] name  the region's name (copied): 1 to 63 characters, no '/'
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, name NULL, empty, too long or with '/', 16
 *         regions open, 64 regions exist), DC_ERR_NOMEM
 */
DC_API int dc_prof_region_begin(dc_env_t *env, const char *name);
/**
 * \brief Close the innermost user region. Local.
 * \param[in] env   the env
 * \param[in] name  must be the name given to the matching dc_prof_region_begin()
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, name NULL, no region open, name not the
 *         innermost one's: nothing changed)
 */
DC_API int dc_prof_region_end(dc_env_t *env, const char *name);
/**
 * \brief Write the run report: total time and its share per operation, calls, bytes and
 * messages, flops, time min/avg/max over ranks with the slowest rank and imbalance, per-rank
 * compute / communication / wait, the communication matrix, user regions, placement, BLAS
 * threads, reproducibility mode, versions and options (fields: docs/profile.md; JSON schema:
 * docs/profile-schema.json). Collective, format must match on all ranks; rank 0 opens the file
 * and writes. Counting goes on afterwards.
 * \param[in] env     the env
 * \param[in] format  DC_PROF_TEXT or DC_PROF_JSON
 * \param[in] path    file to write (replaced), used on rank 0; NULL: stdout
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, format out of range or not the same on all
 *         ranks), DC_ERR_NOTSUP (DC_PROF_JSON in a build without jansson), DC_ERR_IO (the file
 *         cannot be opened or written, the message names it and the system's reason; on every
 *         rank), DC_ERR_NOMEM, DC_ERR_MPI
 */
DC_API int dc_prof_report(dc_env_t *env, dc_prof_format_t format, const char *path);
/**
 * \brief Write the trace recorded so far (DC_TRACE) as one Chrome trace-event JSON file: one
 * process per rank, clocks aligned to rank 0's, every library operation and user region as a
 * complete event. Perfetto and chrome://tracing open it. Collective; rank 0 writes.
 * \param[in] env   the env
 * \param[in] path  file to write (replaced)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, path NULL, tracing off), DC_ERR_IO (on every
 *         rank), DC_ERR_NOMEM, DC_ERR_MPI
 */
DC_API int dc_prof_trace_write(dc_env_t *env, const char *path);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_PROF_H */
