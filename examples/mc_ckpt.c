/*
 * mc_ckpt: a long Monte Carlo run that survives being killed. The batches 0 .. NB-1 (M points
 * each, batch i drawn from random stream i of dc_rng, so every point depends only on its global
 * index) are processed in segments of K batches through dc_sched_run; after each segment the
 * run commits a checkpoint (dc_ckpt: the batches done, the points inside the quarter circle so
 * far, and the sum of 4 / (1 + x^2) of every segment), and a run started with the same
 * --ckpt-dir resumes from the newest committed checkpoint, on any number of ranks.
 *
 * The printed result is the same, bit for bit, however many ranks ran each segment and wherever
 * the run was interrupted: the points inside are an integer count; a segment's sum is combined
 * by dc_sched in its canonical tree (independent of ranks and schedule); the segments' sums are
 * added by dc_sum in DC_REPRO_BINNED mode (correctly rounded, so independent of how they are
 * split over the ranks and of their order). The result depends on NB, M and K only. Rank 0
 * checks it against a serial computation (batch by batch, the same tree, and an exact sum of
 * its own: Shewchuk's, as Python's math.fsum), bit for bit.
 *
 * Without --ckpt-dir (as in make check) the run interrupts itself: it stops after about half of
 * the segments, then a second part on one rank fewer (a communicator without the last rank)
 * resumes from that checkpoint in a temporary directory, which is removed at the end. Without
 * parallel HDF5 (dc_ckpt returns DC_ERR_NOTSUP) that mode runs without checkpoints; an explicit
 * --ckpt-dir then exits 77.
 *
 * The result lines, for comparing runs (tests/fault-restart.sh does, after a kill -9):
 *   result pi_inside=<%a> pi_mean=<%a>
 *   result batches=NB points=N inside=I
 *
 * Run: mpirun -np 4 ./mc_ckpt [--batches NB] [--points M] [--ckpt-every K] [--ckpt-dir DIR]
 *                             [--stop-after S] [--no-check]
 *   --stop-after S   leave after the checkpoint of segment S (1-based), as a job killed there
 *                    would, but with exit status 0: to resume by hand on another rank count
 *   --no-check       skip the serial check (it costs as much as the whole run on one core)
 * Under tools/dc-restart: dc-restart --shrink 1 -np 4 -- ./mc_ckpt --ckpt-dir DIR
 */
#include <dcompute.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEED    20261206u
#define NPROB   4 /* the problem's identity in a checkpoint: seed, NB, M, K */
#define ST_DONE 0
#define ST_STOP 1 /* left after --stop-after's checkpoint */
#define ST_SKIP 77

typedef struct {
    int64_t nb;   /* batches */
    int64_t m;    /* points per batch */
    int64_t k;    /* batches per segment: a checkpoint after each */
    int64_t stop; /* leave after this many segments (0: never) */
    int64_t nseg; /* segments in all */
    int64_t done; /* segments done */
    int64_t inside;
    double *seg;   /* nseg sums of 4 / (1 + x^2), one per segment */
    int64_t from;  /* batches done by the checkpoint resumed from (-1: none) */
    int64_t ranks; /* ranks that wrote it */
} run_t;

/* Batch i: value[0] = points inside the quarter circle (exact as a double below 2^53),
 * value[1] = sum of 4 / (1 + x^2) over its points, in order. */
static void batch(int64_t i, int64_t m, double *value)
{
    dc_rng_t g;
    double u[2], inside = 0.0, s = 0.0;
    int64_t j;

    dc_rng_init(&g, SEED, (uint64_t)i);
    for (j = 0; j < m; j++) {
        dc_rng_uniform(&g, u, 2);
        inside += u[0] * u[0] + u[1] * u[1] < 1.0 ? 1.0 : 0.0;
        s += 4.0 / (1.0 + u[0] * u[0]);
    }
    value[0] = inside;
    value[1] = s;
}

typedef struct {
    int64_t first; /* global index of the segment's first batch */
    int64_t m;
} seg_ctx_t;

static int cb(dc_gidx_t lo, dc_gidx_t hi, void *value, void *ctx)
{
    const seg_ctx_t *c = ctx;
    (void)hi; /* grain 1: one batch per call */
    batch(c->first + lo, c->m, value);
    return 0;
}

static int64_t seg_len(const run_t *r, int64_t s)
{
    return s * r->k + r->k <= r->nb ? r->k : r->nb - s * r->k;
}

/* ---------------------------------------------------------------- checkpoints */

static int ckpt_write(dc_ckpt_t *ck, const run_t *r, int size)
{
    int64_t prob[NPROB] = {SEED, r->nb, r->m, r->k}, next = r->done * r->k, ranks = size;
    int rc;

    if (next > r->nb)
        next = r->nb;
    rc = dc_ckpt_write_begin(ck, next);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_data(ck, "mc/problem", DC_TYPE_INT64, NPROB, prob);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_data(ck, "mc/next", DC_TYPE_INT64, 1, &next);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_data(ck, "mc/inside", DC_TYPE_INT64, 1, &r->inside);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_data(ck, "mc/segments", DC_TYPE_INT64, 1, &r->done);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_data(ck, "mc/seg_sum", DC_TYPE_DOUBLE, (size_t)r->done, r->seg);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_data(ck, "mc/ranks", DC_TYPE_INT64, 1, &ranks);
    if (rc == DC_SUCCESS)
        return dc_ckpt_write_end(ck);
    return rc; /* dc_ckpt_destroy abandons the write: the previous checkpoint stays current */
}

/* Resume from the newest checkpoint, if there is one. Returns a library code, or DC_ERR_ARG
 * after printing why when the checkpoint belongs to another problem. */
static int ckpt_resume(dc_ckpt_t *ck, run_t *r, int rank)
{
    int64_t step, prob[NPROB], next = 0, ranks = 0;
    int rc, rc2;

    rc = dc_ckpt_latest(ck, &step);
    if (rc != DC_SUCCESS || step < 0)
        return rc;
    rc = dc_ckpt_read_begin(ck, DC_CKPT_LATEST, &step);
    if (rc != DC_SUCCESS)
        return rc;
    rc = dc_ckpt_read_data(ck, "mc/problem", DC_TYPE_INT64, NPROB, prob);
    if (rc == DC_SUCCESS &&
        (prob[0] != SEED || prob[1] != r->nb || prob[2] != r->m || prob[3] != r->k)) {
        if (rank == 0)
            fprintf(stderr,
                    "mc_ckpt: the checkpoint (step %lld) is of another run: batches %lld, "
                    "points %lld, every %lld, seed %lld\n",
                    (long long)step, (long long)prob[1], (long long)prob[2], (long long)prob[3],
                    (long long)prob[0]);
        rc = DC_ERR_ARG;
    }
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_data(ck, "mc/next", DC_TYPE_INT64, 1, &next);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_data(ck, "mc/segments", DC_TYPE_INT64, 1, &r->done);
    if (rc == DC_SUCCESS && (r->done < 1 || r->done > r->nseg)) {
        if (rank == 0)
            fprintf(stderr, "mc_ckpt: the checkpoint says %lld segments are done, of %lld\n",
                    (long long)r->done, (long long)r->nseg);
        rc = DC_ERR_ARG;
    }
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_data(ck, "mc/inside", DC_TYPE_INT64, 1, &r->inside);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_data(ck, "mc/seg_sum", DC_TYPE_DOUBLE, (size_t)r->done, r->seg);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_data(ck, "mc/ranks", DC_TYPE_INT64, 1, &ranks);
    rc2 = dc_ckpt_read_end(ck);
    if (rc == DC_SUCCESS)
        rc = rc2;
    if (rc == DC_SUCCESS) {
        r->from = next;
        r->ranks = ranks;
    } else {
        r->done = 0;
        r->inside = 0;
    }
    return rc;
}

/* ---------------------------------------------------------------- one part of the run */

/* Run the segments not done yet on the ranks of comm (checkpoints in dir, if not NULL), up to
 * r->stop segments. Collective on comm. Returns ST_DONE, ST_STOP, ST_SKIP (no checkpoints in
 * this build) or 1 (an error, printed). */
static int run_part(MPI_Comm comm, const char *dir, run_t *r)
{
    dc_env_t *env = NULL;
    dc_sched_t *sched = NULL;
    dc_ckpt_t *ck = NULL;
    dc_ckpt_params_t cp = {DC_CKPT_PARAM_KEEP | DC_CKPT_PARAM_PREFIX, 2, "mc"};
    int rank, size, rc, st = ST_DONE;
    const char *what = "dc_env_create";

    rc = dc_env_create(comm, NULL, &env);
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "mc_ckpt: dc_env_create: %s\n", dc_env_last_error(NULL));
        return 1;
    }
    dc_env_get_rank(env, &rank, &size);
    r->from = -1;
    what = "dc_sched";
    rc = dc_sched_create(env, &sched);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_kind(sched, DC_SCHED_DYNAMIC);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_reduction(sched, DC_TYPE_DOUBLE, 2, DC_REDUCE_SUM);
    if (rc == DC_SUCCESS)
        rc = dc_sched_setup(sched);
    if (rc == DC_SUCCESS && dir != NULL) {
        what = "dc_ckpt_create";
        rc = dc_ckpt_create(env, dir, &cp, &ck);
        if (rc == DC_ERR_NOTSUP) {
            if (rank == 0)
                printf("mc_ckpt: no checkpoints in this build (%s)\n", dc_env_last_error(env));
            st = ST_SKIP;
            goto out;
        }
        what = "resuming";
        if (rc == DC_SUCCESS)
            rc = ckpt_resume(ck, r, rank);
    }
    if (rc == DC_SUCCESS && rank == 0) {
        if (r->from >= 0)
            printf("resumed at %d rank(s) from the checkpoint of %lld of %lld batches (%lld "
                   "segments), written at %lld rank(s)\n",
                   size, (long long)r->from, (long long)r->nb, (long long)r->done,
                   (long long)r->ranks);
        else
            printf("started at %d rank(s)\n", size);
        fflush(stdout);
    }
    while (rc == DC_SUCCESS && r->done < r->nseg && (r->stop == 0 || r->done < r->stop)) {
        seg_ctx_t c = {r->done * r->k, r->m};
        double v[2];

        what = "dc_sched_run";
        rc = dc_sched_run(sched, seg_len(r, r->done), cb, &c, v);
        if (rc != DC_SUCCESS)
            break;
        r->inside += (int64_t)v[0];
        r->seg[r->done++] = v[1];
        if (ck != NULL) {
            what = "checkpoint";
            rc = ckpt_write(ck, r, size);
        }
    }
    if (rc == DC_SUCCESS && r->done < r->nseg) {
        st = ST_STOP;
        if (rank == 0)
            printf("stopped after segment %lld of %lld, as asked\n", (long long)r->done,
                   (long long)r->nseg);
    }
out:
    if (rc != DC_SUCCESS && st == ST_DONE) {
        fprintf(stderr, "mc_ckpt: rank %d: %s: %s: %s\n", rank, what, dc_strerror(rc),
                dc_env_last_error(env));
        st = 1;
    }
    dc_ckpt_destroy(&ck);
    dc_sched_destroy(&sched);
    dc_env_destroy(&env);
    return st;
}

/* ---------------------------------------------------------------- the serial reference */

/* The canonical tree of dc_sched (see dc_sched.h) over v[0 .. nb), serially. */
static double tree(const double *v, int64_t lo, int64_t size, int64_t nb)
{
    if (size == 1)
        return v[lo];
    if (lo + size / 2 >= nb)
        return tree(v, lo, size / 2, nb);
    return tree(v, lo, size / 2, nb) + tree(v, lo + size / 2, size / 2, nb);
}

/* The correctly rounded sum of x[0 .. n) of finite values (Shewchuk's partials, with the final
 * rounding of Python's math.fsum): the reference for dc_sum in DC_REPRO_BINNED mode. */
static double exact_sum(const double *x, int64_t n)
{
    double p[128], hi = 0.0, lo = 0.0;
    int np = 0, i, j;
    int64_t e;

    for (e = 0; e < n; e++) {
        double v = x[e];
        for (i = 0, j = 0; j < np; j++) {
            double y = p[j], h, l;
            if (fabs(v) < fabs(y)) {
                double t = v;
                v = y;
                y = t;
            }
            h = v + y;
            l = y - (h - v);
            if (l != 0.0)
                p[i++] = l;
            v = h;
        }
        np = i;
        p[np++] = v;
    }
    if (np > 0) {
        hi = p[--np];
        while (np > 0) {
            double v = hi, y = p[--np];
            hi = v + y;
            lo = y - (hi - v);
            if (lo != 0.0)
                break;
        }
        if (np > 0 && ((lo < 0.0 && p[np - 1] < 0.0) || (lo > 0.0 && p[np - 1] > 0.0))) {
            double y = lo * 2.0, v = hi + y;
            if (y == v - hi)
                hi = v;
        }
    }
    return hi;
}

/* Everything again on this rank alone: the inside count and the mean of 4 / (1 + x^2). */
static int serial(const run_t *r, int64_t *inside_p, double *mean_p)
{
    double *val = malloc((size_t)r->k * sizeof(double)),
           *seg = malloc((size_t)r->nseg * sizeof(double));
    int64_t s, i, inside = 0;

    if (val == NULL || seg == NULL) {
        free(val);
        free(seg);
        return 1;
    }
    for (s = 0; s < r->nseg; s++) {
        int64_t n = seg_len(r, s), p2 = 1;
        for (i = 0; i < n; i++) {
            double v[2];
            batch(s * r->k + i, r->m, v);
            inside += (int64_t)v[0];
            val[i] = v[1];
        }
        while (p2 < n)
            p2 *= 2;
        seg[s] = tree(val, 0, p2, n);
    }
    *inside_p = inside;
    *mean_p = exact_sum(seg, r->nseg) / ((double)r->nb * (double)r->m);
    free(val);
    free(seg);
    return 0;
}

/* ---------------------------------------------------------------- main */

/* A temporary checkpoint directory made by rank 0, the same path on every rank. */
static int make_tmpdir(char *dir, size_t len, int rank)
{
    int ok = 1;
    if (rank == 0) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, len, "%s/dc-mc_ckpt.XXXXXX", t != NULL && *t != '\0' ? t : "/tmp");
        ok = mkdtemp(dir) != NULL;
        if (!ok)
            perror("mc_ckpt: mkdtemp");
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Bcast(dir, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
    return ok;
}

static void remove_tmpdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
    rmdir(dir);
}

static int opt_int(int argc, char **argv, int *i, const char *name, int64_t *v)
{
    char *end;
    if (strcmp(argv[*i], name) != 0)
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *v = strtoll(argv[++*i], &end, 10);
    return *end == '\0' ? 1 : -1;
}

int main(int argc, char **argv)
{
    run_t r = {96, 200, 8, 0, 0, 0, 0, NULL, -1, 0};
    const char *dir = NULL;
    char tmp[4096] = "";
    int rank, size, i, st, bad = 0, usage = 0, check = 1;
    double n;
    int64_t inside_ref = 0;
    double mean_ref = 0.0, pi_inside, pi_mean, total = 0.0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (i = 1; i < argc && !usage; i++) {
        int got = opt_int(argc, argv, &i, "--batches", &r.nb);
        if (got == 0)
            got = opt_int(argc, argv, &i, "--points", &r.m);
        if (got == 0)
            got = opt_int(argc, argv, &i, "--ckpt-every", &r.k);
        if (got == 0)
            got = opt_int(argc, argv, &i, "--stop-after", &r.stop);
        if (got == 0 && strcmp(argv[i], "--no-check") == 0)
            got = 1, check = 0;
        if (got == 0 && strcmp(argv[i], "--ckpt-dir") == 0 && i + 1 < argc)
            got = (dir = argv[++i]) != NULL;
        usage = got != 1;
    }
    if (usage || r.nb < 1 || r.m < 1 || r.k < 1 || r.stop < 0 || r.m > ((int64_t)1 << 40)) {
        if (rank == 0)
            fprintf(stderr,
                    "usage: mc_ckpt [--batches NB >= 1] [--points M >= 1] "
                    "[--ckpt-every K >= 1] [--ckpt-dir DIR] [--stop-after S] [--no-check]\n");
        MPI_Finalize();
        return 2;
    }
    r.nseg = (r.nb + r.k - 1) / r.k;
    r.seg = calloc((size_t)r.nseg, sizeof(double));
    if (r.seg == NULL) {
        fprintf(stderr, "mc_ckpt: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rank == 0)
        printf("mc_ckpt: %lld batches x %lld points, a checkpoint every %lld batches, %d "
               "rank(s)\n",
               (long long)r.nb, (long long)r.m, (long long)r.k, size);

    if (dir != NULL) {
        st = run_part(MPI_COMM_WORLD, dir, &r);
    } else if (!make_tmpdir(tmp, sizeof(tmp), rank)) {
        st = 1;
    } else {
        /* interrupt ourselves after half of the segments, resume on one rank fewer */
        MPI_Comm sub;
        int64_t stop = r.stop;
        r.stop = r.nseg > 1 ? r.nseg / 2 : 0;
        st = run_part(MPI_COMM_WORLD, tmp, &r);
        if (st == ST_SKIP) { /* no checkpoints in this build: one uninterrupted part */
            r.stop = stop;
            st = run_part(MPI_COMM_WORLD, NULL, &r);
        } else if (st == ST_STOP) {
            r.stop = stop;
            memset(r.seg, 0, (size_t)r.nseg * sizeof(double)); /* all from the checkpoint */
            r.done = 0;
            r.inside = 0;
            MPI_Comm_split(MPI_COMM_WORLD, size > 1 && rank == size - 1 ? MPI_UNDEFINED : 0, rank,
                           &sub);
            if (sub != MPI_COMM_NULL) {
                st = run_part(sub, tmp, &r);
                MPI_Comm_free(&sub);
            }
            if (rank == 0 && r.from < 0) {
                fprintf(stderr, "mc_ckpt: the second part did not resume from a checkpoint\n");
                st = 1;
            }
        }
        MPI_Bcast(&st, 1, MPI_INT, 0, MPI_COMM_WORLD);
        MPI_Bcast(r.seg, (int)r.nseg, MPI_DOUBLE, 0, MPI_COMM_WORLD);
        MPI_Bcast(&r.inside, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
        MPI_Bcast(&r.done, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 0)
            remove_tmpdir(tmp);
    }
    if (st != ST_DONE) {
        free(r.seg);
        MPI_Finalize();
        return st == ST_STOP ? 0 : st;
    }

    /* The segments' sums, added by the reproducible sum: each rank passes a block of them. */
    {
        dc_env_t *env = NULL;
        int64_t lo = r.nseg * rank / size, hi = r.nseg * (rank + 1) / size;
        int rc = dc_env_create(MPI_COMM_WORLD, NULL, &env);
        if (rc == DC_SUCCESS)
            rc = dc_sum(env, r.seg + lo, (size_t)(hi - lo), DC_REPRO_BINNED, &total);
        if (rc != DC_SUCCESS) {
            fprintf(stderr, "mc_ckpt: dc_sum: %s\n", dc_env_last_error(env));
            bad = 1;
        }
        dc_env_destroy(&env);
    }
    n = (double)r.nb * (double)r.m;
    pi_inside = 4.0 * (double)r.inside / n;
    pi_mean = total / n;
    if (rank == 0 && !bad) {
        printf("result pi_inside=%a pi_mean=%a\n", pi_inside, pi_mean);
        printf("result batches=%lld points=%.0f inside=%lld\n", (long long)r.nb, n,
               (long long)r.inside);
        printf("  pi (quarter circle)   = %.17g\n  pi (mean of 4/(1+x2)) = %.17g\n", pi_inside,
               pi_mean);
        if (!check) {
            printf("  (serial check skipped: --no-check)\n");
        } else if (serial(&r, &inside_ref, &mean_ref) != 0) {
            fprintf(stderr, "mc_ckpt: out of memory for the serial check\n");
            bad = 1;
        } else {
            bad = inside_ref != r.inside || mean_ref != pi_mean;
            printf("  %s\n", bad ? "WRONG: differs from the serial computation"
                                 : "identical to the serial computation, bit for bit");
            if (bad)
                printf("  serial: inside=%lld pi_mean=%a\n", (long long)inside_ref, mean_ref);
        }
        if (fabs(pi_inside - M_PI) > 0.1 || fabs(pi_mean - M_PI) > 0.1)
            bad = 1; /* a broken generator would show here */
    }
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(r.seg);
    MPI_Finalize();
    return bad ? 1 : 0;
}
