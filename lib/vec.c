/*
 * Distributed vectors: lifecycle, borrowing, fill and local BLAS-1 on the CBLAS (OpenBLAS);
 * sums, dots and norms go through dci_sum_collective (sum.c: one reduction, reproducible on
 * request); max/min reduce one (value, index) pair under the library's MINLOC/MAXLOC rule.
 * Data movement between ranks (scatter, gather, redistribute) is in vec_scatter.c.
 */
#include "vec_impl.h"
#include "repro.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

/* CBLAS takes int lengths (blasint): long arrays go in chunks. */
#define VEC_CHUNK ((size_t)INT_MAX / 2)

static void blas_copy(size_t n, const double *x, double *y)
{
    while (n > 0) {
        size_t k = n < VEC_CHUNK ? n : VEC_CHUNK;
        cblas_dcopy((int)k, x, 1, y, 1);
        x += k;
        y += k;
        n -= k;
    }
}

static void blas_scal(size_t n, double alpha, double *x)
{
    while (n > 0) {
        size_t k = n < VEC_CHUNK ? n : VEC_CHUNK;
        cblas_dscal((int)k, alpha, x, 1);
        x += k;
        n -= k;
    }
}

static void blas_axpy(size_t n, double alpha, const double *x, double *y)
{
    while (n > 0) {
        size_t k = n < VEC_CHUNK ? n : VEC_CHUNK;
        cblas_daxpy((int)k, alpha, x, 1, y, 1);
        x += k;
        y += k;
        n -= k;
    }
}

static void blas_axpby(size_t n, double alpha, const double *x, double beta, double *y)
{
#ifdef OPENBLAS_VERSION
    /* OpenBLAS extension: one pass instead of scal + axpy. */
    while (n > 0) {
        size_t k = n < VEC_CHUNK ? n : VEC_CHUNK;
        cblas_daxpby((int)k, alpha, x, 1, beta, y, 1);
        x += k;
        y += k;
        n -= k;
    }
#else
    blas_scal(n, beta, y);
    blas_axpy(n, alpha, x, y);
#endif
}

/* Binary operations: same env and congruent layouts. */
static int check_compat(const dc_vec_t *x, const dc_vec_t *y, const char *func)
{
    if (DCI_UNLIKELY(x->hdr.env != y->hdr.env))
        return dci_error_set(x->hdr.env, DC_ERR_COMM, func, __FILE__, __LINE__,
                             "the two vectors live on different envs");
    if (x->layout != y->layout) {
        if (DCI_UNLIKELY(!dci_layout_congruent(x->layout, y->layout)))
            return dci_error_set(x->hdr.env, DC_ERR_ARG, func, __FILE__, __LINE__,
                                 "the vectors' layouts are not congruent (global sizes %lld and "
                                 "%lld, local sizes %zu and %zu)",
                                 (long long)x->layout->n, (long long)y->layout->n, x->nlocal,
                                 y->nlocal);
    }
    return DC_SUCCESS;
}

static void vec_free(dc_vec_t *v)
{
    if (v == NULL)
        return;
    dci_free(v->data);
    if (v->layout != NULL)
        dci_layout_unref(v->layout);
    v->hdr.magic = DCI_CLASS_DEAD;
    dci_free(v);
}

static void vec_free_obj(dci_obj_t *hdr)
{
    vec_free((dc_vec_t *)hdr);
}

/* Local part of a create: allocate a zero vector on layout (no agreement). */
static int vec_new(dc_layout_t *layout, dc_vec_t **v_p)
{
    dc_env_t *env = layout->hdr.env;
    dc_vec_t *v = NULL;
    int rc;

    if (layout->nlocal > SIZE_MAX / sizeof(double))
        return DC_ERR(env, DC_ERR_NOMEM,
                      "local size %zu is more memory than can be addressed (its byte count "
                      "overflows)",
                      layout->nlocal);
    rc = dci_calloc(env, 1, sizeof(*v), (void **)&v);
    if (rc != DC_SUCCESS)
        return rc;
    rc = dci_malloc_aligned(env, layout->nlocal * sizeof(double), (void **)&v->data);
    if (rc != DC_SUCCESS) {
        dci_free(v);
        return rc;
    }
    memset(v->data, 0, layout->nlocal * sizeof(double));
    v->nlocal = layout->nlocal;
    v->layout = dci_layout_ref(layout);
    dci_obj_init(&v->hdr, DCI_CLASS_VEC, env, vec_free_obj);
    *v_p = v;
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- lifecycle */

int dc_vec_create(dc_layout_t *layout, dc_vec_t **vec_p)
{
    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    return dci_vec_create_ev(layout, DCI_EV_VEC_CREATE, vec_p);
}

int dci_vec_create_ev(dc_layout_t *layout, dci_event_t ev, dc_vec_t **vec_p)
{
    dc_env_t *env;
    dc_vec_t *v = NULL;
    int rc = DC_SUCCESS;

    env = layout->hdr.env;
    dci_prof_begin(env, ev);
    DC_REQUIRE_GOTO(env, vec_p != NULL, DC_ERR_ARG, out, "vec_p is NULL");
    DC_CHECK_GOTO(vec_new(layout, &v), out);
out:
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS) {
        vec_free(v); /* this rank may have succeeded alone */
        v = NULL;
    } else {
        *vec_p = v;
    }
    dci_prof_end(env, ev, v != NULL ? v->nlocal * sizeof(double) : 0);
    return rc;
}

int dc_vec_destroy(dc_vec_t **vec_p)
{
    dc_vec_t *v;

    if (vec_p == NULL || *vec_p == NULL)
        return DC_SUCCESS;
    DC_VALIDATE_OWNED(*vec_p, DCI_CLASS_VEC);
    v = *vec_p;
    if (v->borrow.rw || v->borrow.nread > 0)
        dci_log(v->hdr.env, 1,
                "dc_vec_destroy: the vector is still borrowed (%d read, %d "
                "read-write); the borrowed array is freed",
                v->borrow.nread, v->borrow.rw);
    *vec_p = NULL;
    dci_obj_release(&v->hdr, "vec_p", __func__);
    return DC_SUCCESS;
}

int dc_vec_dup(const dc_vec_t *x, dc_vec_t **y_p)
{
    dc_env_t *env;
    dc_vec_t *v = NULL;
    int rc = DC_SUCCESS;

    DC_VALIDATE(x, DCI_CLASS_VEC);
    env = x->hdr.env;
    dci_prof_begin(env, DCI_EV_VEC_DUP);
    DC_REQUIRE_GOTO(env, y_p != NULL, DC_ERR_ARG, out, "y_p is NULL");
    DC_CHECK_GOTO(dci_vec_state_read(x, "x", __func__), out);
    DC_CHECK_GOTO(vec_new(x->layout, &v), out);
    blas_copy(x->nlocal, x->data, v->data);
out:
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS) {
        vec_free(v);
        v = NULL;
    } else {
        *y_p = v;
    }
    dci_prof_end(env, DCI_EV_VEC_DUP, v != NULL ? 2 * v->nlocal * sizeof(double) : 0);
    return rc;
}

dc_layout_t *dci_vec_layout(const dc_vec_t *x)
{
    return x->layout;
}

int dci_vec_check_access(const dc_vec_t *x, int write, const char *name, const char *func)
{
    return write ? dci_vec_state_write(x, name, func) : dci_vec_state_read(x, name, func);
}

int dc_vec_get_layout(const dc_vec_t *x, dc_layout_t **layout_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    DC_REQUIRE(x->hdr.env, layout_p != NULL, DC_ERR_ARG, "layout_p is NULL");
    dci_obj_lend(&x->layout->hdr); /* usable while the vector lives */
    *layout_p = x->layout;
    return DC_SUCCESS;
}

int dc_vec_get_local_size(const dc_vec_t *x, size_t *nlocal_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    DC_REQUIRE(x->hdr.env, nlocal_p != NULL, DC_ERR_ARG, "nlocal_p is NULL");
    *nlocal_p = x->nlocal;
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- borrowing (local) */

int dc_vec_get_array(dc_vec_t *x, double **array_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    DC_REQUIRE(x->hdr.env, array_p != NULL, DC_ERR_ARG, "array_p is NULL");
    DC_CHECK(dci_borrow_get(x->hdr.env, &x->borrow, 1, "vec", "x", __func__));
    *array_p = x->data;
    return DC_SUCCESS;
}

int dc_vec_restore_array(dc_vec_t *x, double **array_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    DC_REQUIRE(x->hdr.env, array_p != NULL, DC_ERR_ARG, "array_p is NULL");
    DC_CHECK(
        dci_borrow_restore(x->hdr.env, &x->borrow, 1, *array_p, x->data, "vec", "x", __func__));
    *array_p = NULL;
    return DC_SUCCESS;
}

int dc_vec_get_array_read(const dc_vec_t *x, const double **array_p)
{
    dc_vec_t *v = (dc_vec_t *)x; /* the borrow count is bookkeeping, not the vector's value */

    DC_VALIDATE(x, DCI_CLASS_VEC);
    DC_REQUIRE(x->hdr.env, array_p != NULL, DC_ERR_ARG, "array_p is NULL");
    DC_CHECK(dci_borrow_get(x->hdr.env, &v->borrow, 0, "vec", "x", __func__));
    *array_p = x->data;
    return DC_SUCCESS;
}

int dc_vec_restore_array_read(const dc_vec_t *x, const double **array_p)
{
    dc_vec_t *v = (dc_vec_t *)x;

    DC_VALIDATE(x, DCI_CLASS_VEC);
    DC_REQUIRE(x->hdr.env, array_p != NULL, DC_ERR_ARG, "array_p is NULL");
    DC_CHECK(
        dci_borrow_restore(x->hdr.env, &v->borrow, 0, *array_p, x->data, "vec", "x", __func__));
    *array_p = NULL;
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- local operations */

int dc_vec_set_all(dc_vec_t *x, double value)
{
    dc_env_t *env;
    int rc = DC_SUCCESS;
    size_t i;

    DC_VALIDATE(x, DCI_CLASS_VEC);
    env = x->hdr.env;
    dci_prof_begin(env, DCI_EV_VEC_SET_ALL);
    DC_CHECK_GOTO(dci_vec_state_write(x, "x", __func__), out);
    for (i = 0; i < x->nlocal; i++)
        x->data[i] = value;
out:
    dci_prof_end(env, DCI_EV_VEC_SET_ALL, rc == DC_SUCCESS ? x->nlocal * sizeof(double) : 0);
    return rc;
}

int dc_vec_fill(dc_vec_t *x, dc_vec_fill_fn fn, void *ctx)
{
    dc_env_t *env;
    const dc_layout_t *l;
    int rc = DC_SUCCESS;
    size_t i;

    DC_VALIDATE(x, DCI_CLASS_VEC);
    env = x->hdr.env;
    l = x->layout;
    dci_prof_begin(env, DCI_EV_VEC_FILL);
    DC_REQUIRE_GOTO(env, fn != NULL, DC_ERR_ARG, out, "fn is NULL");
    DC_CHECK_GOTO(dci_vec_state_write(x, "x", __func__), out);
    for (i = 0; i < x->nlocal; i++)
        x->data[i] = fn(dci_layout_l2g(l, env->rank, i), ctx);
out:
    dci_prof_end(env, DCI_EV_VEC_FILL, rc == DC_SUCCESS ? x->nlocal * sizeof(double) : 0);
    return rc;
}

int dc_vec_copy(const dc_vec_t *x, dc_vec_t *y)
{
    dc_env_t *env;
    int rc = DC_SUCCESS;

    DC_VALIDATE(x, DCI_CLASS_VEC);
    DC_VALIDATE(y, DCI_CLASS_VEC);
    env = x->hdr.env;
    dci_prof_begin(env, DCI_EV_VEC_COPY);
    DC_CHECK_GOTO(check_compat(x, y, __func__), out);
    DC_CHECK_GOTO(dci_vec_state_read(x, "x", __func__), out);
    if (x != y) {
        DC_CHECK_GOTO(dci_vec_state_write(y, "y", __func__), out);
        blas_copy(x->nlocal, x->data, y->data);
    }
out:
    dci_prof_end(env, DCI_EV_VEC_COPY, rc == DC_SUCCESS ? 2 * x->nlocal * sizeof(double) : 0);
    return rc;
}

int dc_vec_scal(dc_vec_t *x, double alpha)
{
    dc_env_t *env;
    int rc = DC_SUCCESS;

    DC_VALIDATE(x, DCI_CLASS_VEC);
    env = x->hdr.env;
    dci_prof_begin(env, DCI_EV_VEC_SCAL);
    DC_CHECK_GOTO(dci_vec_state_write(x, "x", __func__), out);
    blas_scal(x->nlocal, alpha, x->data);
    dci_prof_flops(env, (double)x->nlocal);
out:
    dci_prof_end(env, DCI_EV_VEC_SCAL, rc == DC_SUCCESS ? 2 * x->nlocal * sizeof(double) : 0);
    return rc;
}

int dc_vec_axpy(dc_vec_t *y, double alpha, const dc_vec_t *x)
{
    dc_env_t *env;
    int rc = DC_SUCCESS;

    DC_VALIDATE(y, DCI_CLASS_VEC);
    DC_VALIDATE(x, DCI_CLASS_VEC);
    env = y->hdr.env;
    dci_prof_begin(env, DCI_EV_VEC_AXPY);
    DC_CHECK_GOTO(check_compat(y, x, __func__), out);
    DC_CHECK_GOTO(dci_vec_state_write(y, "y", __func__), out);
    DC_CHECK_GOTO(dci_vec_state_read(x, "x", __func__), out);
    blas_axpy(y->nlocal, alpha, x->data, y->data);
    dci_prof_flops(env, 2.0 * (double)y->nlocal);
out:
    dci_prof_end(env, DCI_EV_VEC_AXPY, rc == DC_SUCCESS ? 3 * y->nlocal * sizeof(double) : 0);
    return rc;
}

int dc_vec_axpby(dc_vec_t *y, double alpha, const dc_vec_t *x, double beta)
{
    dc_env_t *env;
    int rc = DC_SUCCESS;

    DC_VALIDATE(y, DCI_CLASS_VEC);
    DC_VALIDATE(x, DCI_CLASS_VEC);
    env = y->hdr.env;
    dci_prof_begin(env, DCI_EV_VEC_AXPBY);
    DC_CHECK_GOTO(check_compat(y, x, __func__), out);
    DC_CHECK_GOTO(dci_vec_state_write(y, "y", __func__), out);
    DC_CHECK_GOTO(dci_vec_state_read(x, "x", __func__), out);
    blas_axpby(y->nlocal, alpha, x->data, beta, y->data);
    dci_prof_flops(env, 3.0 * (double)y->nlocal);
out:
    dci_prof_end(env, DCI_EV_VEC_AXPBY, rc == DC_SUCCESS ? 3 * y->nlocal * sizeof(double) : 0);
    return rc;
}

/* ---------------------------------------------------------------- reductions */

/*
 * Common body of dot/nrm2/asum/sum: this vector's own checks, then the one front door of the
 * distributed sums (sum.c), which always reduces exactly once, with this rank's failure riding
 * along, so that every rank fails and none hangs.
 */
static int vec_reduce(const char *func, dci_event_t ev, int kind, const dc_vec_t *x,
                      const dc_vec_t *y, dc_repro_t mode, double *result_p)
{
    int rc = dci_vec_state_read(x, "x", func);

    if (rc == DC_SUCCESS && y != NULL && y != x)
        rc = check_compat(x, y, func);
    if (rc == DC_SUCCESS && y != NULL && y != x)
        rc = dci_vec_state_read(y, "y", func);
    return dci_sum_collective(x->hdr.env, func, ev, kind, x->data, y != NULL ? y->data : NULL,
                              x->nlocal, x->layout->n, mode, rc, result_p);
}

int dc_vec_dot_repro(const dc_vec_t *x, const dc_vec_t *y, dc_repro_t mode, double *result_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    DC_VALIDATE(y, DCI_CLASS_VEC);
    return vec_reduce(__func__, DCI_EV_VEC_DOT_REPRO, DCI_RACC_DOT, x, y, mode, result_p);
}

int dc_vec_dot(const dc_vec_t *x, const dc_vec_t *y, double *result_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    DC_VALIDATE(y, DCI_CLASS_VEC);
    return vec_reduce(__func__, DCI_EV_VEC_DOT, DCI_RACC_DOT, x, y, DC_REPRO_DEFAULT, result_p);
}

int dc_vec_nrm2_repro(const dc_vec_t *x, dc_repro_t mode, double *result_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    return vec_reduce(__func__, DCI_EV_VEC_NRM2_REPRO, DCI_RACC_SUMSQ, x, NULL, mode, result_p);
}

int dc_vec_nrm2(const dc_vec_t *x, double *result_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    return vec_reduce(__func__, DCI_EV_VEC_NRM2, DCI_RACC_SUMSQ, x, NULL, DC_REPRO_DEFAULT,
                      result_p);
}

int dc_vec_asum_repro(const dc_vec_t *x, dc_repro_t mode, double *result_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    return vec_reduce(__func__, DCI_EV_VEC_ASUM_REPRO, DCI_RACC_ASUM, x, NULL, mode, result_p);
}

int dc_vec_asum(const dc_vec_t *x, double *result_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    return vec_reduce(__func__, DCI_EV_VEC_ASUM, DCI_RACC_ASUM, x, NULL, DC_REPRO_DEFAULT,
                      result_p);
}

int dc_vec_sum_repro(const dc_vec_t *x, dc_repro_t mode, double *result_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    return vec_reduce(__func__, DCI_EV_VEC_SUM_REPRO, DCI_RACC_SUM, x, NULL, mode, result_p);
}

int dc_vec_sum(const dc_vec_t *x, double *result_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    return vec_reduce(__func__, DCI_EV_VEC_SUM, DCI_RACC_SUM, x, NULL, DC_REPRO_DEFAULT, result_p);
}

/* ---------------------------------------------------------------- max / min with index */

/*
 * The library's one MINLOC/MAXLOC rule (dtype.h): NaN wins, at the smallest index holding one;
 * else the largest value; ties go to the smaller index. min is max of -x (negation is exact, and
 * flips a NaN's sign only to flip it back), so the env's MAXLOC operation on two
 * DC_TYPE_DOUBLE_LOC pairs serves both, with no datatype or operation made per call: pair 0 is
 * this rank's candidate (an empty rank sends (-Inf, INT64_MAX), which loses to any entry), pair
 * 1 carries minus the local error code, so its maximum is the most negative code of any rank.
 */
static int vec_maxmin(const char *func, dci_event_t ev, const dc_vec_t *x, double sign,
                      double *value_p, dc_gidx_t *index_p)
{
    dc_env_t *env = x->hdr.env;
    dc_double_loc_t mine[2] = {{-INFINITY, INT64_MAX}, {0.0, 0}}, all[2];
    int rc = DC_SUCCESS, mrc;
    size_t i, best = SIZE_MAX;
    char saved[DCI_ERRBUF];
    double t;

    dci_prof_begin(env, ev);
    rc = dci_wd_enter(env, func); /* hang watchdog: one branch when off */
    if (DCI_UNLIKELY(rc != DC_SUCCESS)) {
        dci_prof_end(env, ev, 0);
        return rc;
    }
    if (value_p == NULL && index_p == NULL)
        rc = dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                           "value_p and index_p are both NULL");
    if (rc == DC_SUCCESS)
        rc = dci_vec_state_read(x, "x", func);
    if (rc == DC_SUCCESS) {
        /* Local order is global order on one rank (l2g increases with i): first wins. */
        for (i = 0; i < x->nlocal; i++) {
            double v = sign * x->data[i];
            if (isnan(v)) {
                best = i; /* the first NaN wins over everything after it */
                mine[0].value = v;
                break;
            }
            if (best == SIZE_MAX || v > mine[0].value) {
                best = i;
                mine[0].value = v;
            }
        }
        if (best != SIZE_MAX)
            mine[0].index = dci_layout_l2g(x->layout, env->rank, best);
    }
    mine[1].value = -(double)rc;
    if (rc != DC_SUCCESS)
        memcpy(saved, env->errbuf, sizeof(saved));
    /* A local MPI failure here would leave the others waiting: nothing to do but report. */
    t = dci_prof_mpi_begin(env);
    mrc = MPI_Allreduce(mine, all, 2, dci_dtype_mpi(env, DC_TYPE_DOUBLE_LOC), env->maxloc_op,
                        env->comm);
    dci_prof_mpi_end(env, t);
    dci_prof_coll(env, sizeof(mine), sizeof(all));
    if (rc != DC_SUCCESS)
        memcpy(env->errbuf, saved, sizeof(saved));
    if (rc == DC_SUCCESS && mrc != MPI_SUCCESS)
        rc = dci_error_mpi(env, mrc, func, __FILE__, __LINE__, "MPI_Allreduce of (value, index)");
    if (rc == DC_SUCCESS && all[1].value != 0.0)
        rc = dci_error_set(env, (int)-all[1].value, func, __FILE__, __LINE__,
                           "invalid arguments on another rank");
    if (rc == DC_SUCCESS) {
        int empty = all[0].index == INT64_MAX;
        if (value_p != NULL)
            *value_p = empty ? sign * -INFINITY : sign * all[0].value;
        if (index_p != NULL)
            *index_p = empty ? -1 : all[0].index;
    }
    dci_prof_end(env, ev, rc == DC_SUCCESS ? x->nlocal * sizeof(double) : 0);
    return rc;
}

int dc_vec_max(const dc_vec_t *x, double *value_p, dc_gidx_t *index_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    return vec_maxmin(__func__, DCI_EV_VEC_MAX, x, 1.0, value_p, index_p);
}

int dc_vec_min(const dc_vec_t *x, double *value_p, dc_gidx_t *index_p)
{
    DC_VALIDATE(x, DCI_CLASS_VEC);
    return vec_maxmin(__func__, DCI_EV_VEC_MIN, x, -1.0, value_p, index_p);
}
