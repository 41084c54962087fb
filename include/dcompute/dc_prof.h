/**
 * \file dc_prof.h
 * \defgroup dc_prof Profiling
 * Every public operation passes through a begin/end hook that costs one predictable branch when
 * profiling is off. With DC_PROFILE=1 (or dc_env_params_t::profile), dc_env_destroy prints on
 * rank 0 a table per operation: calls, bytes, time min/avg/max over ranks, the slowest rank and
 * the imbalance (max/avg), followed by the placement map. DC_PROFILE_FILE=path writes it there.
 * @{
 */
#ifndef DC_PROF_H
#define DC_PROF_H

#include <stdio.h>
#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \brief Turn profiling on or off from now on. Local (but the view is collective, so every rank
 * should make the same choice).
 * \param[in] on  nonzero: on
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env)
 */
DC_API int dc_prof_set_enabled(dc_env_t *env, int on);
/**
 * \brief Forget all counts and times of this rank. Local.
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env)
 */
DC_API int dc_prof_reset(dc_env_t *env);
/**
 * \brief Print the profile table and placement map on rank 0. Collective.
 * \param[in] f  stream on rank 0 (NULL: stdout)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed env), DC_ERR_MPI
 */
DC_API int dc_prof_view(dc_env_t *env, FILE *f);
/**
 * \brief This rank's totals for one operation, by its name (e.g. "dc_vec_dot"). Local.
 * \param[in]  name       the operation's name as the profile prints it
 * \param[out] calls_p    calls counted (outermost only); may be NULL
 * \param[out] seconds_p  total time; may be NULL
 * \param[out] bytes_p    bytes touched or moved; may be NULL
 * \return DC_SUCCESS, DC_ERR_ARG (invalid env, name NULL or unknown)
 */
DC_API int dc_prof_get_event(const dc_env_t *env, const char *name, uint64_t *calls_p,
                             double *seconds_p, uint64_t *bytes_p);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_PROF_H */
