/*
 * Agreement of collectives: one MPI_Allreduce makes every rank return the same code, whether a
 * rank failed locally (the worst code wins, the failing rank's message is copied to the others)
 * or the ranks passed arguments that must match but do not (a 64-bit fingerprint of them is
 * compared). Every agreement has the same shape (three uint64 values), so ranks that reach it
 * by different paths still match. Naming the argument and the rank that differ costs a few more
 * collectives, on the failure path only.
 */
#include "dc_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* splitmix64's finaliser: every input bit reaches every output bit. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t dci_fp_mix(uint64_t h, uint64_t v)
{
    return mix64(h ^ v);
}

static uint64_t fingerprint(const dci_arg_t *args, int nargs)
{
    uint64_t h;
    int i;

    if (nargs <= 0)
        return 0; /* a plain outcome agreement */
    h = mix64((uint64_t)nargs);
    for (i = 0; i < nargs; i++)
        h = mix64(h ^ (uint64_t)args[i].value);
    return h;
}

static void format_value(const dci_arg_t *a, int64_t v, char *buf, size_t len)
{
    if (a->is_double) {
        double d;
        memcpy(&d, &v, sizeof(d));
        snprintf(buf, len, "%.17g", d);
    } else {
        snprintf(buf, len, "%" PRId64, v);
    }
}

/* The profiler's counts of the agreements' MPI calls (dc_events.h): they belong to the operation
 * that agrees. An allreduce sends and receives its buffer; a broadcast sends at the root,
 * receives elsewhere. */
static int agree_allreduce(dc_env_t *env, const void *in, void *out, int count, MPI_Datatype type,
                           MPI_Op op, size_t bytes)
{
    double t = dci_prof_mpi_begin(env);
    int mrc = MPI_Allreduce(in, out, count, type, op, env->comm);

    dci_prof_coll_end(env, t, bytes, bytes);
    return mrc;
}

static int agree_bcast(dc_env_t *env, void *buf, int count, MPI_Datatype type, int root,
                       size_t bytes)
{
    double t = dci_prof_mpi_begin(env);
    int mrc = MPI_Bcast(buf, count, type, root, env->comm);

    dci_prof_coll_end(env, t, env->rank == root ? bytes : 0, env->rank == root ? 0 : bytes);
    return mrc;
}

/* Every rank saw a failure: give the others the message of the failing rank. */
static void share_message(dc_env_t *env, int from)
{
    char msg[DCI_ERRBUF];

    if (env->rank == from)
        memcpy(msg, env->errbuf, sizeof(msg));
    if (agree_bcast(env, msg, (int)sizeof(msg), MPI_CHAR, from, sizeof(msg)) != MPI_SUCCESS)
        return;
    msg[sizeof(msg) - 1] = '\0';
    if (env->rank == from)
        return;
    /* a message agreed before already names its rank */
    if (strncmp(msg, "on rank ", 8) == 0)
        memcpy(env->errbuf, msg, sizeof(msg));
    else
        snprintf(env->errbuf, sizeof(env->errbuf), "on rank %d: %s", from, msg);
}

/*
 * The fingerprints differ: find the first argument that differs and a rank that holds another
 * value than rank 0 (rank 0 itself when it is the odd one out), on every rank alike.
 */
static int mismatch(dc_env_t *env, const dci_arg_t *args, int nargs, const char *func)
{
    int64_t ref[2 * DCI_MAX_ARGS], key, best, v;
    int nn[2], nr[2], i, first, r, ndiff, mine, mrc, P = env->size;
    char sv[64], sr[64];
    const char *name;
    int code;

    /* 1. different numbers of arguments: the ranks are not in the same call */
    nn[0] = nargs;
    nn[1] = -nargs;
    if ((mrc = agree_allreduce(env, nn, nr, 2, MPI_INT, MPI_MAX, sizeof(nn))) != MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, mrc, "agreement on the arguments (MPI_Allreduce)");
    if (nr[0] != -nr[1] || nargs > DCI_MAX_ARGS) {
        mine = nargs;
        if ((mrc = agree_bcast(env, &mine, 1, MPI_INT, 0, sizeof(mine))) != MPI_SUCCESS)
            return DC_ERR_MPI_RC(env, mrc, "agreement on the arguments (MPI_Bcast)");
        r = nargs != mine ? env->rank : P;
        if ((mrc = agree_allreduce(env, MPI_IN_PLACE, &r, 1, MPI_INT, MPI_MIN, sizeof(r))) !=
            MPI_SUCCESS)
            return DC_ERR_MPI_RC(env, mrc, "agreement on the arguments (MPI_Allreduce)");
        return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                             "the ranks are not in the same collective call: rank %d differs "
                             "from rank 0",
                             r < P ? r : 0);
    }
    /* 2. rank 0's values (and codes) are the reference */
    for (i = 0; i < nargs; i++) {
        ref[i] = args[i].value;
        ref[nargs + i] = args[i].code;
    }
    if ((mrc = agree_bcast(env, ref, 2 * nargs, MPI_INT64_T, 0,
                           2 * (size_t)nargs * sizeof(int64_t))) != MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, mrc, "agreement on the arguments (MPI_Bcast)");
    for (first = 0; first < nargs && args[first].value == ref[first]; first++)
        ;
    /* the first differing argument, then the lowest rank that differs there */
    key = (int64_t)first * P + env->rank;
    if ((mrc = agree_allreduce(env, &key, &best, 1, MPI_INT64_T, MPI_MIN, sizeof(key))) !=
        MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, mrc, "agreement on the arguments (MPI_Allreduce)");
    first = (int)(best / P);
    r = (int)(best % P);
    if (first >= nargs) /* cannot happen: equal values give equal fingerprints */
        return DC_ERR(env, DC_ERR_INTERNAL, "argument fingerprints differ, values do not");
    mine = args[first].value != ref[first];
    if ((mrc = agree_allreduce(env, &mine, &ndiff, 1, MPI_INT, MPI_SUM, sizeof(mine))) !=
        MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, mrc, "agreement on the arguments (MPI_Allreduce)");
    v = args[first].value;
    if ((mrc = agree_bcast(env, &v, 1, MPI_INT64_T, r, sizeof(v))) != MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, mrc, "agreement on the arguments (MPI_Bcast)");
    name = args[first].name != NULL ? args[first].name : "an argument";
    code = (int)ref[nargs + first];
    format_value(&args[first], v, sv, sizeof(sv));
    format_value(&args[first], ref[first], sr, sizeof(sr));
    if (ndiff > P - ndiff) /* most ranks differ from rank 0: rank 0 is the odd one out */
        return dci_error_set(env, code, func, __FILE__, __LINE__,
                             "%s must match on all ranks but differs: rank 0 has %s, rank %d "
                             "has %s (%d of %d ranks differ from rank 0)",
                             name, sr, r, sv, ndiff, P);
    return dci_error_set(env, code, func, __FILE__, __LINE__,
                         "%s must match on all ranks but differs: rank %d has %s, rank 0 has %s "
                         "(%d of %d ranks differ from rank 0)",
                         name, r, sv, sr, ndiff, P);
}

int dci_agree_args(dc_env_t *env, int rc, const dci_arg_t *args, int nargs, const char *func)
{
    uint64_t in[3], out[3], h = fingerprint(args, nargs);
    int code, from, mrc;

    /* The watchdog's entry step (on only with DC_TIMEOUT): a rank that never comes is named. */
    if (DCI_UNLIKELY(env->wd != NULL)) {
        code = dci_wd_enter_slow(env, func != NULL ? func : "an agreement", 0);
        if (code != DC_SUCCESS)
            return code;
    }
    /* failure key: the most negative code first, then the lowest rank (0 means no failure) */
    in[0] =
        rc < 0 ? ((uint64_t)(uint32_t)-rc << 32) | (uint32_t)(UINT32_MAX - (uint32_t)env->rank) : 0;
    in[1] = h;
    in[2] = ~h; /* max(~h) = ~min(h) */
    mrc = agree_allreduce(env, in, out, 3, MPI_UINT64_T, MPI_MAX, sizeof(in));
    if (mrc != MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, mrc, "agreement on the outcome (MPI_Allreduce)");
    if (out[0] != 0) {
        code = -(int)(out[0] >> 32);
        from = (int)(UINT32_MAX - (uint32_t)out[0]);
        share_message(env, from);
        return code;
    }
    if (out[1] != ~out[2])
        return mismatch(env, args, nargs, func != NULL ? func : "collective call");
    return DC_SUCCESS;
}

int dci_agree_at(dc_env_t *env, int rc, const char *func)
{
    return dci_agree_args(env, rc, NULL, 0, func);
}

int dci_check_same_at(dc_env_t *env, int code, const int64_t *vals, int nvals, const char *what,
                      const char *func)
{
    dci_arg_t args[DCI_MAX_ARGS];
    int i;

    if (nvals > DCI_MAX_ARGS)
        return DC_ERR(env, DC_ERR_INTERNAL, "dci_check_same: too many values");
    for (i = 0; i < nvals; i++)
        args[i] = dci_arg_int(what, vals[i], code);
    return dci_agree_args(env, DC_SUCCESS, args, nvals, func);
}
