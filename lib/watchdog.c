/*
 * Hang watchdog (DC_TIMEOUT): before a library collective does its real communication, every
 * rank sends a small entry record (sequence number, collective's name) to every other rank on a
 * private duplicate of the env's communicator and polls for theirs, at most DC_TIMEOUT seconds.
 * Ranks that never come are named on each waiting rank (rank, node, pid, the last collective
 * each was seen entering); ranks in another collective are named on every rank. Off (env->wd
 * NULL), each hook is one predictable branch. Its messages are instrumentation, like the
 * profiler's barrier at collective entry: the profiler does not count them (no dci_prof_* hooks
 * here), so the counts of an operation are the same with the watchdog on or off.
 */
#include "dc_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WD_HOST 64 /* node names are truncated to this (with the NUL) */
/*
 * Tags: records (even) and "gave up" notices (odd) of one watched env use their own pair,
 * 16 + 2 g and 17 + 2 g for the env's generation g. A timeout leaves records and notices that
 * nobody receives; once the env's communicator is freed, MPI may give its context id to a new
 * communicator (MPICH does at once), and there a stale message on the same tag would be taken
 * for a record of the new env. Generations are agreed at setup (the maximum over the ranks of
 * the envs each has watched), so they differ between an env and the ones after it.
 */
#define WD_TAG_BASE 16
#define WD_NGEN     8000 /* 16 + 2 * 8000 stays below 32767, the smallest MPI_TAG_UB */
#define WD_LIST     32   /* ranks listed by name in a diagnosis; the rest are counted */
#define WD_BLOCK    4096 /* the stderr block of one diagnosis */

/* One entry record: 64 bytes, sent as bytes (the ranks run the same library build). */
typedef struct {
    int64_t seq;    /* the sender's collective number, from 1; 0: none yet */
    int32_t strict; /* 0: an agreement (lib/agree.c), compared by kind only */
    char name[52];  /* the collective (or the function that agrees), truncated */
} wd_rec_t;

/* "I gave up waiting for you": sent once, after a timeout, to each rank that was missing. */
typedef struct {
    int64_t seq;   /* the collective the sender timed out in */
    double waited; /* seconds it waited */
    char name[52]; /* as in wd_rec_t */
} wd_notice_t;

struct dci_wd {
    MPI_Comm comm;         /* private duplicate: records never meet the library's messages */
    int tag;               /* records: tag; notices: tag + 1 (this env's generation) */
    double timeout;        /* seconds */
    int abort_on;          /* DC_TIMEOUT_ABORT */
    int64_t seq;           /* collectives entered on this env */
    int broken;            /* a collective timed out: the ranks are out of step from then on */
    wd_rec_t mine;         /* this rank's record (the send buffer; never changed once broken) */
    wd_notice_t notice;    /* sent after a timeout (the send buffer; written once) */
    char (*host)[WD_HOST]; /* node name of every rank */
    int *pid;              /* pid of every rank */
    wd_rec_t *last;        /* last record received from every rank (seq 0: none yet) */
    wd_rec_t *in;          /* receive buffers */
    MPI_Request *req;      /* receives [0, P), sends [P, 2P) */
    int *idx;              /* MPI_Testsome's indices, 2P */
};

/* Watched envs set up by this process so far (the generation of the last one). */
static int dci_wd_generations;

static void wd_release(struct dci_wd *wd)
{
    if (wd == NULL)
        return;
    if (wd->comm != MPI_COMM_NULL) {
        /* after a timeout: take the records and notices that arrived and that nobody will
         * receive now (the tags keep any later ones away from other envs) */
        char junk[128];
        int flag = 1;
        MPI_Status st;
        while (wd->broken && flag &&
               MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, wd->comm, &flag, &st) == MPI_SUCCESS && flag)
            MPI_Recv(junk, (int)sizeof(junk), MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, wd->comm,
                     MPI_STATUS_IGNORE);
        MPI_Comm_free(&wd->comm);
    }
    dci_free(wd->host);
    dci_free(wd->pid);
    dci_free(wd->last);
    dci_free(wd->in);
    dci_free(wd->req);
    dci_free(wd->idx);
    dci_free(wd);
}

void dci_wd_free(dc_env_t *env)
{
    struct dci_wd *wd = env->wd;

    env->wd = NULL;
    wd_release(wd);
}

int dci_wd_setup(dc_env_t *env, int rc)
{
    struct dci_wd *wd = NULL;
    char host[MPI_MAX_PROCESSOR_NAME];
    int P = env->size, len = 0, mrc, mrc2, pid = (int)getpid(), gen;
    size_t np = (size_t)P;

    if (!(env->opts.timeout > 0.0))
        return rc; /* off: every rank takes this branch (the options are agreed) */
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, 1, sizeof(*wd), (void **)&wd);
    if (rc == DC_SUCCESS) {
        wd->comm = MPI_COMM_NULL;
        rc = dci_calloc(env, np, WD_HOST, (void **)&wd->host);
    }
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, np, sizeof(int), (void **)&wd->pid);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, np, sizeof(wd_rec_t), (void **)&wd->last);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, np, sizeof(wd_rec_t), (void **)&wd->in);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, 2 * np, sizeof(MPI_Request), (void **)&wd->req);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, 2 * np, sizeof(int), (void **)&wd->idx);
    /* env->wd is still NULL: this agreement (and those below) are not watched */
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    wd->timeout = env->opts.timeout;
    wd->abort_on = env->opts.timeout_abort;
    mrc = MPI_Comm_dup(env->comm, &wd->comm);
    if (mrc != MPI_SUCCESS) {
        wd->comm = MPI_COMM_NULL;
        rc = DC_ERR_MPI_RC(env, mrc, "MPI_Comm_dup (watchdog)");
    } else {
        MPI_Comm_set_errhandler(wd->comm, MPI_ERRORS_RETURN);
    }
    /* node names and pids once, so that a diagnosis costs no communication */
    if (MPI_Get_processor_name(host, &len) != MPI_SUCCESS)
        len = 0;
    if (len > WD_HOST - 1)
        len = WD_HOST - 1; /* the rest of the row is zero (calloc) */
    memcpy(wd->host[env->rank], host, (size_t)(len > 0 ? len : 0));
    /* three collectives on every rank, whatever failed before (nobody may skip one) */
    mrc = MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, wd->host, WD_HOST, MPI_CHAR, env->comm);
    mrc2 = MPI_Allgather(&pid, 1, MPI_INT, wd->pid, 1, MPI_INT, env->comm);
    mrc = mrc != MPI_SUCCESS ? mrc : mrc2;
    gen = dci_wd_generations + 1;
    mrc2 = MPI_Allreduce(MPI_IN_PLACE, &gen, 1, MPI_INT, MPI_MAX, env->comm);
    mrc = mrc != MPI_SUCCESS ? mrc : mrc2;
    if (mrc != MPI_SUCCESS && rc == DC_SUCCESS)
        rc = DC_ERR_MPI_RC(env, mrc, "exchange of node names, pids and generation (watchdog)");
    dci_wd_generations = gen;
    wd->tag = WD_TAG_BASE + 2 * (gen % WD_NGEN);
    if (mrc != MPI_SUCCESS && rc == DC_SUCCESS)
        rc = DC_ERR_MPI_RC(env, mrc, "MPI_Allgather of node names and pids (watchdog)");
    rc = dci_agree(env, rc);
out:
    if (rc != DC_SUCCESS) {
        wd_release(wd);
        return rc;
    }
    env->wd = wd; /* on every rank at once: the next collective is watched everywhere */
    return DC_SUCCESS;
}

/* A record as text: "dc_vec_dot", or "dc_vec_create (agreement)". */
static const char *rec_text(const wd_rec_t *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s", r->name, r->strict ? "" : " (agreement)");
    return buf;
}

/* Two ranks are in different collectives: other numbers, other kinds, or other names. */
static int rec_differ(const wd_rec_t *a, const wd_rec_t *b)
{
    return a->seq != b->seq || a->strict != b->strict ||
           (a->strict && strncmp(a->name, b->name, sizeof(a->name)) != 0);
}

/* Append to buf (of size len, at *pos) without overflowing; the text is cut at the end. */
static void cat(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void cat(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*pos + 1 >= len)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        *pos = *pos + (size_t)n < len ? *pos + (size_t)n : len - 1;
}

/*
 * All records arrived, but not for the same collective: the same text on every rank (every
 * rank holds every record), naming each rank whose record differs from rank 0's. Numbers that
 * differ mean some rank missed a collective before: the env stays out of step.
 */
static int wd_out_of_step(dc_env_t *env, struct dci_wd *wd, const char *name)
{
    const wd_rec_t *r0 = env->rank == 0 ? &wd->mine : &wd->in[0];
    char msg[DCI_ERRBUF], t[96];
    size_t pos = 0;
    int j, listed = 0, ndiff = 0, seqdiff = 0;

    cat(msg, sizeof(msg), &pos,
        "ranks in different library collectives: rank 0 (%s, pid %d) "
        "entered #%" PRId64 " %s",
        wd->host[0], wd->pid[0], r0->seq, rec_text(r0, t, sizeof(t)));
    for (j = 1; j < env->size; j++) {
        const wd_rec_t *r = j == env->rank ? &wd->mine : &wd->in[j];
        if (!rec_differ(r, r0))
            continue;
        ndiff++;
        seqdiff |= r->seq != r0->seq;
        if (listed++ < WD_LIST)
            cat(msg, sizeof(msg), &pos, ", rank %d (%s, pid %d) #%" PRId64 " %s", j, wd->host[j],
                wd->pid[j], r->seq, rec_text(r, t, sizeof(t)));
    }
    if (listed > WD_LIST)
        cat(msg, sizeof(msg), &pos, ", and %d more", listed - WD_LIST);
    cat(msg, sizeof(msg), &pos, " (%d of %d ranks differ from rank 0)", ndiff, env->size);
    if (seqdiff)
        wd->broken = 1;
    /* printed by rank 0 and by each rank that differs from it: the text is the same */
    if (env->rank == 0 || rec_differ(&wd->mine, r0)) {
        fprintf(stderr, "[dcompute watchdog] rank %d: %s\n", env->rank, msg);
        fflush(stderr);
    }
    return dci_error_set(env, DC_ERR_ARG, name, __FILE__, __LINE__, "%s", msg);
}

/* Tell each missing rank that this one gave up: at its next library collective on this env it
 * then fails too (DC_ERR_TIMEOUT) instead of entering a collective that nobody else enters. */
static void wd_send_notices(dc_env_t *env, struct dci_wd *wd, double waited)
{
    MPI_Request r;
    int j;

    wd->notice.seq = wd->mine.seq;
    wd->notice.waited = waited;
    snprintf(wd->notice.name, sizeof(wd->notice.name), "%s", wd->mine.name);
    for (j = 0; j < env->size; j++)
        if (wd->idx[j] && MPI_Isend(&wd->notice, (int)sizeof(wd->notice), MPI_BYTE, j, wd->tag + 1,
                                    wd->comm, &r) == MPI_SUCCESS)
            MPI_Request_free(&r); /* completes on its own; the buffer is never written again */
}

/*
 * After every record arrived: did a rank give up waiting for this one in an earlier
 * collective (this rank came late)? Then the others are not coming into this one: fail.
 */
static int wd_check_notices(dc_env_t *env, struct dci_wd *wd, const char *name)
{
    wd_notice_t nt;
    MPI_Status st;
    int flag = 0, from;

    if (MPI_Iprobe(MPI_ANY_SOURCE, wd->tag + 1, wd->comm, &flag, &st) != MPI_SUCCESS || !flag)
        return DC_SUCCESS;
    from = st.MPI_SOURCE;
    memset(&nt, 0, sizeof(nt));
    MPI_Recv(&nt, (int)sizeof(nt), MPI_BYTE, from, wd->tag + 1, wd->comm, MPI_STATUS_IGNORE);
    nt.name[sizeof(nt.name) - 1] = '\0';
    wd->broken = 1;
    fprintf(stderr,
            "[dcompute watchdog] rank %d (%s, pid %d): rank %d (%s, pid %d) gave up waiting for "
            "this rank in library collective #%" PRId64 " %s after %.3g s (DC_TIMEOUT); this "
            "rank entered #%" PRId64 " %s only now\n",
            env->rank, wd->host[env->rank], wd->pid[env->rank], from, wd->host[from], wd->pid[from],
            nt.seq, nt.name, nt.waited, wd->mine.seq, wd->mine.name);
    fflush(stderr);
    return dci_error_set(env, DC_ERR_TIMEOUT, name, __FILE__, __LINE__,
                         "rank %d (node %s, pid %d) gave up waiting for this rank in library "
                         "collective #%" PRId64 " %s after %.3g s (DC_TIMEOUT); the ranks are "
                         "out of step: destroy the env",
                         from, wd->host[from], wd->pid[from], nt.seq, nt.name, nt.waited);
}

/* Timed out: the diagnosis on stderr (one block) and in the env's message; then the code or
 * MPI_Abort. The ranks missing are marked in wd->idx[0, P) (wd_withdraw). */
static int wd_timeout(dc_env_t *env, struct dci_wd *wd, const char *name, double waited,
                      int nmissing)
{
    char block[WD_BLOCK], msg[DCI_ERRBUF], t[96];
    size_t bpos = 0, mpos = 0;
    int j, listed = 0;

    cat(block, sizeof(block), &bpos,
        "[dcompute watchdog] rank %d (%s, pid %d): library collective #%" PRId64
        " %s waited %.3g s (DC_TIMEOUT %g s) for %d of %d ranks, which have not entered it:\n",
        env->rank, wd->host[env->rank], wd->pid[env->rank], wd->mine.seq,
        rec_text(&wd->mine, t, sizeof(t)), waited, wd->timeout, nmissing, env->size);
    cat(msg, sizeof(msg), &mpos,
        "library collective #%" PRId64 " %s waited %.3g s (DC_TIMEOUT) for %d of %d ranks: ",
        wd->mine.seq, rec_text(&wd->mine, t, sizeof(t)), waited, nmissing, env->size);
    for (j = 0; j < env->size; j++) {
        const wd_rec_t *l = &wd->last[j];
        char last[128];
        if (!wd->idx[j]) /* marked by wd_withdraw */
            continue;
        if (l->seq > 0)
            snprintf(last, sizeof(last), "last entered #%" PRId64 " %s", l->seq,
                     rec_text(l, t, sizeof(t)));
        else
            snprintf(last, sizeof(last), "entered no library collective since dc_env_create");
        if (listed++ >= WD_LIST)
            continue;
        cat(block, sizeof(block), &bpos, "[dcompute watchdog]   rank %d (node %s, pid %d): %s\n", j,
            wd->host[j], wd->pid[j], last);
        cat(msg, sizeof(msg), &mpos, "%srank %d (node %s, pid %d; %s)", listed > 1 ? ", " : "", j,
            wd->host[j], wd->pid[j], last);
    }
    if (listed > WD_LIST) {
        cat(block, sizeof(block), &bpos, "[dcompute watchdog]   and %d more ranks\n",
            listed - WD_LIST);
        cat(msg, sizeof(msg), &mpos, ", and %d more", listed - WD_LIST);
    }
    fputs(block, stderr);
    fflush(stderr);
    if (wd->abort_on)
        MPI_Abort(env->comm, -DC_ERR_TIMEOUT);
    return dci_error_set(env, DC_ERR_TIMEOUT, name, __FILE__, __LINE__, "%s", msg);
}

/* Ask for the record of every other rank and send ours; DC_ERR_MPI if MPI refuses. */
static int wd_post(dc_env_t *env, struct dci_wd *wd, const char *name)
{
    int P = env->size, j, mrc;

    for (j = 0; j < 2 * P; j++)
        wd->req[j] = MPI_REQUEST_NULL;
    for (j = 0; j < P; j++) {
        if (j == env->rank)
            continue;
        mrc = MPI_Irecv(&wd->in[j], (int)sizeof(wd_rec_t), MPI_BYTE, j, wd->tag, wd->comm,
                        &wd->req[j]);
        if (mrc == MPI_SUCCESS)
            mrc = MPI_Isend(&wd->mine, (int)sizeof(wd_rec_t), MPI_BYTE, j, wd->tag, wd->comm,
                            &wd->req[P + j]);
        if (mrc != MPI_SUCCESS)
            return dci_error_mpi(env, mrc, name, __FILE__, __LINE__,
                                 "the watchdog's entry record (MPI_Irecv/MPI_Isend)");
    }
    return DC_SUCCESS;
}

/* Give up the requests still open: receives cancelled (one that completes anyway is a record
 * that arrived after all), sends left to complete on their own. Marks the ranks still missing
 * in wd->idx[0, P) and returns their number. */
static int wd_withdraw(dc_env_t *env, struct dci_wd *wd)
{
    int P = env->size, j, cancelled, nmissing = 0;
    MPI_Status st;

    for (j = 0; j < P; j++) {
        wd->idx[j] = 0;
        if (wd->req[j] == MPI_REQUEST_NULL)
            continue;
        MPI_Cancel(&wd->req[j]);
        if (MPI_Wait(&wd->req[j], &st) == MPI_SUCCESS &&
            MPI_Test_cancelled(&st, &cancelled) == MPI_SUCCESS && !cancelled) {
            wd->last[j] = wd->in[j];
            continue;
        }
        wd->idx[j] = 1;
        nmissing++;
    }
    return nmissing;
}

int dci_wd_enter_slow(dc_env_t *env, const char *name, int strict)
{
    struct dci_wd *wd = env->wd;
    int P = env->size, j, k, n, pending, nmissing, rc, mrc;
    double t0, waited = 0.0;
    struct timespec nap = {0, 100000}; /* 0.1 ms between polls once a wait is long */

    if (wd->broken)
        return dci_error_set(env, DC_ERR_TIMEOUT, name, __FILE__, __LINE__,
                             "library collective #%" PRId64 " %s timed out or found the ranks "
                             "out of step before: the env's collectives are out of step, "
                             "destroy it",
                             wd->mine.seq, wd->mine.name);
    wd->seq++;
    wd->mine.seq = wd->seq;
    wd->mine.strict = strict;
    snprintf(wd->mine.name, sizeof(wd->mine.name), "%s", name);
    wd->last[env->rank] = wd->mine;
    if (P == 1)
        return DC_SUCCESS;
    rc = wd_post(env, wd, name);
    pending = 2 * (P - 1);
    t0 = MPI_Wtime();
    while (rc == DC_SUCCESS && pending > 0) {
        mrc = MPI_Testsome(2 * P, wd->req, &n, wd->idx, MPI_STATUSES_IGNORE);
        if (mrc != MPI_SUCCESS) {
            rc = dci_error_mpi(env, mrc, name, __FILE__, __LINE__,
                               "MPI_Testsome of the watchdog's entry records");
            break;
        }
        for (k = 0; n != MPI_UNDEFINED && k < n; k++) {
            pending--;
            if (wd->idx[k] < P)
                wd->last[wd->idx[k]] = wd->in[wd->idx[k]];
        }
        if (pending == 0)
            break;
        waited = MPI_Wtime() - t0;
        if (waited >= wd->timeout)
            break;
        if (waited > 1e-3)
            nanosleep(&nap, NULL); /* a long wait must not spin against the ranks it waits for */
    }
    if (rc != DC_SUCCESS || pending > 0) {
        nmissing = wd_withdraw(env, wd);
        if (rc == DC_SUCCESS && nmissing == 0) {
            /* every record came after all (just at the deadline): our sends will be matched */
            mrc = MPI_Waitall(P, wd->req + P, MPI_STATUSES_IGNORE);
            if (mrc != MPI_SUCCESS)
                rc = dci_error_mpi(env, mrc, name, __FILE__, __LINE__,
                                   "MPI_Waitall of the watchdog's entry records");
        } else {
            /* the unmatched sends complete in the background (MPI_Request_free); their
             * buffer, wd->mine, is not written again: the env is out of step from now on */
            for (j = P; j < 2 * P; j++)
                if (wd->req[j] != MPI_REQUEST_NULL)
                    MPI_Request_free(&wd->req[j]);
            wd->broken = 1;
            if (rc == DC_SUCCESS) {
                wd_send_notices(env, wd, waited);
                rc = wd_timeout(env, wd, name, waited, nmissing);
            }
            return rc;
        }
        if (rc != DC_SUCCESS) {
            wd->broken = 1;
            return rc;
        }
    }
    rc = wd_check_notices(env, wd, name);
    if (rc != DC_SUCCESS)
        return rc;
    for (j = 0; j < P; j++) {
        const wd_rec_t *r0 = env->rank == 0 ? &wd->mine : &wd->in[0];
        const wd_rec_t *r = j == env->rank ? &wd->mine : &wd->in[j];
        if (rec_differ(r, r0))
            return wd_out_of_step(env, wd, name);
    }
    return DC_SUCCESS;
}
