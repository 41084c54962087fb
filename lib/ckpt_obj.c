/*
 * The objects of a checkpoint, each one dataset in natural (global) order written and read
 * through the array I/O of ckpt.c: vectors (contiguous layouts in place, cyclic ones through a
 * block copy), dense matrices (through a block-row copy, packed row-major), mesh fields (through
 * a natural-order copy cut at whole z (y, x) planes), layouts (per-rank counts with the kind as
 * attributes), user data and blobs (rank 0's). Reading redistributes to the target's layout
 * only after the checksum is verified, so a failed read leaves the target as it was.
 */
#include "ckpt_impl.h"
#include "mat_impl.h"
#include "mesh_impl.h"
#include "vec_impl.h"

#include <limits.h>
#include <stdio.h>

static const char *ck_layout_kind_name(dc_layout_kind_t k)
{
    static const char *names[] = {"block", "cyclic", "block-cyclic", "weighted", "explicit"};
    return (unsigned)k < 5 ? names[k] : "?";
}

static void ck_layout_words(const dc_layout_t *l, char *buf, size_t len)
{
    snprintf(buf, len, "%s n=%lld block=%lld nranks=%d", ck_layout_kind_name(l->kind),
             (long long)l->n, (long long)l->block, l->nranks);
}

/* Broadcast n bytes from rank 0 in pieces an int count can hold. */
static int ck_bcast(dc_env_t *env, void *buf, size_t n)
{
    char *p = buf;
    int mpirc;

    while (n > 0) {
        size_t k = n > (size_t)INT_MAX ? (size_t)INT_MAX : n;
        double t = dci_prof_mpi_begin(env); /* MPI traffic only: file I/O is not counted */
        mpirc = MPI_Bcast(p, (int)k, MPI_BYTE, 0, env->comm);
        dci_prof_coll_end(env, t, env->rank == 0 ? k : 0, env->rank == 0 ? 0 : k);
        if (mpirc != MPI_SUCCESS)
            return DC_ERR_MPI_RC(env, mpirc, "MPI_Bcast");
        p += k;
        n -= k;
    }
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- vectors */

int dc_ckpt_write_vec(dc_ckpt_t *ckpt, const char *name, const dc_vec_t *x)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    dc_layout_t *l = NULL, *bl = NULL;
    dc_vec_t *t = NULL;
    const dc_vec_t *src = x;
    int rc;
    int64_t n = -1;
    char words[128];
    dci_arg_t args[2];
    dci_ck_array_t a;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    DC_VALIDATE(x, DCI_CLASS_VEC);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_WRITE_VEC);
    rc = dci_ck_check_write(ck, name, __func__);
    if (rc == DC_SUCCESS && x->hdr.env != env)
        rc = DC_ERR(env, DC_ERR_ARG, "x lives on another env than the checkpoint");
    if (rc == DC_SUCCESS)
        rc = dci_vec_check_access(x, 0, "x", __func__);
    if (rc == DC_SUCCESS)
        n = x->layout->n;
    args[0] = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    args[1] = dci_arg_int("global size of x", n, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, 2, __func__);
    if (rc != DC_SUCCESS)
        goto out;
    l = x->layout;
    ck_layout_words(l, words, sizeof(words));
    if (l->offsets == NULL) { /* cyclic kinds: contiguous blocks first */
        DC_CHECK_GOTO(dc_layout_create_block(env, n, &bl), out);
        DC_CHECK_GOTO(dc_vec_create(bl, &t), out);
        DC_CHECK_GOTO(dc_vec_redistribute(x, t), out);
        src = t;
        l = bl;
    }
    memset(&a, 0, sizeof(a));
    a.name = name;
    a.kind = "vec";
    a.type = DCI_CK_DOUBLE;
    a.ndims = 1;
    a.dims[0] = (hsize_t)n;
    a.row0 = (hsize_t)l->offsets[env->rank];
    a.nrows = src->nlocal;
    a.layout = words;
    rc = dci_ck_write_array(ck, &a, src->data, __func__);
out:
    dc_vec_destroy(&t);
    dc_layout_destroy(&bl);
    dci_prof_end(env, DCI_EV_CKPT_WRITE_VEC, rc == DC_SUCCESS ? x->nlocal * sizeof(double) : 0);
    dci_ck_leave(ck);
    return rc;
}

int dc_ckpt_read_vec(dc_ckpt_t *ckpt, const char *name, dc_vec_t *x)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    dc_layout_t *l, *bl = NULL;
    dc_vec_t *t = NULL;
    double *buf = NULL;
    int rc, opened = 0;
    int64_t n = -1;
    dci_arg_t args[2];
    dci_ck_obj_t o;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    DC_VALIDATE(x, DCI_CLASS_VEC);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_READ_VEC);
    rc = dci_ck_check_read(ck, name, __func__);
    if (rc == DC_SUCCESS && x->hdr.env != env)
        rc = DC_ERR(env, DC_ERR_ARG, "x lives on another env than the checkpoint");
    if (rc == DC_SUCCESS)
        rc = dci_vec_check_access(x, 1, "x", __func__);
    if (rc == DC_SUCCESS)
        n = x->layout->n;
    args[0] = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    args[1] = dci_arg_int("global size of x", n, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, 2, __func__);
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_GOTO(dci_ck_open_obj(ck, name, "vec", &o, __func__), out);
    opened = 1;
    if (o.ndims != 1 || o.dims[0] != (hsize_t)n) {
        rc = dci_agree(env, DC_ERR(env, DC_ERR_SIZE,
                                   "object '%s' holds %lld values, x has global size %lld", name,
                                   (long long)o.dims[0], (long long)n));
        goto out;
    }
    l = x->layout;
    if (l->offsets != NULL) {
        /* the stored values reach x only once verified */
        rc = dci_agree(env, dci_malloc(env, x->nlocal * sizeof(double) + 1, (void **)&buf));
        if (rc != DC_SUCCESS)
            goto out;
        DC_CHECK_GOTO(dci_ck_read_rows(ck, name, &o, (hsize_t)l->offsets[env->rank], x->nlocal, buf,
                                       __func__),
                      out);
        if (x->nlocal > 0)
            memcpy(x->data, buf, x->nlocal * sizeof(double));
    } else {
        DC_CHECK_GOTO(dc_layout_create_block(env, n, &bl), out);
        DC_CHECK_GOTO(dc_vec_create(bl, &t), out);
        DC_CHECK_GOTO(dci_ck_read_rows(ck, name, &o, (hsize_t)bl->offsets[env->rank], t->nlocal,
                                       t->data, __func__),
                      out);
        DC_CHECK_GOTO(dc_vec_redistribute(t, x), out);
    }
out:
    if (opened)
        dci_ck_close_obj(&o);
    dci_free(buf);
    dc_vec_destroy(&t);
    dc_layout_destroy(&bl);
    dci_prof_end(env, DCI_EV_CKPT_READ_VEC, rc == DC_SUCCESS ? x->nlocal * sizeof(double) : 0);
    dci_ck_leave(ck);
    return rc;
}

/* ---------------------------------------------------------------- dense matrices */

/* Block rows over the env's ranks as a 1-column grid: rank r holds rows [r mb, (r + 1) mb). */
static void ck_mat_rows_dist(dc_env_t *env, dc_gidx_t m, dc_gidx_t n, dc_mat_dist_t *d)
{
    memset(d, 0, sizeof(*d));
    d->m = m;
    d->n = n;
    d->mb = m > 0 ? (m + env->size - 1) / env->size : 1;
    d->nb = n > 0 ? n : 1;
    d->nprow = env->size;
    d->npcol = 1;
}

int dc_ckpt_write_mat(dc_ckpt_t *ckpt, const char *name, const dc_mat_t *a)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    dc_mat_t *t = NULL;
    dc_mat_dist_t d;
    double *buf = NULL;
    int rc;
    int64_t m = -1, n = -1;
    size_t i, j;
    char words[160];
    dci_arg_t args[3];
    dci_ck_array_t arr;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    DC_VALIDATE(a, DCI_CLASS_MAT);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_WRITE_MAT);
    rc = dci_ck_check_write(ck, name, __func__);
    if (rc == DC_SUCCESS && a->hdr.env != env)
        rc = DC_ERR(env, DC_ERR_ARG, "a lives on another env than the checkpoint");
    if (rc == DC_SUCCESS)
        rc = dci_borrow_check_read(env, &a->borrow, "mat", "a", __func__);
    if (rc == DC_SUCCESS) {
        m = a->pub.m;
        n = a->pub.n;
    }
    args[0] = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    args[1] = dci_arg_int("rows of a", m, DC_ERR_ARG);
    args[2] = dci_arg_int("columns of a", n, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, 3, __func__);
    if (rc != DC_SUCCESS)
        goto out;
    snprintf(words, sizeof(words), "block-cyclic m=%lld n=%lld mb=%lld nb=%lld grid=%dx%d",
             (long long)m, (long long)n, (long long)a->pub.mb, (long long)a->pub.nb, a->pub.nprow,
             a->pub.npcol);
    ck_mat_rows_dist(env, m, n, &d);
    DC_CHECK_GOTO(dc_mat_create_dist(env, &d, &t), out);
    DC_CHECK_GOTO(dc_mat_redistribute(a, t), out);
    rc = dci_agree(env, dci_malloc(env, t->mloc * (size_t)n * sizeof(double) + 1, (void **)&buf));
    if (rc != DC_SUCCESS)
        goto out;
    for (i = 0; i < t->mloc; i++) /* column-major local block to row-major rows */
        for (j = 0; j < (size_t)n; j++)
            buf[i * (size_t)n + j] = t->data[i + j * t->lld];
    memset(&arr, 0, sizeof(arr));
    arr.name = name;
    arr.kind = "mat";
    arr.type = DCI_CK_DOUBLE;
    arr.ndims = 2;
    arr.dims[0] = (hsize_t)m;
    arr.dims[1] = (hsize_t)n;
    arr.row0 = t->mloc > 0 ? (hsize_t)env->rank * (hsize_t)d.mb : 0;
    arr.nrows = t->mloc;
    arr.layout = words;
    rc = dci_ck_write_array(ck, &arr, buf, __func__);
out:
    dci_free(buf);
    dc_mat_destroy(&t);
    dci_prof_end(env, DCI_EV_CKPT_WRITE_MAT, 0);
    dci_ck_leave(ck);
    return rc;
}

int dc_ckpt_read_mat(dc_ckpt_t *ckpt, const char *name, dc_mat_t *a)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    dc_mat_t *t = NULL;
    dc_mat_dist_t d;
    double *buf = NULL;
    int rc, opened = 0;
    int64_t m = -1, n = -1;
    size_t i, j;
    dci_arg_t args[3];
    dci_ck_obj_t o;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    DC_VALIDATE(a, DCI_CLASS_MAT);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_READ_MAT);
    rc = dci_ck_check_read(ck, name, __func__);
    if (rc == DC_SUCCESS && a->hdr.env != env)
        rc = DC_ERR(env, DC_ERR_ARG, "a lives on another env than the checkpoint");
    if (rc == DC_SUCCESS)
        rc = dci_borrow_check_write(env, &a->borrow, "mat", "a", __func__);
    if (rc == DC_SUCCESS) {
        m = a->pub.m;
        n = a->pub.n;
    }
    args[0] = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    args[1] = dci_arg_int("rows of a", m, DC_ERR_ARG);
    args[2] = dci_arg_int("columns of a", n, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, 3, __func__);
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_GOTO(dci_ck_open_obj(ck, name, "mat", &o, __func__), out);
    opened = 1;
    if (o.ndims != 2 || o.dims[0] != (hsize_t)m || o.dims[1] != (hsize_t)n) {
        rc = dci_agree(env,
                       DC_ERR(env, DC_ERR_SIZE, "object '%s' is %lld x %lld, a is %lld x %lld",
                              name, (long long)o.dims[0], (long long)(o.ndims > 1 ? o.dims[1] : 0),
                              (long long)m, (long long)n));
        goto out;
    }
    ck_mat_rows_dist(env, m, n, &d);
    DC_CHECK_GOTO(dc_mat_create_dist(env, &d, &t), out);
    rc = dci_agree(env, dci_malloc(env, t->mloc * (size_t)n * sizeof(double) + 1, (void **)&buf));
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_GOTO(dci_ck_read_rows(ck, name, &o,
                                   t->mloc > 0 ? (hsize_t)env->rank * (hsize_t)d.mb : 0, t->mloc,
                                   buf, __func__),
                  out);
    for (i = 0; i < t->mloc; i++)
        for (j = 0; j < (size_t)n; j++)
            t->data[i + j * t->lld] = buf[i * (size_t)n + j];
    DC_CHECK_GOTO(dc_mat_redistribute(t, a), out);
out:
    if (opened)
        dci_ck_close_obj(&o);
    dci_free(buf);
    dc_mat_destroy(&t);
    dci_prof_end(env, DCI_EV_CKPT_READ_MAT, 0);
    dci_ck_leave(ck);
    return rc;
}

/* ---------------------------------------------------------------- mesh fields */

/* The dataset shape of a mesh field ([nz][ny][nx][dof], fewer for 1-D and 2-D); returns ndims.
 */
static int ck_mesh_dims(const dc_mesh_info_t *info, hsize_t dims[4])
{
    int d, k = 0;

    for (d = info->dim - 1; d >= 0; d--)
        dims[k++] = (hsize_t)info->n[d];
    dims[k++] = (hsize_t)info->dof;
    return k;
}

/* The field in natural order, cut at whole planes of the slowest dimension: layout and rows. */
static int ck_mesh_natural(dc_env_t *env, const hsize_t *dims, int ndims, dc_layout_t **l_p,
                           dc_vec_t **v_p, int64_t *row0_p, int64_t *nrows_p)
{
    int64_t rowlen = 1;
    int i, rc;

    for (i = 1; i < ndims; i++)
        rowlen *= (int64_t)dims[i];
    dci_ck_split((int64_t)dims[0], env->size, env->rank, row0_p, nrows_p);
    rc = dc_layout_create_explicit(env, (size_t)(*nrows_p * rowlen), l_p);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(*l_p, v_p);
    return rc;
}

static int ck_mesh_check(dc_ckpt_t *ck, dc_mesh_t *mesh, const dc_vec_t *global, int write,
                         const char *func)
{
    dc_env_t *env = ck->hdr.env;

    if (mesh->hdr.env != env || global->hdr.env != env)
        return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                             "mesh or global lives on another env than the checkpoint");
    if (global->layout != mesh->layout && !dci_layout_congruent(global->layout, mesh->layout))
        return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                             "global is not on the mesh's layout");
    return dci_vec_check_access(global, write, "global", func);
}

int dc_ckpt_write_mesh_field(dc_ckpt_t *ckpt, const char *name, dc_mesh_t *mesh,
                             const dc_vec_t *global)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    dc_layout_t *l = NULL;
    dc_vec_t *nat = NULL;
    int rc, ndims = 0;
    int64_t row0 = 0, nrows = 0, npts = -1;
    hsize_t dims[4] = {0};
    char words[160];
    dci_arg_t args[2];
    dci_ck_array_t a;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_VALIDATE(global, DCI_CLASS_VEC);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_WRITE_MESH_FIELD);
    rc = dci_ck_check_write(ck, name, __func__);
    if (rc == DC_SUCCESS)
        rc = ck_mesh_check(ck, mesh, global, 0, __func__);
    if (rc == DC_SUCCESS)
        npts = global->layout->n;
    args[0] = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    args[1] = dci_arg_int("global size of the field", npts, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, 2, __func__);
    if (rc != DC_SUCCESS)
        goto out;
    ndims = ck_mesh_dims(&mesh->info, dims);
    snprintf(words, sizeof(words), "mesh dim=%d n=%lldx%lldx%lld dof=%d procs=%dx%dx%d",
             mesh->info.dim, (long long)mesh->info.n[0], (long long)mesh->info.n[1],
             (long long)mesh->info.n[2], mesh->info.dof, mesh->info.procs[0], mesh->info.procs[1],
             mesh->info.procs[2]);
    DC_CHECK_GOTO(ck_mesh_natural(env, dims, ndims, &l, &nat, &row0, &nrows), out);
    DC_CHECK_GOTO(dc_mesh_global_to_natural(mesh, global, nat), out);
    memset(&a, 0, sizeof(a));
    a.name = name;
    a.kind = "mesh_field";
    a.type = DCI_CK_DOUBLE;
    a.ndims = ndims;
    memcpy(a.dims, dims, sizeof(dims));
    a.row0 = (hsize_t)row0;
    a.nrows = (hsize_t)nrows;
    a.layout = words;
    a.nextra = 2;
    a.extra_name[0] = "dim";
    a.extra_val[0] = mesh->info.dim;
    a.extra_name[1] = "dof";
    a.extra_val[1] = mesh->info.dof;
    rc = dci_ck_write_array(ck, &a, nat->data, __func__);
out:
    dc_vec_destroy(&nat);
    dc_layout_destroy(&l);
    dci_prof_end(env, DCI_EV_CKPT_WRITE_MESH_FIELD, 0);
    dci_ck_leave(ck);
    return rc;
}

int dc_ckpt_read_mesh_field(dc_ckpt_t *ckpt, const char *name, dc_mesh_t *mesh, dc_vec_t *global)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    dc_layout_t *l = NULL;
    dc_vec_t *nat = NULL;
    int rc, ndims = 0, opened = 0, i, same;
    int64_t row0 = 0, nrows = 0, npts = -1;
    hsize_t dims[4] = {0};
    dci_arg_t args[2];
    dci_ck_obj_t o;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_VALIDATE(global, DCI_CLASS_VEC);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_READ_MESH_FIELD);
    rc = dci_ck_check_read(ck, name, __func__);
    if (rc == DC_SUCCESS)
        rc = ck_mesh_check(ck, mesh, global, 1, __func__);
    if (rc == DC_SUCCESS)
        npts = global->layout->n;
    args[0] = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    args[1] = dci_arg_int("global size of the field", npts, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, 2, __func__);
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_GOTO(dci_ck_open_obj(ck, name, "mesh_field", &o, __func__), out);
    opened = 1;
    ndims = ck_mesh_dims(&mesh->info, dims);
    same = o.ndims == ndims;
    for (i = 0; same && i < ndims; i++)
        same = o.dims[i] == dims[i];
    if (!same) {
        rc = dci_agree(env, DC_ERR(env, DC_ERR_SIZE,
                                   "object '%s' is a field of another shape (%d dimensions with "
                                   "dof; the mesh's %d)",
                                   name, o.ndims, ndims));
        goto out;
    }
    DC_CHECK_GOTO(ck_mesh_natural(env, dims, ndims, &l, &nat, &row0, &nrows), out);
    DC_CHECK_GOTO(
        dci_ck_read_rows(ck, name, &o, (hsize_t)row0, (hsize_t)nrows, nat->data, __func__), out);
    DC_CHECK_GOTO(dc_mesh_natural_to_global(mesh, nat, global), out);
out:
    if (opened)
        dci_ck_close_obj(&o);
    dc_vec_destroy(&nat);
    dc_layout_destroy(&l);
    dci_prof_end(env, DCI_EV_CKPT_READ_MESH_FIELD, 0);
    dci_ck_leave(ck);
    return rc;
}

/* ---------------------------------------------------------------- layouts */

int dc_ckpt_write_layout(dc_ckpt_t *ckpt, const char *name, const dc_layout_t *layout)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    int64_t *counts = NULL;
    int rc, r;
    char words[128];
    dci_arg_t arg;
    dci_ck_array_t a;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_WRITE_LAYOUT);
    rc = dci_ck_check_write(ck, name, __func__);
    if (rc == DC_SUCCESS && layout->hdr.env != env)
        rc = DC_ERR(env, DC_ERR_ARG, "layout lives on another env than the checkpoint");
    if (rc == DC_SUCCESS && env->rank == 0)
        rc = dci_malloc(env, (size_t)layout->nranks * sizeof(int64_t), (void **)&counts);
    arg = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    rc = dci_agree_args(env, rc, &arg, 1, __func__);
    if (rc != DC_SUCCESS)
        goto out;
    if (env->rank == 0)
        for (r = 0; r < layout->nranks; r++)
            counts[r] = (int64_t)dci_layout_count(layout, r);
    ck_layout_words(layout, words, sizeof(words));
    memset(&a, 0, sizeof(a));
    a.name = name;
    a.kind = "layout";
    a.type = DCI_CK_INT64;
    a.ndims = 1;
    a.dims[0] = (hsize_t)layout->nranks;
    a.nrows = env->rank == 0 ? (hsize_t)layout->nranks : 0;
    a.layout = words;
    a.nextra = 3;
    a.extra_name[0] = "n";
    a.extra_val[0] = layout->n;
    a.extra_name[1] = "block";
    a.extra_val[1] = layout->block;
    a.extra_name[2] = "nranks";
    a.extra_val[2] = layout->nranks;
    a.extra_str_name = "layout_kind";
    a.extra_str = ck_layout_kind_name(layout->kind);
    rc = dci_ck_write_array(ck, &a, counts, __func__);
out:
    dci_free(counts);
    dci_prof_end(env, DCI_EV_CKPT_WRITE_LAYOUT, 0);
    dci_ck_leave(ck);
    return rc;
}

int dc_ckpt_read_layout(dc_ckpt_t *ckpt, const char *name, dc_layout_t **layout_p)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    dc_layout_t *l = NULL;
    int64_t *counts = NULL, n = 0, block = 0, nranks = 0;
    int rc, opened = 0, k;
    char kind[32];
    dci_arg_t arg;
    dci_ck_obj_t o;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_READ_LAYOUT);
    rc = dci_ck_check_read(ck, name, __func__);
    if (rc == DC_SUCCESS && layout_p == NULL)
        rc = DC_ERR(env, DC_ERR_ARG, "layout_p is NULL");
    arg = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    rc = dci_agree_args(env, rc, &arg, 1, __func__);
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_GOTO(dci_ck_open_obj(ck, name, "layout", &o, __func__), out);
    opened = 1;
    rc = dci_ck_obj_attr_i64(ck, &o, name, "n", &n);
    if (rc == DC_SUCCESS)
        rc = dci_ck_obj_attr_i64(ck, &o, name, "block", &block);
    if (rc == DC_SUCCESS)
        rc = dci_ck_obj_attr_i64(ck, &o, name, "nranks", &nranks);
    if (rc == DC_SUCCESS)
        rc = dci_ck_obj_attr_str(ck, &o, name, "layout_kind", kind, sizeof(kind));
    for (k = 0; rc == DC_SUCCESS && k < 5; k++)
        if (strcmp(kind, ck_layout_kind_name((dc_layout_kind_t)k)) == 0)
            break;
    if (rc == DC_SUCCESS &&
        (k == 5 || n < 0 || block < 0 || (k == DC_LAYOUT_BLOCK_CYCLIC && block < 1) || nranks < 1 ||
         o.ndims != 1 || o.dims[0] != (hsize_t)nranks))
        rc = DC_ERR(env, DC_ERR_CORRUPT, "checkpoint '%s': layout '%s' has invalid attributes",
                    ck->path, name);
    if (rc == DC_SUCCESS)
        rc = dci_malloc(env, (size_t)nranks * sizeof(int64_t), (void **)&counts);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_GOTO(
        dci_ck_read_rows(ck, name, &o, 0, env->rank == 0 ? (hsize_t)nranks : 0, counts, __func__),
        out);
    DC_CHECK_GOTO(dci_agree(env, ck_bcast(env, counts, (size_t)nranks * sizeof(int64_t))), out);
    switch (k) {
    case DC_LAYOUT_CYCLIC: rc = dc_layout_create_cyclic(env, n, &l); break;
    case DC_LAYOUT_BLOCK_CYCLIC: rc = dc_layout_create_block_cyclic(env, n, block, &l); break;
    case DC_LAYOUT_WEIGHTED:
    case DC_LAYOUT_EXPLICIT:
        /* the same counts on the same rank count; balanced blocks on another */
        if (nranks == env->size) {
            rc = dc_layout_create_explicit(env, (size_t)counts[env->rank], &l);
            break;
        }
        /* fall through */
    default: rc = dc_layout_create_block(env, n, &l);
    }
out:
    if (opened)
        dci_ck_close_obj(&o);
    dci_free(counts);
    if (rc == DC_SUCCESS)
        *layout_p = l;
    dci_prof_end(env, DCI_EV_CKPT_READ_LAYOUT, 0);
    dci_ck_leave(ck);
    return rc;
}

/* ---------------------------------------------------------------- user data and blobs */

/* dc_dtype_t's plain types to the stored types; -1 for pair or invalid types. */
static int ck_dtype(dc_dtype_t type)
{
    switch (type) {
    case DC_TYPE_DOUBLE: return DCI_CK_DOUBLE;
    case DC_TYPE_FLOAT: return DCI_CK_FLOAT;
    case DC_TYPE_INT32: return DCI_CK_INT32;
    case DC_TYPE_INT64: return DCI_CK_INT64;
    default: return -1;
    }
}

/* data or blob, rank 0's values */
static int ck_write_rank0(dc_ckpt_t *ck, const char *name, const char *kind, int t,
                          int64_t type_arg, size_t count, const void *data, const char *func)
{
    dc_env_t *env = ck->hdr.env;
    int rc;
    dci_arg_t args[3];
    dci_ck_array_t a;

    rc = dci_ck_check_write(ck, name, func);
    if (rc == DC_SUCCESS && t < 0)
        rc = dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                           "type %lld is not DC_TYPE_DOUBLE, _FLOAT, _INT32 or _INT64",
                           (long long)type_arg);
    if (rc == DC_SUCCESS && env->rank == 0 && count > 0 && data == NULL)
        rc = dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__, "data is NULL on rank 0");
    if (rc == DC_SUCCESS && count > (size_t)INT64_MAX / 8)
        rc = dci_error_set(env, DC_ERR_SIZE, func, __FILE__, __LINE__, "count %zu is too large",
                           count);
    args[0] = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    args[1] = dci_arg_int("type", type_arg, DC_ERR_ARG);
    args[2] = dci_arg_int("count", (int64_t)count, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, 3, func);
    if (rc != DC_SUCCESS)
        return rc;
    memset(&a, 0, sizeof(a));
    a.name = name;
    a.kind = kind;
    a.type = t;
    a.ndims = 1;
    a.dims[0] = count;
    a.nrows = env->rank == 0 ? count : 0;
    a.layout = "rank 0";
    return dci_ck_write_array(ck, &a, data, func);
}

int dc_ckpt_write_data(dc_ckpt_t *ckpt, const char *name, dc_dtype_t type, size_t count,
                       const void *data)
{
    int rc;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    dci_ck_enter(ckpt);
    dci_prof_begin(ckpt->hdr.env, DCI_EV_CKPT_WRITE_DATA);
    rc = ck_write_rank0(ckpt, name, "data", ck_dtype(type), (int64_t)type, count, data, __func__);
    dci_prof_end(ckpt->hdr.env, DCI_EV_CKPT_WRITE_DATA, 0);
    dci_ck_leave(ckpt);
    return rc;
}

int dc_ckpt_write_blob(dc_ckpt_t *ckpt, const char *name, const void *data, size_t size)
{
    int rc;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    dci_ck_enter(ckpt);
    dci_prof_begin(ckpt->hdr.env, DCI_EV_CKPT_WRITE_BLOB);
    rc = ck_write_rank0(ckpt, name, "blob", DCI_CK_UINT8, -1, size, data, __func__);
    dci_prof_end(ckpt->hdr.env, DCI_EV_CKPT_WRITE_BLOB, 0);
    dci_ck_leave(ckpt);
    return rc;
}

/*
 * Read an object stored by rank 0 (data, blob) on every rank: rank 0 reads and verifies it,
 * then broadcasts it into data (count values of type t). o is open; the caller agreed.
 */
static int ck_read_rank0(dc_ckpt_t *ck, const char *name, const dci_ck_obj_t *o, size_t count,
                         void *data, const char *func)
{
    dc_env_t *env = ck->hdr.env;
    size_t bytes = count * dci_ck_type_size(o->type);
    void *tmp = NULL;
    int rc = DC_SUCCESS;

    if (env->rank == 0)
        rc = dci_malloc(env, bytes + 1, &tmp);
    rc = dci_agree(env, rc);
    if (rc == DC_SUCCESS)
        rc = dci_ck_read_rows(ck, name, o, 0, env->rank == 0 ? count : 0, tmp, func);
    if (rc == DC_SUCCESS) {
        if (env->rank == 0 && bytes > 0)
            memcpy(data, tmp, bytes);
        rc = dci_agree(env, ck_bcast(env, data, bytes));
    }
    dci_free(tmp);
    return rc;
}

int dc_ckpt_read_data(dc_ckpt_t *ckpt, const char *name, dc_dtype_t type, size_t count, void *data)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    int rc, t = ck_dtype(type), opened = 0;
    dci_arg_t args[3];
    dci_ck_obj_t o;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_READ_DATA);
    rc = dci_ck_check_read(ck, name, __func__);
    if (rc == DC_SUCCESS && t < 0)
        rc = DC_ERR(env, DC_ERR_ARG, "type %d is not DC_TYPE_DOUBLE, _FLOAT, _INT32 or _INT64",
                    (int)type);
    if (rc == DC_SUCCESS && count > 0 && data == NULL)
        rc = DC_ERR(env, DC_ERR_ARG, "data is NULL");
    args[0] = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    args[1] = dci_arg_int("type", (int64_t)type, DC_ERR_ARG);
    args[2] = dci_arg_int("count", (int64_t)count, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, 3, __func__);
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_GOTO(dci_ck_open_obj(ck, name, "data", &o, __func__), out);
    opened = 1;
    if (o.type != t)
        rc = DC_ERR(env, DC_ERR_ARG, "object '%s' holds %s values, not %s", name,
                    dci_ck_type_name(o.type), dci_ck_type_name(t));
    else if (o.ndims != 1 || o.dims[0] != count)
        rc = DC_ERR(env, DC_ERR_SIZE, "object '%s' holds %lld values, not %zu", name,
                    (long long)o.dims[0], count);
    DC_CHECK_GOTO(dci_agree(env, rc), out);
    rc = ck_read_rank0(ck, name, &o, count, data, __func__);
out:
    if (opened)
        dci_ck_close_obj(&o);
    dci_prof_end(env, DCI_EV_CKPT_READ_DATA, 0);
    dci_ck_leave(ck);
    return rc;
}

int dc_ckpt_read_blob(dc_ckpt_t *ckpt, const char *name, void *data, size_t size, size_t *size_p)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    int rc, opened = 0;
    size_t stored = 0;
    dci_arg_t args[3];
    dci_ck_obj_t o;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_READ_BLOB);
    rc = dci_ck_check_read(ck, name, __func__);
    args[0] = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    args[1] = dci_arg_int("size", (int64_t)size, DC_ERR_ARG);
    args[2] = dci_arg_int("data given (not NULL)", data != NULL, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, 3, __func__);
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_GOTO(dci_ck_open_obj(ck, name, "blob", &o, __func__), out);
    opened = 1;
    if (o.type != DCI_CK_UINT8 || o.ndims != 1)
        rc = DC_ERR(env, DC_ERR_CORRUPT, "checkpoint '%s': blob '%s' is not a 1-D byte array",
                    ck->path, name);
    else {
        stored = (size_t)o.dims[0];
        if (data != NULL && size < stored)
            rc = DC_ERR(env, DC_ERR_SIZE, "blob '%s' holds %zu bytes, the buffer %zu", name, stored,
                        size);
    }
    DC_CHECK_GOTO(dci_agree(env, rc), out);
    if (data != NULL)
        DC_CHECK_GOTO(ck_read_rank0(ck, name, &o, stored, data, __func__), out);
    if (size_p != NULL)
        *size_p = stored;
out:
    if (opened)
        dci_ck_close_obj(&o);
    dci_prof_end(env, DCI_EV_CKPT_READ_BLOB, 0);
    dci_ck_leave(ck);
    return rc;
}
