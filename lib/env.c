/*
 * The env: root object of the library. Holds a private duplicate of the application's
 * communicator (MPI_ERRORS_RETURN on the duplicate only), options, topology and placement,
 * profiler and last-error buffer. Objects built on an env keep a reference to it, so the env
 * is freed when the last of them goes.
 */
#include "dc_impl.h"
#include "trace.h"

#include <stdio.h>
#include <string.h>

/* dc_env.h makes dc_env_create a macro that passes the application's MPI (lib/mpi_check.c);
 * this is the function itself. */
#undef dc_env_create

/* Envs alive in this process that called MPI_Init themselves (MPI_Finalize after the last). */
static int dci_mpi_owned_envs;

static void env_free(dc_env_t *env)
{
    int finalized = 0, owned = env->initialized_mpi;

    MPI_Finalized(&finalized);
    if (!finalized) {
        dci_trace_free(env);
        dci_prof_fini(env);
        dci_wd_free(env);
        dci_dtype_env_free(env);
        dci_topo_free(env);
        if (env->leader_comm != MPI_COMM_NULL)
            MPI_Comm_free(&env->leader_comm);
        if (env->node_comm != MPI_COMM_NULL)
            MPI_Comm_free(&env->node_comm);
        if (env->comm != MPI_COMM_NULL)
            MPI_Comm_free(&env->comm);
    }
    env->hdr.magic = DCI_CLASS_DEAD;
    dci_free(env);
    if (owned && --dci_mpi_owned_envs == 0 && !finalized)
        MPI_Finalize();
}

/* The env's free function: runs when the user's reference and every object's are gone. */
static void env_free_obj(dci_obj_t *hdr)
{
    env_free((dc_env_t *)hdr);
}

int dc_env_create(MPI_Comm comm, const dc_env_params_t *params, dc_env_t **env_p)
{
    dc_env_t *env = NULL;
    int rc = DC_SUCCESS, initialized = 0, finalized = 0, provided, mrc;
    int64_t vals[8];
    double timeout;

    /* First: the MPI this process runs must be the one the library was built for (its handles
     * would mean nothing to the other); the same on every rank. */
    rc = dci_mpi_check(NULL);
    if (rc != DC_SUCCESS)
        return rc;
    /* Before MPI is usable there is no env and no communicator: fail locally. */
    if (MPI_Finalized(&finalized) != MPI_SUCCESS || finalized)
        return DC_ERR(NULL, DC_ERR_STATE, "MPI is already finalized");
    MPI_Initialized(&initialized);
    if (!initialized) {
        mrc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
        if (mrc != MPI_SUCCESS)
            return DC_ERR_MPI_RC(NULL, mrc, "MPI_Init_thread");
    }
    if (comm == MPI_COMM_NULL)
        return DC_ERR(NULL, DC_ERR_COMM, "comm is MPI_COMM_NULL");

    /* calloc through the system allocator can fail; then this rank alone cannot create an env,
     * but the others must not hang: they still duplicate comm, and agree on the failure
     * through a temporary communicator-level allreduce below. */
    rc = dci_calloc(NULL, 1, sizeof(*env), (void **)&env);
    {
        int lrc = rc, grc;
        mrc = MPI_Allreduce(&lrc, &grc, 1, MPI_INT, MPI_MIN, comm);
        if (mrc != MPI_SUCCESS) {
            dci_free(env);
            return DC_ERR_MPI_RC(NULL, mrc, "MPI_Allreduce on the user's communicator");
        }
        if (grc != DC_SUCCESS) {
            dci_free(env);
            return rc != DC_SUCCESS ? rc : DC_ERR(NULL, grc, "allocation failed on another rank");
        }
    }
    dci_obj_init(&env->hdr, DCI_CLASS_ENV, env, env_free_obj);
    env->comm = env->node_comm = env->leader_comm = MPI_COMM_NULL;
    env->prof.sync_comm = MPI_COMM_NULL;
    env->initialized_mpi = !initialized;
    if (env->initialized_mpi)
        dci_mpi_owned_envs++;

    mrc = MPI_Comm_dup(comm, &env->comm);
    if (mrc != MPI_SUCCESS) {
        env->comm = MPI_COMM_NULL;
        rc = DC_ERR_MPI_RC(env, mrc, "MPI_Comm_dup");
        dci_error_keep(env, __func__);
        env_free(env);
        return rc;
    }
    MPI_Comm_set_errhandler(env->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(env->comm, &env->rank);
    MPI_Comm_size(env->comm, &env->size);

    /* From here on every rank has env->comm: failures go to the agreed exit. */
    /* Errors here may be local to one rank (params, env_p): agreed below before any other
     * collective, so that no rank skips ahead. */
    rc = dci_options_load(env, env->comm, params);
    if (rc == DC_SUCCESS && env_p == NULL)
        rc = DC_ERR(env, DC_ERR_ARG, "env_p is NULL");
    vals[0] = env->opts.bind;
    vals[1] = env->opts.blas_threads;
    vals[2] = env->opts.repro;
    vals[3] = env->opts.debug;
    vals[4] = env->opts.profile;
    vals[5] = env->opts.allreduce;
    timeout = env->opts.timeout + 0.0; /* -0 as +0 */
    memcpy(&vals[6], &timeout, sizeof(timeout));
    vals[7] = env->opts.timeout_abort;
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    /* Options are a setup-class argument: always checked, not only in debug mode. */
    DC_CHECK_GOTO(dci_check_same(env, DC_ERR_ARG, vals, 8,
                                 "an option (bind, blas_threads, repro, debug, profile, "
                                 "allreduce, timeout or timeout_abort) of dc_env_params_t"),
                  out);
    rc = dci_agree(env, dci_prof_init(env)); /* a failed allocation on one rank fails all */
    if (rc == DC_SUCCESS)
        rc = dci_agree(env, dci_trace_init(env)); /* DC_TRACE: ring buffer, clocks, path */
    if (rc != DC_SUCCESS)
        goto out;
    dci_prof_begin(env, DCI_EV_ENV_CREATE);
    rc = dci_topo_setup(env);
    if (rc == DC_SUCCESS)
        rc = dci_dtype_env_setup(env);
    rc = dci_wd_setup(env, rc); /* last: nothing above is watched (no entry records yet) */
    dci_prof_end(env, DCI_EV_ENV_CREATE, 0);
out:
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS) {
        /* keep the message for the caller: the env goes away */
        dci_error_keep(env, __func__);
        env_free(env);
        return rc;
    }
    *env_p = env;
    return DC_SUCCESS;
}

int dc_env_destroy(dc_env_t **env_p)
{
    dc_env_t *env;
    int rc = DC_SUCCESS;

    if (env_p == NULL || *env_p == NULL)
        return DC_SUCCESS;
    env = *env_p;
    DC_VALIDATE_OWNED(env, DCI_CLASS_ENV);
    if (env->opts.profile)
        rc = dci_prof_print_at_destroy(env);
    if (env->prof.trace != NULL) {
        int trc = dci_trace_write_at_destroy(env);
        rc = rc != DC_SUCCESS ? rc : trc;
    }
    *env_p = NULL;
    /* freed now, or when the last object built on it goes */
    dci_obj_release(&env->hdr, "env_p", __func__);
    return rc;
}

int dc_env_get_comm(const dc_env_t *env, MPI_Comm *comm_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE((dc_env_t *)env, comm_p != NULL, DC_ERR_ARG, "comm_p is NULL");
    *comm_p = env->comm;
    return DC_SUCCESS;
}

int dc_env_get_rank(const dc_env_t *env, int *rank_p, int *size_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE((dc_env_t *)env, rank_p != NULL || size_p != NULL, DC_ERR_ARG,
               "rank_p and size_p are both NULL");
    if (rank_p)
        *rank_p = env->rank;
    if (size_p)
        *size_p = env->size;
    return DC_SUCCESS;
}

int dc_env_get_placement(const dc_env_t *env, dc_placement_t *placement_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE((dc_env_t *)env, placement_p != NULL, DC_ERR_ARG, "placement_p is NULL");
    *placement_p = env->place;
    return DC_SUCCESS;
}

int dc_env_set_repro(dc_env_t *env, dc_repro_t mode)
{
    int rc = DC_SUCCESS;
    int64_t v = mode;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    dci_prof_begin(env, DCI_EV_ENV_SET_REPRO);
    if (!dci_repro_mode_valid((int)mode, 0))
        rc = DC_ERR(env, DC_ERR_ARG, "mode %d is not DC_REPRO_OFF, _BINNED or _EXACT", (int)mode);
    rc = dci_agree(env, rc);
    if (rc == DC_SUCCESS)
        rc = dci_check_same(env, DC_ERR_ARG, &v, 1, "the reproducibility mode");
    if (rc == DC_SUCCESS)
        env->opts.repro = mode;
    dci_prof_end(env, DCI_EV_ENV_SET_REPRO, 0);
    return rc;
}

int dc_env_get_repro(const dc_env_t *env, dc_repro_t *mode_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE((dc_env_t *)env, mode_p != NULL, DC_ERR_ARG, "mode_p is NULL");
    *mode_p = (dc_repro_t)env->opts.repro;
    return DC_SUCCESS;
}

int dc_env_set_debug(dc_env_t *env, int on)
{
    int64_t v = on != 0;
    int rc;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    dci_prof_begin(env, DCI_EV_ENV_SET_DEBUG);
    rc = dci_check_same(env, DC_ERR_ARG, &v, 1, "the debug flag");
    if (rc == DC_SUCCESS)
        env->opts.debug = (int)v;
    dci_prof_end(env, DCI_EV_ENV_SET_DEBUG, 0);
    return rc;
}

int dc_env_view(dc_env_t *env, FILE *f)
{
    int rc;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    dci_prof_begin(env, DCI_EV_ENV_VIEW);
    rc = dci_wd_enter(env, __func__); /* hang watchdog: one branch when off */
    if (rc == DC_SUCCESS)
        rc = dci_topo_view(env, f);
    dci_prof_end(env, DCI_EV_ENV_VIEW, 0);
    return rc;
}
