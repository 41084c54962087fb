/**
 * \file dc_error.h
 * \defgroup dc_error Error reporting
 * Every public function returns an int: DC_SUCCESS (0), a negative DC_ERR_* code, or, for
 * non-blocking calls, DC_INPROGRESS. dc_strerror() names a code; dc_env_last_error() gives the
 * detailed message (function, file:line, cause, and the failing rank for agreed errors).
 * @{
 */
#ifndef DC_ERROR_H
#define DC_ERROR_H

#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    DC_SUCCESS = 0,        /**< success */
    DC_INPROGRESS = 1,     /**< a non-blocking operation has not completed yet */
    DC_ERR_ARG = -1,       /**< invalid argument (NULL, wrong handle, bad value) */
    DC_ERR_NOMEM = -2,     /**< out of memory */
    DC_ERR_STATE = -3,     /**< call not allowed in the object's current state */
    DC_ERR_SIZE = -4,      /**< sizes negative, inconsistent or mismatched across ranks */
    DC_ERR_COMM = -5,      /**< objects from different envs, or an unusable communicator */
    DC_ERR_MPI = -6,       /**< an MPI call failed (message holds MPI_Error_string) */
    DC_ERR_TOPO = -7,      /**< hwloc topology discovery, load or binding failed */
    DC_ERR_BLAS = -8,      /**< BLAS library problem */
    DC_ERR_IO = -9,        /**< file input/output failed */
    DC_ERR_NOTSUP = -10,   /**< operation not supported for these arguments */
    DC_ERR_INTERNAL = -11, /**< internal inconsistency (a bug: please report it) */
    DC_ERR_CORRUPT = -12,  /**< stored data failed its checksum, is truncated or unreadable */
    DC_ERR_TIMEOUT = -13   /**< a collective waited longer than DC_TIMEOUT for other ranks */
};

/**
 * \brief Static, human-readable name of an error code. Local; thread-safe.
 * \param[in] code  any int returned by libdcompute
 * \return a static string, never NULL ("unknown error" for unknown codes)
 */
DC_API const char *dc_strerror(int code);

/**
 * \brief Detailed message of the last error recorded in \p env (function, file:line, cause,
 * and for DC_ERR_MPI MPI's own text). Local.
 * \param[in] env  the env; NULL (or a handle that is not an env) gives the per-thread buffer of
 *                 the errors no env could record: NULL or destroyed handles, a failed
 *                 dc_env_create(). An env whose handle was destroyed while objects keep it
 *                 alive still gives its own buffer, where those objects' errors go.
 * \return a string owned by the library, valid until the next failing call on the same env (or
 *         thread); "" if none. Never NULL.
 */
DC_API const char *dc_env_last_error(const dc_env_t *env);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_ERROR_H */
