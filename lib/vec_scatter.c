/*
 * Data movement of distributed vectors between ranks: scatter from and gather to a full array on
 * a root (MPI_Scatterv / MPI_Gatherv, with a permutation on the root for (block-)cyclic
 * layouts), and redistribution between any two layouts of the same size (one MPI_Alltoallv).
 * These allocate, so they agree on errors like the setup-class collectives.
 */
#include "vec_impl.h"

#include <limits.h>
#include <string.h>

/* ---------------------------------------------------------------- scatter / gather */

/*
 * Per-rank counts and displacements of the packed global array: rank r's entries in its local
 * order. For contiguous layouts that is the global array itself; (block-)cyclic layouts need a
 * permutation, done on the root(s) by pack/unpack.
 */
static void pack_by_rank(const dc_layout_t *l, const int *counts, const int *displs,
                         const double *global, double *packed)
{
    int r, i;

    for (r = 0; r < l->nranks; r++)
        for (i = 0; i < counts[r]; i++)
            packed[displs[r] + i] = global[dci_layout_l2g(l, r, (size_t)i)];
}

static void unpack_by_rank(const dc_layout_t *l, const int *counts, const int *displs,
                           const double *packed, double *global)
{
    int r, i;

    for (r = 0; r < l->nranks; r++)
        for (i = 0; i < counts[r]; i++)
            global[dci_layout_l2g(l, r, (size_t)i)] = packed[displs[r] + i];
}

/*
 * Checks shared by scatter and gather, then one agreement and a check that root is the same
 * everywhere (these are not hot-path calls). Allocates counts/displs and, where a permutation
 * is needed, the packed buffer.
 */
static int sg_setup(const char *func, const dc_vec_t *x, int root, int allow_all, int am_root,
                    const double *global, int rc, int **cd_p, double **tmp_p)
{
    dc_env_t *env = x->hdr.env;
    const dc_layout_t *l = x->layout;
    int64_t v = root;

    if (rc == DC_SUCCESS && !((root >= 0 && root < env->size) || (allow_all && root == -1)))
        rc = dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                           "root %d is not a rank of the env (0 .. %d%s)", root, env->size - 1,
                           allow_all ? ", or -1 for all" : "");
    if (rc == DC_SUCCESS && l->n > INT_MAX)
        rc = dci_error_set(env, DC_ERR_SIZE, func, __FILE__, __LINE__,
                           "global size %lld exceeds INT_MAX: MPI counts and displacements "
                           "are int",
                           (long long)l->n);
    if (rc == DC_SUCCESS && am_root && global == NULL && l->n > 0)
        rc = dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                           "global is NULL on rank %d (needed on the root)", env->rank);
    if (rc == DC_SUCCESS)
        rc = dci_malloc(env, 2 * (size_t)env->size * sizeof(int), (void **)cd_p);
    if (rc == DC_SUCCESS && am_root && l->offsets == NULL)
        rc = dci_malloc(env, (size_t)l->n * sizeof(double), (void **)tmp_p);
    rc = dci_agree(env, rc);
    if (rc == DC_SUCCESS)
        rc = dci_check_same(env, DC_ERR_ARG, &v, 1, "root");
    if (rc == DC_SUCCESS) /* the size check above guarantees int counts */
        rc = dci_layout_counts(env, l, *cd_p, *cd_p + env->size);
    return rc;
}

int dc_vec_scatter(dc_vec_t *x, int root, const double *global)
{
    dc_env_t *env;
    const dc_layout_t *l;
    int *cd = NULL, rc, am_root, mrc;
    double *tmp = NULL, t;

    DC_VALIDATE(x, DCI_CLASS_VEC);
    env = x->hdr.env;
    l = x->layout;
    dci_prof_begin(env, DCI_EV_VEC_SCATTER);
    am_root = env->rank == root;
    rc = dci_vec_state_write(x, "x", __func__);
    rc = sg_setup(__func__, x, root, 0, am_root, global, rc, &cd, &tmp);
    if (rc != DC_SUCCESS)
        goto out;
    if (am_root && tmp != NULL)
        pack_by_rank(l, cd, cd + env->size, global, tmp);
    t = dci_prof_mpi_begin(env);
    mrc = MPI_Scatterv(am_root ? (tmp != NULL ? tmp : global) : NULL, cd, cd + env->size,
                       MPI_DOUBLE, x->data, (int)x->nlocal, MPI_DOUBLE, root, env->comm);
    dci_prof_mpi_end(env, t);
    /* per peer (dc_events.h): the root's part for each rank, a rank's own part from the root */
    if (am_root)
        dci_prof_peers(env, env->size, NULL, cd, NULL, sizeof(double));
    else if (x->nlocal > 0)
        dci_prof_recv(env, root, x->nlocal * sizeof(double));
    if (mrc != MPI_SUCCESS)
        rc = dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Scatterv");
out:
    dci_free(cd);
    dci_free(tmp);
    dci_prof_end(env, DCI_EV_VEC_SCATTER,
                 rc != DC_SUCCESS ? 0
                 : am_root        ? (size_t)l->n * sizeof(double)
                                  : x->nlocal * sizeof(double));
    return rc;
}

int dc_vec_gather(const dc_vec_t *x, int root, double *global)
{
    dc_env_t *env;
    const dc_layout_t *l;
    int *cd = NULL, rc, am_root, mrc, r;
    double *tmp = NULL, t;

    DC_VALIDATE(x, DCI_CLASS_VEC);
    env = x->hdr.env;
    l = x->layout;
    dci_prof_begin(env, DCI_EV_VEC_GATHER);
    am_root = root == -1 || env->rank == root;
    rc = dci_vec_state_read(x, "x", __func__);
    rc = sg_setup(__func__, x, root, 1, am_root, global, rc, &cd, &tmp);
    if (rc != DC_SUCCESS)
        goto out;
    t = dci_prof_mpi_begin(env);
    if (root == -1)
        mrc = MPI_Allgatherv(x->data, (int)x->nlocal, MPI_DOUBLE, tmp != NULL ? tmp : global, cd,
                             cd + env->size, MPI_DOUBLE, env->comm);
    else
        mrc = MPI_Gatherv(x->data, (int)x->nlocal, MPI_DOUBLE,
                          am_root ? (tmp != NULL ? tmp : global) : NULL, cd, cd + env->size,
                          MPI_DOUBLE, root, env->comm);
    dci_prof_mpi_end(env, t);
    /* per peer (dc_events.h): each rank's part to the root(s), the root's from each rank */
    if (DCI_UNLIKELY(env->prof.on) && x->nlocal > 0) {
        if (root == -1) {
            for (r = 0; r < env->size; r++)
                if (r != env->rank)
                    dci_prof_send(env, r, x->nlocal * sizeof(double));
        } else if (!am_root) {
            dci_prof_send(env, root, x->nlocal * sizeof(double));
        }
    }
    if (am_root)
        dci_prof_peers(env, env->size, NULL, NULL, cd, sizeof(double));
    if (mrc != MPI_SUCCESS)
        rc = dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__,
                           root == -1 ? "MPI_Allgatherv" : "MPI_Gatherv");
    else if (am_root && tmp != NULL)
        unpack_by_rank(l, cd, cd + env->size, tmp, global);
out:
    dci_free(cd);
    dci_free(tmp);
    dci_prof_end(env, DCI_EV_VEC_GATHER,
                 rc != DC_SUCCESS ? 0
                 : am_root        ? (size_t)l->n * sizeof(double)
                                  : x->nlocal * sizeof(double));
    return rc;
}

/* ---------------------------------------------------------------- redistribution */

/*
 * y = x across layouts with one MPI_Alltoallv of values only. Each rank sends its x entries in
 * increasing global order, grouped by their owner in y. The receiver walks its y entries in
 * increasing global order and looks up each one's owner in x: that gives both the receive counts
 * (no count exchange needed) and, per source, the same order the source sent in. So no indices
 * travel, and both sides cost O(n log P) owner look-ups.
 */
int dc_vec_redistribute(const dc_vec_t *x, dc_vec_t *y)
{
    dc_env_t *env;
    const dc_layout_t *lx, *ly;
    int rc = DC_SUCCESS, congruent = 0, mrc, p, r;
    int *dest = NULL, *src = NULL, *cnt = NULL;
    double *sbuf = NULL, *rbuf = NULL, t;
    size_t i, li, moved = 0;

    DC_VALIDATE(x, DCI_CLASS_VEC);
    DC_VALIDATE(y, DCI_CLASS_VEC);
    env = x->hdr.env;
    lx = x->layout;
    ly = y->layout;
    p = env->size;
    dci_prof_begin(env, DCI_EV_VEC_REDISTRIBUTE);
    DC_CHECK_GOTO(dci_vec_state_read(x, "x", __func__), agree);
    if (x != y)
        DC_CHECK_GOTO(dci_vec_state_write(y, "y", __func__), agree);
    DC_REQUIRE_GOTO(env, y->hdr.env == env, DC_ERR_COMM, agree, "x and y live on different envs");
    DC_REQUIRE_GOTO(env, lx->n == ly->n, DC_ERR_SIZE, agree,
                    "global sizes differ: x has %lld entries, y has %lld", (long long)lx->n,
                    (long long)ly->n);
    congruent = dci_layout_congruent(lx, ly);
    if (congruent)
        goto agree;
    DC_REQUIRE_GOTO(env, x->nlocal <= INT_MAX && y->nlocal <= INT_MAX, DC_ERR_SIZE, agree,
                    "local sizes %zu / %zu exceed INT_MAX: MPI counts are int", x->nlocal,
                    y->nlocal);
    DC_CHECK_GOTO(dci_malloc(env, 4 * (size_t)p * sizeof(int), (void **)&cnt), agree);
    DC_CHECK_GOTO(dci_malloc(env, x->nlocal * sizeof(int), (void **)&dest), agree);
    DC_CHECK_GOTO(dci_malloc(env, y->nlocal * sizeof(int), (void **)&src), agree);
    DC_CHECK_GOTO(dci_malloc(env, x->nlocal * sizeof(double), (void **)&sbuf), agree);
    DC_CHECK_GOTO(dci_malloc(env, y->nlocal * sizeof(double), (void **)&rbuf), agree);
agree:
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    if (congruent) {
        if (x != y)
            memcpy(y->data, x->data, x->nlocal * sizeof(double));
        moved = x->nlocal;
        goto out;
    }
    {
        int *scnt = cnt, *sdsp = cnt + p, *rcnt = cnt + 2 * p, *rdsp = cnt + 3 * p;

        memset(cnt, 0, 4 * (size_t)p * sizeof(int));
        for (i = 0; i < x->nlocal; i++) {
            dci_layout_locate(ly, dci_layout_l2g(lx, env->rank, i), &dest[i], &li);
            scnt[dest[i]]++;
        }
        for (i = 0; i < y->nlocal; i++) {
            dci_layout_locate(lx, dci_layout_l2g(ly, env->rank, i), &src[i], &li);
            rcnt[src[i]]++;
        }
        for (r = 1; r < p; r++) {
            sdsp[r] = sdsp[r - 1] + scnt[r - 1];
            rdsp[r] = rdsp[r - 1] + rcnt[r - 1];
        }
        /* Pack in increasing local (= global) order; the displacements serve as cursors. */
        for (i = 0; i < x->nlocal; i++)
            sbuf[sdsp[dest[i]]++] = x->data[i];
        for (r = 0; r < p; r++)
            sdsp[r] -= scnt[r];
        t = dci_prof_mpi_begin(env);
        mrc = MPI_Alltoallv(sbuf, scnt, sdsp, MPI_DOUBLE, rbuf, rcnt, rdsp, MPI_DOUBLE, env->comm);
        dci_prof_mpi_end(env, t);
        dci_prof_peers(env, p, NULL, scnt, rcnt, sizeof(double)); /* per peer, self excluded */
        if (mrc != MPI_SUCCESS) {
            rc = dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Alltoallv");
            goto out;
        }
        for (i = 0; i < y->nlocal; i++)
            y->data[i] = rbuf[rdsp[src[i]]++];
        moved = x->nlocal + y->nlocal;
    }
out:
    dci_free(cnt);
    dci_free(dest);
    dci_free(src);
    dci_free(sbuf);
    dci_free(rbuf);
    dci_prof_end(env, DCI_EV_VEC_REDISTRIBUTE, rc == DC_SUCCESS ? moved * sizeof(double) : 0);
    return rc;
}
