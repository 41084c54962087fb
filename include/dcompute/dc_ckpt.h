/**
 * \file dc_ckpt.h
 * \defgroup dc_ckpt Checkpoint and restart
 * Collective checkpoints of named objects (vectors, dense matrices, mesh fields, layouts, user
 * data and blobs, a solver's iteration state) in one parallel HDF5 file per checkpoint, read back
 * on any rank count and any layout.
 *
 * A checkpoint directory holds committed files `<prefix>.<step>.h5` (step: 12 digits) and at most
 * one temporary `<prefix>.<step>.h5.tmp` of a write in progress. Objects are stored in global
 * (natural) order, with their shape, type and layout as HDF5 attributes, so h5dump, h5py,
 * ParaView or VisIt read a checkpoint without libdcompute (docs/architecture.md gives the format).
 * Every object carries a CRC-32 (zlib) of its data and one per block written by each rank; a read
 * verifies it and fails with DC_ERR_CORRUPT, naming the object, on every rank.
 *
 * Commit is atomic: dc_ckpt_write_end() flushes and fsyncs the temporary on every rank, then
 * rank 0 renames it to its final name and syncs the directory, and removes committed checkpoints
 * beyond the last \c keep. A job killed during a write leaves the previous checkpoint current.
 *
 * Every function is collective on the checkpoint's env unless it says "Local"; an error is agreed
 * (the same code on every rank, with the failing rank's message). Handles must be valid on every
 * rank. The module exists when libdcompute was configured with parallel HDF5 for its MPI
 * (DC_HAVE_CKPT in dc_version.h; `dc_info` says so); without it this header still declares the
 * functions, and each returns DC_ERR_NOTSUP.
 * @{
 */
#ifndef DC_CKPT_H
#define DC_CKPT_H

#include <stdint.h>
#include <dcompute/dc_types.h>
#include <dcompute/dc_layout.h>
#include <dcompute/dc_vec.h>
#include <dcompute/dc_mat.h>
#include <dcompute/dc_mesh.h>
#include <dcompute/dc_solve.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A checkpoint directory opened by an env (opaque). */
typedef struct dc_ckpt dc_ckpt_t;

/** dc_ckpt_read_begin(): the newest committed checkpoint. */
#define DC_CKPT_LATEST ((int64_t)-1)

/** Bits of dc_ckpt_params_t::field_mask: only fields whose bit is set are read. */
enum {
    DC_CKPT_PARAM_KEEP = 1u << 0,  /**< keep */
    DC_CKPT_PARAM_PREFIX = 1u << 1 /**< prefix */
};

/** Settings of a checkpoint directory (copied). New fields are only appended. */
typedef struct dc_ckpt_params {
    uint64_t field_mask; /**< DC_CKPT_PARAM_* bits of the fields set */
    int keep;            /**< committed checkpoints kept, >= 1 (default 2) */
    const char *prefix;  /**< file name prefix: letters, digits, '-', '_' (default "ckpt") */
} dc_ckpt_params_t;

/**
 * \brief Open (creating it if needed, like mkdir -p) the checkpoint directory \p dir.
 * Temporaries left by a write that never committed are removed. A directory that cannot be
 * written (a read-only file system) opens for reading; writing there fails at
 * dc_ckpt_write_begin() with DC_ERR_IO. Collective on env.
 * \param[in]  env     the env whose ranks write and read
 * \param[in]  dir     directory path, the same on every rank (a shared file system across nodes)
 * \param[in]  params  settings, or NULL for the defaults
 * \param[out] ckpt_p  the handle, set only on success
 * \return DC_SUCCESS; DC_ERR_ARG (NULL argument, dir or a params field differing between ranks
 *         or invalid); DC_ERR_IO (dir cannot be created or is not a readable directory);
 *         DC_ERR_NOTSUP (built without parallel HDF5); DC_ERR_NOMEM; DC_ERR_MPI; DC_ERR_TIMEOUT
 *         (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_ckpt_create(dc_env_t *env, const char *dir, const dc_ckpt_params_t *params,
                          dc_ckpt_t **ckpt_p);
/**
 * \brief Close the handle and set *ckpt_p = NULL; a write not yet ended is abandoned (its
 * temporary removed, the previous checkpoint stays current). NULL is a no-op. Collective on the
 * checkpoint's env.
 * \param[in,out] ckpt_p  the caller's handle
 * \return DC_SUCCESS, DC_ERR_ARG (not a checkpoint handle, destroyed before), DC_ERR_IO
 *         (removing an abandoned temporary failed), DC_ERR_NOTSUP (built without parallel
 *         HDF5), DC_ERR_MPI
 */
DC_API int dc_ckpt_destroy(dc_ckpt_t **ckpt_p);
/**
 * \brief Step of the newest committed checkpoint in the directory, or -1 if there is none.
 * Collective on the checkpoint's env (rank 0 lists the directory and broadcasts the step).
 * \param[in]  ckpt  the checkpoint handle
 * \param[out] step_p  the step, the same on every rank
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, step_p NULL), DC_ERR_IO (directory
 *         unreadable), DC_ERR_NOTSUP (built without parallel HDF5),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_ckpt_latest(dc_ckpt_t *ckpt, int64_t *step_p);

/* ---------------------------------------------------------------- writing */

/**
 * \brief Start writing checkpoint \p step (>= 0, the same on every rank) into a temporary file.
 * Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  step  the checkpoint's step number, >= 0
 * \return DC_SUCCESS; DC_ERR_ARG (invalid handle, step negative or differing); DC_ERR_STATE (a
 *         write or read is open); DC_ERR_IO (file cannot be created: read-only directory, disk
 *         full); DC_ERR_NOTSUP (built without parallel HDF5),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_ckpt_write_begin(dc_ckpt_t *ckpt, int64_t step);
/**
 * \brief Store vector \p x (any layout) in natural order as a 1-D dataset \p name.
 * Names are HDF5 paths without a leading '/': "x", "solver/r"; unique within a checkpoint.
 * Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[in]  x     the vector (read: not borrowed read-write)
 * \return DC_SUCCESS; DC_ERR_ARG (invalid handle, name invalid, taken or differing between
 *         ranks, x from another env); DC_ERR_STATE (no write open, x borrowed); DC_ERR_IO
 *         (the object's space is reserved before its data is written, where the file system
 *         can: a full one fails here with nothing written; dc_ckpt_write_end() then removes
 *         the temporary); DC_ERR_NOTSUP (built without parallel HDF5),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_ckpt_write_vec(dc_ckpt_t *ckpt, const char *name, const dc_vec_t *x);
/**
 * \brief Store dense matrix \p a (any distribution) as an m x n row-major dataset.
 * Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[in]  a     the matrix (read: not borrowed read-write)
 * \return as dc_ckpt_write_vec(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE, DC_ERR_IO,
 *         DC_ERR_NOTSUP, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_write_mat(dc_ckpt_t *ckpt, const char *name, const dc_mat_t *a);
/**
 * \brief Store a global field of \p mesh as a dataset of shape [nz][ny][nx][dof] (1-D: [nx][dof],
 * 2-D: [ny][nx][dof]), x fastest: the natural ordering of dc_mesh.h. Collective on the checkpoint's
 * env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[in]  mesh    the mesh
 * \param[in]  global  a global field of the mesh (read: not borrowed read-write)
 * \return as dc_ckpt_write_vec(): DC_SUCCESS, DC_ERR_ARG (also: global not on the mesh's layout),
 *         DC_ERR_STATE, DC_ERR_IO,
 *         DC_ERR_NOTSUP, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_write_mesh_field(dc_ckpt_t *ckpt, const char *name, dc_mesh_t *mesh,
                                    const dc_vec_t *global);
/**
 * \brief Store a layout's description (kind, global size, block, rank count, per-rank counts).
 * Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[in]  layout  the layout
 * \return as dc_ckpt_write_vec(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE, DC_ERR_IO,
 *         DC_ERR_NOTSUP, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_write_layout(dc_ckpt_t *ckpt, const char *name, const dc_layout_t *layout);
/**
 * \brief Store \p count values of \p type (DC_TYPE_DOUBLE, DC_TYPE_INT64, ..., dc_types.h)
 * given by rank 0: user scalars such as an iteration number or a time. Every rank passes the same
 * name, type and count; only rank 0's data is read. Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[in]  type   the element type (not a pair type)
 * \param[in]  count  number of values
 * \param[in]  data   count values, read on rank 0 only (may be NULL elsewhere)
 * \return as dc_ckpt_write_vec(): DC_SUCCESS, DC_ERR_ARG (also: a pair type, data NULL on rank 0),
 *         DC_ERR_STATE, DC_ERR_IO,
 *         DC_ERR_NOTSUP, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_write_data(dc_ckpt_t *ckpt, const char *name, dc_dtype_t type, size_t count,
                              const void *data);
/**
 * \brief Store \p size bytes given by rank 0 as an opaque blob (a 1-D dataset of bytes).
 * Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[in]  data  size bytes, read on rank 0 only (may be NULL elsewhere)
 * \param[in]  size  number of bytes (the same on every rank)
 * \return as dc_ckpt_write_vec(): DC_SUCCESS, DC_ERR_ARG (also: data NULL on rank 0), DC_ERR_STATE,
 *         DC_ERR_IO,
 *         DC_ERR_NOTSUP, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_write_blob(dc_ckpt_t *ckpt, const char *name, const void *data, size_t size);
/**
 * \brief Store a solver's iteration state (iterate, residual, search directions, scalars, the
 * residual history) under group \p name. Call it from the solver's monitor
 * (dc_solver_set_monitor()) while a solve runs; dc_ckpt_read_solver() lets a later solve go on
 * from that iteration. A mesh operator's vectors are stored as mesh fields (natural order), other
 * operators' as vectors; docs/architecture.md lists the group's objects. Collective on the
 * checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[in]  solver  the solver whose solve is running
 * \return as dc_ckpt_write_vec(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_STATE (also: no solve running,
 *         called outside the solver's monitor), DC_ERR_IO, DC_ERR_NOTSUP, DC_ERR_NOMEM,
 *         DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_write_solver(dc_ckpt_t *ckpt, const char *name, const dc_solver_t *solver);
/**
 * \brief Commit: flush and fsync on every rank, rename into place on rank 0, sync the directory,
 * then remove the oldest committed checkpoints beyond \c keep. On failure (disk full, I/O error
 * on any rank) the temporary is removed and the previous checkpoint stays current. Collective on
 * the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \return DC_SUCCESS; DC_ERR_ARG (invalid handle); DC_ERR_STATE (no write open); DC_ERR_IO;
 *         DC_ERR_NOTSUP (built without parallel HDF5),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_ckpt_write_end(dc_ckpt_t *ckpt);

/* ---------------------------------------------------------------- reading */

/**
 * \brief Open committed checkpoint \p step (DC_CKPT_LATEST: the newest) for reading. Collective on
 * the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  step    the step, or DC_CKPT_LATEST (the same on every rank)
 * \param[out] step_p  the step opened (may be NULL)
 * \return DC_SUCCESS; DC_ERR_ARG (invalid handle; no such checkpoint, or none at all; step
 *         differing); DC_ERR_STATE (a write or read is open); DC_ERR_CORRUPT (not a readable
 *         HDF5 checkpoint of libdcompute, or truncated); DC_ERR_IO; DC_ERR_NOTSUP (built without
 *         parallel HDF5),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_ckpt_read_begin(dc_ckpt_t *ckpt, int64_t step, int64_t *step_p);
/**
 * \brief Whether the open checkpoint holds an object \p name (*has_p = 1 or 0). Collective on the
 * checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[out] has_p  1 if it does, else 0
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, name or has_p NULL), DC_ERR_STATE (no read
 *         open), DC_ERR_NOTSUP (built without parallel HDF5),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_ckpt_has(dc_ckpt_t *ckpt, const char *name, int *has_p);
/**
 * \brief Load vector \p name into \p x, of any layout and rank count with the stored global size
 * (data is redistributed). The checksum is verified. Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[out] x     the vector (written: not borrowed)
 * \return DC_SUCCESS; DC_ERR_ARG (invalid handle; no object \p name, or not a vector); DC_ERR_SIZE
 *         (global size differs); DC_ERR_STATE (no read open, x borrowed); DC_ERR_CORRUPT
 *         (checksum mismatch or unreadable data, naming the object); DC_ERR_IO; DC_ERR_NOTSUP
 *         (built without parallel HDF5),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_ckpt_read_vec(dc_ckpt_t *ckpt, const char *name, dc_vec_t *x);
/**
 * \brief Load matrix \p name into \p a (any distribution with the stored m x n). Collective on the
 * checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[out] a     the matrix (written: not borrowed)
 * \return as dc_ckpt_read_vec(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_SIZE, DC_ERR_STATE,
 *         DC_ERR_CORRUPT, DC_ERR_IO, DC_ERR_NOTSUP, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_read_mat(dc_ckpt_t *ckpt, const char *name, dc_mat_t *a);
/**
 * \brief Load a mesh field into \p global of \p mesh: same global dimensions and dof, any process
 * grid and rank count. Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[in]  mesh    the mesh
 * \param[out] global  a global field of the mesh (written: not borrowed)
 * \return as dc_ckpt_read_vec(): DC_SUCCESS, DC_ERR_ARG, DC_ERR_SIZE, DC_ERR_STATE,
 *         DC_ERR_CORRUPT, DC_ERR_IO, DC_ERR_NOTSUP, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_read_mesh_field(dc_ckpt_t *ckpt, const char *name, dc_mesh_t *mesh,
                                   dc_vec_t *global);
/**
 * \brief Create on the checkpoint's env a layout like the stored one: the same kind and global
 * size (and block); on another rank count the block, cyclic and block-cyclic kinds are rebuilt
 * for the new count, weighted and explicit ones become DC_LAYOUT_BLOCK. Collective on the
 * checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[out] layout_p  the new layout, set only on success
 * \return as dc_ckpt_read_vec(): DC_SUCCESS, DC_ERR_ARG (also: layout_p NULL), DC_ERR_SIZE,
 *         DC_ERR_STATE,
 *         DC_ERR_CORRUPT, DC_ERR_IO, DC_ERR_NOTSUP, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_read_layout(dc_ckpt_t *ckpt, const char *name, dc_layout_t **layout_p);
/**
 * \brief Load data stored by dc_ckpt_write_data() on every rank; type and count must match.
 * Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[in]  type   the stored element type
 * \param[in]  count  the stored number of values
 * \param[out] data   count values, on every rank
 * \return as dc_ckpt_read_vec(): DC_SUCCESS, DC_ERR_ARG (also: type or count not the stored ones),
 *         DC_ERR_SIZE, DC_ERR_STATE,
 *         DC_ERR_CORRUPT, DC_ERR_IO, DC_ERR_NOTSUP, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_read_data(dc_ckpt_t *ckpt, const char *name, dc_dtype_t type, size_t count,
                             void *data);
/**
 * \brief Load a blob on every rank: *size_p gets its stored size; \p data (NULL: only the size)
 * gets it when \p size is large enough. Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[out] data    size bytes, or NULL to ask for the size only
 * \param[in]  size    bytes available at data
 * \param[out] size_p  the stored size
 * \return as dc_ckpt_read_vec(): DC_SUCCESS, DC_ERR_ARG (also: size_p NULL), DC_ERR_SIZE (size too
 *         small and data not NULL), DC_ERR_STATE,
 *         DC_ERR_CORRUPT, DC_ERR_IO, DC_ERR_NOTSUP, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_read_blob(dc_ckpt_t *ckpt, const char *name, void *data, size_t size,
                             size_t *size_p);
/**
 * \brief Load a solver state stored by dc_ckpt_write_solver() into \p solver (same solver type,
 * preconditioner and global size; any rank count). The next dc_solver_solve() on this solver
 * continues from the stored iteration instead of starting over (with the same b; x is
 * overwritten by the stored iterate). In reproducible mode (binned or exact) the continued solve
 * gives the same bits as an uninterrupted one. The solver's last history is discarded; on failure
 * nothing is installed (the next solve starts from its beginning). The next solve returns
 * DC_ERR_ARG if its b does not have the stored ||b||. Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \param[in]  name  the object's name: an HDF5 path without a leading '/' ("x", "solver/r"),
 *                   the same on every rank
 * \param[in]  solver  the solver to continue
 * \return as dc_ckpt_read_vec(): DC_SUCCESS, DC_ERR_ARG (also: the stored solver does not match:
 *         type, preconditioner, global size, reproducibility mode), DC_ERR_SIZE, DC_ERR_STATE
 *         (also: called from the solver's own monitor), DC_ERR_CORRUPT, DC_ERR_IO,
 *         DC_ERR_NOTSUP, DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT
 */
DC_API int dc_ckpt_read_solver(dc_ckpt_t *ckpt, const char *name, dc_solver_t *solver);
/**
 * \brief Close the checkpoint opened for reading. Collective on the checkpoint's env.
 * \param[in]  ckpt  the checkpoint handle
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle), DC_ERR_STATE (no read open), DC_ERR_IO,
 *         DC_ERR_NOTSUP (built without parallel HDF5),
 *         DC_ERR_NOMEM, DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_ckpt_read_end(dc_ckpt_t *ckpt);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_CKPT_H */
