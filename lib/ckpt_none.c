/*
 * The checkpoint module of a library configured without parallel HDF5 for its MPI: every
 * dc_ckpt_* function exists and returns DC_ERR_NOTSUP with a message that says why (configure's
 * summary names what was missing). Nothing is collective here, so no rank can hang.
 */
#include "dc_impl.h"

#define CK_NOTSUP(env)                                                                             \
    DC_ERR((env), DC_ERR_NOTSUP,                                                                   \
           "libdcompute was built without parallel HDF5 for its MPI: no checkpoints (install "     \
           "libhdf5-openmpi-dev or libhdf5-mpich-dev and zlib1g-dev, then re-run configure)")

int dc_ckpt_create(dc_env_t *env, const char *dir, const dc_ckpt_params_t *params,
                   dc_ckpt_t **ckpt_p)
{
    (void)dir;
    (void)params;
    (void)ckpt_p;
    return CK_NOTSUP(DCI_OBJ_OK(env, DCI_CLASS_ENV) ? env : NULL);
}

int dc_ckpt_destroy(dc_ckpt_t **ckpt_p)
{
    (void)ckpt_p;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_latest(dc_ckpt_t *ckpt, int64_t *step_p)
{
    (void)ckpt;
    (void)step_p;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_write_begin(dc_ckpt_t *ckpt, int64_t step)
{
    (void)ckpt;
    (void)step;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_write_vec(dc_ckpt_t *ckpt, const char *name, const dc_vec_t *x)
{
    (void)ckpt;
    (void)name;
    (void)x;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_write_mat(dc_ckpt_t *ckpt, const char *name, const dc_mat_t *a)
{
    (void)ckpt;
    (void)name;
    (void)a;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_write_mesh_field(dc_ckpt_t *ckpt, const char *name, dc_mesh_t *mesh,
                             const dc_vec_t *global)
{
    (void)ckpt;
    (void)name;
    (void)mesh;
    (void)global;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_write_layout(dc_ckpt_t *ckpt, const char *name, const dc_layout_t *layout)
{
    (void)ckpt;
    (void)name;
    (void)layout;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_write_data(dc_ckpt_t *ckpt, const char *name, dc_dtype_t type, size_t count,
                       const void *data)
{
    (void)ckpt;
    (void)name;
    (void)type;
    (void)count;
    (void)data;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_write_blob(dc_ckpt_t *ckpt, const char *name, const void *data, size_t size)
{
    (void)ckpt;
    (void)name;
    (void)data;
    (void)size;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_write_solver(dc_ckpt_t *ckpt, const char *name, const dc_solver_t *solver)
{
    (void)ckpt;
    (void)name;
    (void)solver;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_write_end(dc_ckpt_t *ckpt)
{
    (void)ckpt;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_read_begin(dc_ckpt_t *ckpt, int64_t step, int64_t *step_p)
{
    (void)ckpt;
    (void)step;
    (void)step_p;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_has(dc_ckpt_t *ckpt, const char *name, int *has_p)
{
    (void)ckpt;
    (void)name;
    (void)has_p;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_read_vec(dc_ckpt_t *ckpt, const char *name, dc_vec_t *x)
{
    (void)ckpt;
    (void)name;
    (void)x;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_read_mat(dc_ckpt_t *ckpt, const char *name, dc_mat_t *a)
{
    (void)ckpt;
    (void)name;
    (void)a;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_read_mesh_field(dc_ckpt_t *ckpt, const char *name, dc_mesh_t *mesh, dc_vec_t *global)
{
    (void)ckpt;
    (void)name;
    (void)mesh;
    (void)global;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_read_layout(dc_ckpt_t *ckpt, const char *name, dc_layout_t **layout_p)
{
    (void)ckpt;
    (void)name;
    (void)layout_p;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_read_data(dc_ckpt_t *ckpt, const char *name, dc_dtype_t type, size_t count, void *data)
{
    (void)ckpt;
    (void)name;
    (void)type;
    (void)count;
    (void)data;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_read_blob(dc_ckpt_t *ckpt, const char *name, void *data, size_t size, size_t *size_p)
{
    (void)ckpt;
    (void)name;
    (void)data;
    (void)size;
    (void)size_p;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_read_solver(dc_ckpt_t *ckpt, const char *name, dc_solver_t *solver)
{
    (void)ckpt;
    (void)name;
    (void)solver;
    return CK_NOTSUP(NULL);
}

int dc_ckpt_read_end(dc_ckpt_t *ckpt)
{
    (void)ckpt;
    return CK_NOTSUP(NULL);
}
