/*
 * Element types and reduction operations: sizes and MPI types, the (value, index) pair types
 * with their MINLOC/MAXLOC operations (created once per env), the one rule those follow (NaN
 * wins; see dtype.h), identities, the checks of (op, type) and the user-defined operations.
 * dc_allreduce & co, the scheduler's combination and dc_vec_max/min all use these.
 */
#include "dtype.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- (value, index) pairs */

/*
 * One MINLOC and one MAXLOC op serve the four pair types, but an MPI op function sees only the
 * datatype handle. The pair kind is therefore cached on each pair datatype as an attribute;
 * the keyval is process-wide, created with the first env and freed by MPI_Finalize.
 */
static int loc_keyval = MPI_KEYVAL_INVALID;
static int loc_kinds[4] = {0, 1, 2, 3};

/* MPI_Finalize deletes MPI_COMM_SELF's attributes first: this one frees a process-wide keyval
 * there (and its own), so that none outlives MPI (memcheck and LeakSanitizer saw them lost). */
static int keyval_release(MPI_Comm comm, int self_keyval, void *attr, void *extra)
{
    int *keyval = attr;

    (void)comm;
    if (*keyval != MPI_KEYVAL_INVALID) {
        if (extra != NULL)
            MPI_Type_free_keyval(keyval);
        else
            MPI_Comm_free_keyval(keyval);
    }
    MPI_Comm_free_keyval(&self_keyval);
    return MPI_SUCCESS;
}

int dci_keyval_free_at_finalize(int *keyval, int is_type)
{
    int kv = MPI_KEYVAL_INVALID, rc;

    rc = MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, keyval_release, &kv,
                                is_type ? (void *)keyval : NULL);
    if (rc != MPI_SUCCESS)
        return rc;
    rc = MPI_Comm_set_attr(MPI_COMM_SELF, kv, keyval);
    if (rc != MPI_SUCCESS)
        MPI_Comm_free_keyval(&kv);
    return rc;
}

#define LOC_LOOP(T, WINS)                                                                          \
    do {                                                                                           \
        const T *a_ = (const T *)in;                                                               \
        T *b_ = (T *)inout;                                                                        \
        for (i = 0; i < n; i++)                                                                    \
            if (WINS(a_[i].value, a_[i].index, b_[i].value, b_[i].index, max))                     \
                b_[i] = a_[i];                                                                     \
    } while (0)

void dci_loc_combine(dc_dtype_t type, int max, const void *in, void *inout, size_t n)
{
    size_t i;

    switch (type) {
    case DC_TYPE_DOUBLE_LOC: LOC_LOOP(dc_double_loc_t, dci_loc_wins_f); break;
    case DC_TYPE_FLOAT_LOC: LOC_LOOP(dc_float_loc_t, dci_loc_wins_f); break;
    case DC_TYPE_INT32_LOC: LOC_LOOP(dc_int32_loc_t, dci_loc_wins_i); break;
    case DC_TYPE_INT64_LOC: LOC_LOOP(dc_int64_loc_t, dci_loc_wins_i); break;
    default: break;
    }
}

static void loc_apply(void *in, void *inout, int n, MPI_Datatype *dt, int max)
{
    int *kind = NULL, flag = 0;

    if (MPI_Type_get_attr(*dt, loc_keyval, &kind, &flag) != MPI_SUCCESS || !flag || n < 0)
        return; /* not one of our pair types: the op was misused outside the library */
    dci_loc_combine((dc_dtype_t)(DC_TYPE_DOUBLE_LOC + *kind), max, in, inout, (size_t)n);
}

static void minloc_fn(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    loc_apply(in, inout, *len, dt, 0);
}

static void maxloc_fn(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    loc_apply(in, inout, *len, dt, 1);
}

/*
 * The env is calloc'ed, and dci_reduce_env_free also runs for an env whose creation failed
 * before dci_reduce_env_setup: an all-zero handle is "never created". Zero is not a valid
 * datatype or op handle in Open MPI (pointers) nor in MPICH (tagged integers).
 */
static int handle_unset(const void *h, size_t size)
{
    const unsigned char *p = h;
    size_t i;

    for (i = 0; i < size; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

void dci_dtype_env_free(dc_env_t *env)
{
    int i;

    for (i = 0; i < 4; i++) {
        if (!handle_unset(&env->loc_type[i], sizeof(MPI_Datatype)) &&
            env->loc_type[i] != MPI_DATATYPE_NULL)
            MPI_Type_free(&env->loc_type[i]);
        env->loc_type[i] = MPI_DATATYPE_NULL;
    }
    if (!handle_unset(&env->minloc_op, sizeof(MPI_Op)) && env->minloc_op != MPI_OP_NULL)
        MPI_Op_free(&env->minloc_op);
    if (!handle_unset(&env->maxloc_op, sizeof(MPI_Op)) && env->maxloc_op != MPI_OP_NULL)
        MPI_Op_free(&env->maxloc_op);
    env->minloc_op = env->maxloc_op = MPI_OP_NULL;
    for (i = 0; i < DCI_MAX_USER_OPS; i++) {
        if (!handle_unset(&env->user_op[i], sizeof(MPI_Op)) && env->user_op[i] != MPI_OP_NULL)
            MPI_Op_free(&env->user_op[i]);
        env->user_op[i] = MPI_OP_NULL;
    }
}

int dci_dtype_env_setup(dc_env_t *env)
{
    /* value type, offset of index, size of the C struct; resizing to the struct size makes
     * count > 1 step over the padding exactly as a C array does */
    const MPI_Datatype vtype[4] = {MPI_DOUBLE, MPI_FLOAT, MPI_INT32_T, MPI_INT64_T};
    const MPI_Aint ioff[4] = {offsetof(dc_double_loc_t, index), offsetof(dc_float_loc_t, index),
                              offsetof(dc_int32_loc_t, index), offsetof(dc_int64_loc_t, index)};
    const MPI_Aint extent[4] = {sizeof(dc_double_loc_t), sizeof(dc_float_loc_t),
                                sizeof(dc_int32_loc_t), sizeof(dc_int64_loc_t)};
    int rc = DC_SUCCESS, i;

    for (i = 0; i < 4; i++)
        env->loc_type[i] = MPI_DATATYPE_NULL;
    env->minloc_op = env->maxloc_op = MPI_OP_NULL;
    for (i = 0; i < DCI_MAX_USER_OPS; i++)
        env->user_op[i] = MPI_OP_NULL;
    if (loc_keyval == MPI_KEYVAL_INVALID) {
        DC_CHECK_MPI_GOTO(
            env,
            MPI_Type_create_keyval(MPI_TYPE_DUP_FN, MPI_TYPE_NULL_DELETE_FN, &loc_keyval, NULL),
            out);
        DC_CHECK_MPI_GOTO(env, dci_keyval_free_at_finalize(&loc_keyval, 1), out);
    }
    for (i = 0; i < 4; i++) {
        int blen[2] = {1, 1};
        MPI_Aint disp[2];
        MPI_Datatype types[2], tmp = MPI_DATATYPE_NULL;

        disp[0] = 0;
        disp[1] = ioff[i];
        types[0] = vtype[i];
        types[1] = MPI_INT64_T;
        DC_CHECK_MPI_GOTO(env, MPI_Type_create_struct(2, blen, disp, types, &tmp), out);
        rc = MPI_Type_create_resized(tmp, 0, extent[i], &env->loc_type[i]);
        MPI_Type_free(&tmp);
        if (rc != MPI_SUCCESS) {
            env->loc_type[i] = MPI_DATATYPE_NULL;
            rc = dci_error_mpi(env, rc, __func__, __FILE__, __LINE__, "MPI_Type_create_resized");
            goto out;
        }
        DC_CHECK_MPI_GOTO(env, MPI_Type_commit(&env->loc_type[i]), out);
        DC_CHECK_MPI_GOTO(env, MPI_Type_set_attr(env->loc_type[i], loc_keyval, &loc_kinds[i]), out);
    }
    DC_CHECK_MPI_GOTO(env, MPI_Op_create(minloc_fn, 1, &env->minloc_op), out);
    DC_CHECK_MPI_GOTO(env, MPI_Op_create(maxloc_fn, 1, &env->maxloc_op), out);
out:
    if (rc != DC_SUCCESS)
        dci_dtype_env_free(env);
    return rc;
}

/* ---------------------------------------------------------------- types and ops */

static const size_t dtype_size[DC_TYPE_COUNT_] = {sizeof(double),          sizeof(float),
                                                  sizeof(int32_t),         sizeof(int64_t),
                                                  sizeof(dc_double_loc_t), sizeof(dc_float_loc_t),
                                                  sizeof(dc_int32_loc_t),  sizeof(dc_int64_loc_t)};

static int dtype_valid(dc_dtype_t type)
{
    return (int)type >= 0 && type < DC_TYPE_COUNT_;
}

size_t dci_dtype_size(dc_dtype_t type)
{
    return dtype_valid(type) ? dtype_size[type] : 0;
}

int dci_dtype_is_loc(dc_dtype_t type)
{
    return type >= DC_TYPE_DOUBLE_LOC && type < DC_TYPE_COUNT_;
}

MPI_Datatype dci_dtype_mpi(const dc_env_t *env, dc_dtype_t type)
{
    switch (type) {
    case DC_TYPE_DOUBLE: return MPI_DOUBLE;
    case DC_TYPE_FLOAT: return MPI_FLOAT;
    case DC_TYPE_INT32: return MPI_INT32_T;
    case DC_TYPE_INT64: return MPI_INT64_T;
    case DC_TYPE_DOUBLE_LOC:
    case DC_TYPE_FLOAT_LOC:
    case DC_TYPE_INT32_LOC:
    case DC_TYPE_INT64_LOC: return env->loc_type[type - DC_TYPE_DOUBLE_LOC];
    default: return MPI_DATATYPE_NULL;
    }
}

int dci_op_is_user(const dc_env_t *env, dc_reduce_op_t op)
{
    return op >= DC_REDUCE_USER && op < DC_REDUCE_USER + DCI_MAX_USER_OPS &&
           env->user_op[op - DC_REDUCE_USER] != MPI_OP_NULL;
}

int dci_op_check(dc_env_t *env, const char *fn, dc_reduce_op_t op, dc_dtype_t type)
{
    static const char *const names[] = {"SUM", "PROD", "MIN", "MAX", "MINLOC", "MAXLOC"};

    if (!dtype_valid(type))
        return dci_error_set(env, DC_ERR_ARG, fn, __FILE__, __LINE__, "type %d is not a dc_dtype_t",
                             (int)type);
    if (dci_op_is_user(env, op))
        return DC_SUCCESS;
    if (op < DC_REDUCE_SUM || op > DC_REDUCE_MAXLOC)
        return dci_error_set(env, DC_ERR_ARG, fn, __FILE__, __LINE__,
                             "op %d is neither a built-in operation nor a live user-defined "
                             "one of this env",
                             op);
    if ((op >= DC_REDUCE_MINLOC) != dci_dtype_is_loc(type))
        return dci_error_set(env, DC_ERR_ARG, fn, __FILE__, __LINE__,
                             "DC_REDUCE_%s does not apply to type %d: MINLOC/MAXLOC need a "
                             "*_LOC pair type, and pair types take only MINLOC/MAXLOC",
                             names[op], (int)type);
    return DC_SUCCESS;
}

MPI_Op dci_op_mpi(const dc_env_t *env, dc_reduce_op_t op)
{
    if (dci_op_is_user(env, op))
        return env->user_op[op - DC_REDUCE_USER];
    switch (op) {
    case DC_REDUCE_SUM: return MPI_SUM;
    case DC_REDUCE_PROD: return MPI_PROD;
    case DC_REDUCE_MIN: return MPI_MIN;
    case DC_REDUCE_MAX: return MPI_MAX;
    case DC_REDUCE_MINLOC: return env->minloc_op;
    case DC_REDUCE_MAXLOC: return env->maxloc_op;
    default: return MPI_OP_NULL;
    }
}

#define FILL(T, v)                                                                                 \
    do {                                                                                           \
        T *p_ = buf;                                                                               \
        const T v_ = v;                                                                            \
        for (i = 0; i < count; i++)                                                                \
            p_[i] = v_;                                                                            \
    } while (0)

/* Identity of a built-in op: what rank 0 of an exscan receives, the value of an empty run. */
int dci_dtype_identity(dc_dtype_t type, dc_reduce_op_t op, size_t count, void *buf)
{
    size_t i;
    int lo = op == DC_REDUCE_MIN || op == DC_REDUCE_MINLOC; /* the identity is the top */

    if (op < DC_REDUCE_SUM || op > DC_REDUCE_MAXLOC)
        return 0;
    switch (type) {
    case DC_TYPE_DOUBLE:
        FILL(double, op == DC_REDUCE_SUM    ? 0.0
                     : op == DC_REDUCE_PROD ? 1.0
                     : lo                   ? INFINITY
                                            : -INFINITY);
        break;
    case DC_TYPE_FLOAT:
        FILL(float, op == DC_REDUCE_SUM    ? 0.0f
                    : op == DC_REDUCE_PROD ? 1.0f
                    : lo                   ? INFINITY
                                           : -INFINITY);
        break;
    case DC_TYPE_INT32:
        FILL(int32_t, op == DC_REDUCE_SUM    ? 0
                      : op == DC_REDUCE_PROD ? 1
                      : lo                   ? INT32_MAX
                                             : INT32_MIN);
        break;
    case DC_TYPE_INT64:
        FILL(int64_t, op == DC_REDUCE_SUM    ? 0
                      : op == DC_REDUCE_PROD ? 1
                      : lo                   ? INT64_MAX
                                             : INT64_MIN);
        break;
    case DC_TYPE_DOUBLE_LOC:
        FILL(dc_double_loc_t, ((dc_double_loc_t){lo ? INFINITY : -INFINITY, -1}));
        break;
    case DC_TYPE_FLOAT_LOC:
        FILL(dc_float_loc_t, ((dc_float_loc_t){lo ? INFINITY : -INFINITY, -1}));
        break;
    case DC_TYPE_INT32_LOC:
        FILL(dc_int32_loc_t, ((dc_int32_loc_t){lo ? INT32_MAX : INT32_MIN, -1}));
        break;
    default: FILL(dc_int64_loc_t, ((dc_int64_loc_t){lo ? INT64_MAX : INT64_MIN, -1})); break;
    }
    return 1;
}

/* ---------------------------------------------------------------- public: types, user ops */

/* (declared in dc_reduce.h) */

int dc_dtype_get_size(dc_dtype_t type, size_t *size_p)
{
    DC_REQUIRE(NULL, dtype_valid(type), DC_ERR_ARG, "type %d is not a dc_dtype_t", (int)type);
    DC_REQUIRE(NULL, size_p != NULL, DC_ERR_ARG, "size_p is NULL");
    *size_p = dtype_size[type];
    return DC_SUCCESS;
}

int dc_dtype_get_mpi(dc_env_t *env, dc_dtype_t type, MPI_Datatype *mpi_type_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE(env, dtype_valid(type), DC_ERR_ARG, "type %d is not a dc_dtype_t", (int)type);
    DC_REQUIRE(env, mpi_type_p != NULL, DC_ERR_ARG, "mpi_type_p is NULL");
    *mpi_type_p = dci_dtype_mpi(env, type);
    return DC_SUCCESS;
}

int dc_reduce_op_create(dc_env_t *env, MPI_User_function *fn, int commute, dc_reduce_op_t *op_p)
{
    int i, mrc;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE(env, fn != NULL, DC_ERR_ARG, "fn is NULL");
    DC_REQUIRE(env, op_p != NULL, DC_ERR_ARG, "op_p is NULL");
    /* the lowest free slot: ranks that create and destroy in the same order get the same ids */
    for (i = 0; i < DCI_MAX_USER_OPS && env->user_op[i] != MPI_OP_NULL; i++)
        ;
    DC_REQUIRE(env, i < DCI_MAX_USER_OPS, DC_ERR_NOMEM,
               "all %d user-defined operations of this env are in use", DCI_MAX_USER_OPS);
    mrc = MPI_Op_create(fn, commute != 0, &env->user_op[i]);
    if (mrc != MPI_SUCCESS) {
        env->user_op[i] = MPI_OP_NULL;
        return dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Op_create");
    }
    *op_p = DC_REDUCE_USER + i;
    return DC_SUCCESS;
}

int dc_reduce_op_destroy(dc_env_t *env, dc_reduce_op_t *op_p)
{
    int mrc;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE(env, op_p != NULL, DC_ERR_ARG, "op_p is NULL");
    if (*op_p == -1)
        return DC_SUCCESS; /* already destroyed, like a NULL handle */
    DC_REQUIRE(env, dci_op_is_user(env, *op_p), DC_ERR_ARG,
               "op %d is not a live user-defined operation of this env", *op_p);
    mrc = MPI_Op_free(&env->user_op[*op_p - DC_REDUCE_USER]);
    env->user_op[*op_p - DC_REDUCE_USER] = MPI_OP_NULL;
    *op_p = -1;
    if (mrc != MPI_SUCCESS)
        return dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Op_free");
    return DC_SUCCESS;
}
