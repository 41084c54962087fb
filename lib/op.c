/*
 * Linear operators (dc_op_t): one refcounted object for every kind (shell, mesh stencil, mesh
 * point callback), with a table of functions for the kind. The operator holds its layout and,
 * for the mesh kinds, its mesh (the creator sets op->mesh with a counted reference; it is
 * released here). dc_op_apply checks the vectors once, so the kinds' apply functions (and the
 * solvers, which call them directly) see only valid, distinct, unborrowed vectors.
 */
#include "mesh_impl.h"
#include "op_impl.h"
#include "vec_impl.h"

static void op_free(dc_op_t *op)
{
    if (op == NULL)
        return;
    if (op->ops != NULL && op->ops->free_impl != NULL)
        op->ops->free_impl(op);
    if (op->mesh != NULL)
        dci_obj_unref(&op->mesh->hdr);
    if (op->layout != NULL)
        dci_layout_unref(op->layout);
    op->hdr.magic = DCI_CLASS_DEAD;
    dci_free(op);
}

static void op_free_obj(dci_obj_t *hdr)
{
    op_free((dc_op_t *)hdr);
}

int dci_op_create(dc_layout_t *layout, dci_op_kind_t kind, const dci_op_ops_t *ops, void *impl,
                  dc_op_t **op_p)
{
    dc_env_t *env = layout->hdr.env;
    dc_op_t *op = NULL;
    int rc;

    rc = dci_calloc(env, 1, sizeof(*op), (void **)&op);
    if (rc != DC_SUCCESS)
        return rc;
    op->kind = kind;
    op->ops = ops;
    op->impl = impl;
    op->mesh = NULL;
    op->layout = dci_layout_ref(layout);
    dci_obj_init(&op->hdr, DCI_CLASS_OP, env, op_free_obj);
    *op_p = op;
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- shell operators */

typedef struct shell_impl {
    dc_op_apply_fn apply;
    dc_op_diag_fn diag;
    void *ctx;
} shell_impl_t;

/* A callback's return value as a library code: DC_ERR_* codes pass, anything else is ARG. */
static int callback_rc(dc_env_t *env, int crc, const char *what)
{
    int code = crc;

    if (crc == DC_SUCCESS)
        return DC_SUCCESS;
    if (crc > 0 || crc < DCI_ERR_MIN)
        code = DC_ERR_ARG;
    return DC_ERR(env, code, "the operator's %s callback returned %d", what, crc);
}

static int shell_apply(dc_op_t *op, const dc_vec_t *x, dc_vec_t *y)
{
    shell_impl_t *s = op->impl;

    return callback_rc(op->hdr.env, s->apply(x, y, s->ctx), "apply");
}

static int shell_diag(dc_op_t *op, dc_vec_t *d)
{
    shell_impl_t *s = op->impl;

    if (s->diag == NULL)
        return DC_ERR(op->hdr.env, DC_ERR_NOTSUP,
                      "the shell operator has no diagonal (dc_op_create_shell with diag NULL)");
    return callback_rc(op->hdr.env, s->diag(d, s->ctx), "diag");
}

static void shell_free(dc_op_t *op)
{
    dci_free(op->impl);
    op->impl = NULL;
}

static const dci_op_ops_t shell_ops = {shell_apply, shell_diag, NULL, shell_free};

int dc_op_create_shell(dc_layout_t *layout, dc_op_apply_fn apply, dc_op_diag_fn diag, void *ctx,
                       dc_op_t **op_p)
{
    dc_env_t *env;
    shell_impl_t *s = NULL;
    dc_op_t *op = NULL;
    int rc = DC_SUCCESS;

    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    env = layout->hdr.env;
    dci_prof_begin(env, DCI_EV_OP_CREATE_SHELL);
    DC_REQUIRE_GOTO(env, apply != NULL, DC_ERR_ARG, out, "apply is NULL");
    DC_REQUIRE_GOTO(env, op_p != NULL, DC_ERR_ARG, out, "op_p is NULL");
    DC_CHECK_GOTO(dci_malloc(env, sizeof(*s), (void **)&s), out);
    s->apply = apply;
    s->diag = diag;
    s->ctx = ctx;
    DC_CHECK_GOTO(dci_op_create(layout, DCI_OP_SHELL, &shell_ops, s, &op), out);
    s = NULL; /* the operator's now */
out:
    /* whether diag is given decides what a solver may do: it must be the same everywhere */
    {
        dci_arg_t a = dci_arg_int("diag != NULL", diag != NULL, DC_ERR_ARG);
        rc = dci_agree_args(env, rc, &a, 1, __func__);
    }
    if (rc != DC_SUCCESS) {
        op_free(op);
        dci_free(s);
    } else {
        *op_p = op;
    }
    dci_prof_end(env, DCI_EV_OP_CREATE_SHELL, 0);
    return rc;
}

/* ---------------------------------------------------------------- generic calls */

/* v is a vector on the operator's layout (the same or a congruent one) and env. */
static int check_vec(const dc_op_t *op, const dc_vec_t *v, const char *name, const char *func)
{
    dc_env_t *env = op->hdr.env;

    if (!DCI_OBJ_OK(v, DCI_CLASS_VEC))
        return dci_obj_check(v, DCI_CLASS_VEC, name, func, __FILE__, __LINE__);
    if (v->hdr.env != env)
        return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                             "%s lives on another env than the operator", name);
    if (v->layout != op->layout && !dci_layout_congruent(v->layout, op->layout))
        return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                             "%s is not on the operator's layout (global size %lld, local %zu; "
                             "the operator's: %lld, %zu)",
                             name, (long long)v->layout->n, v->nlocal, (long long)op->layout->n,
                             op->layout->nlocal);
    return DC_SUCCESS;
}

int dc_op_apply(dc_op_t *op, const dc_vec_t *x, dc_vec_t *y)
{
    dc_env_t *env;
    int rc;

    DC_VALIDATE(op, DCI_CLASS_OP);
    env = op->hdr.env;
    DC_CHECK(check_vec(op, x, "x", __func__));
    DC_CHECK(check_vec(op, y, "y", __func__));
    DC_REQUIRE(env, (const void *)x != (const void *)y, DC_ERR_ARG,
               "x and y are the same vector (y = A x cannot be computed in place)");
    DC_CHECK(dci_vec_check_access(x, 0, "x", __func__));
    DC_CHECK(dci_vec_check_access(y, 1, "y", __func__));
    dci_prof_begin(env, DCI_EV_OP_APPLY); /* first: the profiler's wait at entry is ours */
    rc = dci_wd_enter(env, __func__);     /* hang watchdog: one branch when off */
    if (rc == DC_SUCCESS)
        rc = op->ops->apply(op, x, y);
    dci_prof_end(env, DCI_EV_OP_APPLY, rc == DC_SUCCESS ? 2 * y->nlocal * sizeof(double) : 0);
    return rc;
}

int dc_op_get_diagonal(dc_op_t *op, dc_vec_t *d)
{
    dc_env_t *env;
    int rc;

    DC_VALIDATE(op, DCI_CLASS_OP);
    env = op->hdr.env;
    DC_CHECK(check_vec(op, d, "d", __func__));
    DC_CHECK(dci_vec_check_access(d, 1, "d", __func__));
    if (op->ops->diag == NULL)
        return DC_ERR(env, DC_ERR_NOTSUP, "this operator offers no diagonal");
    dci_prof_begin(env, DCI_EV_OP_GET_DIAGONAL);
    rc = dci_wd_enter(env, __func__); /* hang watchdog: one branch when off */
    if (rc == DC_SUCCESS)
        rc = op->ops->diag(op, d);
    dci_prof_end(env, DCI_EV_OP_GET_DIAGONAL, 0);
    return rc;
}

int dc_op_get_layout(const dc_op_t *op, dc_layout_t **layout_p)
{
    DC_VALIDATE(op, DCI_CLASS_OP);
    DC_REQUIRE(op->hdr.env, layout_p != NULL, DC_ERR_ARG, "layout_p is NULL");
    dci_obj_lend(&op->layout->hdr);
    *layout_p = op->layout;
    return DC_SUCCESS;
}

int dc_op_destroy(dc_op_t **op_p)
{
    dc_op_t *op;

    if (op_p == NULL || *op_p == NULL)
        return DC_SUCCESS;
    DC_VALIDATE_OWNED(*op_p, DCI_CLASS_OP);
    op = *op_p;
    *op_p = NULL;
    dci_obj_release(&op->hdr, "op_p", __func__);
    return DC_SUCCESS;
}
