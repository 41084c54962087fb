/*
 * ckpt_fs: the program tests/ckpt-fs.sh runs on a small tmpfs to put checkpoints through file
 * system faults (full, read-only, a job killed during a write). One action per run:
 *   ckpt_fs DIR commit STEP N      write checkpoint STEP (vector "x", N doubles), read it back
 *   ckpt_fs DIR fail STEP N        the write of STEP must fail with DC_ERR_IO on every rank,
 *                                  each with a message
 *   ckpt_fs DIR check STEP N       the newest checkpoint is STEP and reads back bit-exactly
 *   ckpt_fs DIR crash STEP N       write_begin and write_vec, then every rank kills itself
 *   ckpt_fs DIR hang STEP N FILE   write_begin and write_vec, then FILE gets the ranks' pids
 *                                  (one a line, rank order) and the job goes on writing small
 *                                  vectors into the open checkpoint until it is killed
 * Not a CUnit suite: the script checks the files between runs. The values of step s are
 * s * 2^20 + g + (g % 7) / 8, checked against that closed form. Exit 0 when the action did what
 * it must, 1 otherwise (on every rank), 2 for bad arguments.
 */
#include <dcompute.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_rank, g_size;

static double value(int64_t step, dc_gidx_t g)
{
    return (double)step * 1048576.0 + (double)g + (double)(g % 7) / 8.0;
}

static double fill_step(dc_gidx_t g, void *ctx)
{
    return value(*(const int64_t *)ctx, g);
}

static int all_ok(int ok)
{
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all;
}

static void report(dc_env_t *env, const char *what, int rc)
{
    if (rc != DC_SUCCESS)
        fprintf(stderr, "[rank %d] %s: %s: %s\n", g_rank, what, dc_strerror(rc),
                dc_env_last_error(env));
}

/* Make a vector of n doubles with the values of step (when fill) on a block layout. */
static int make_vec(dc_env_t *env, dc_gidx_t n, int64_t step, int fill, dc_vec_t **x_p)
{
    dc_layout_t *layout = NULL;
    int rc = dc_layout_create_block(env, n, &layout);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(layout, x_p);
    if (rc == DC_SUCCESS)
        rc = fill ? dc_vec_fill(*x_p, fill_step, &step) : dc_vec_set_all(*x_p, -1.0);
    dc_layout_destroy(&layout);
    report(env, "vector setup", rc);
    return rc;
}

/* The newest checkpoint is step and its "x" is the values of step, bit for bit. */
static int check(dc_env_t *env, const char *dir, int64_t step, dc_gidx_t n)
{
    dc_ckpt_t *ck = NULL;
    dc_vec_t *y = NULL;
    const double *ya = NULL;
    int64_t latest = -2, opened = -2;
    size_t nl = 0, i, bad = 0;
    dc_gidx_t lo = 0;
    dc_layout_t *layout = NULL;
    int rc, ok;

    rc = dc_ckpt_create(env, dir, NULL, &ck);
    report(env, "dc_ckpt_create", rc);
    if (rc == DC_SUCCESS) {
        rc = dc_ckpt_latest(ck, &latest);
        report(env, "dc_ckpt_latest", rc);
    }
    if (rc == DC_SUCCESS)
        rc = make_vec(env, n, step, 0, &y);
    if (rc == DC_SUCCESS) {
        rc = dc_ckpt_read_begin(ck, DC_CKPT_LATEST, &opened);
        report(env, "dc_ckpt_read_begin", rc);
        if (rc == DC_SUCCESS) {
            int rc2;
            rc = dc_ckpt_read_vec(ck, "x", y);
            report(env, "dc_ckpt_read_vec", rc);
            rc2 = dc_ckpt_read_end(ck);
            report(env, "dc_ckpt_read_end", rc2);
            if (rc == DC_SUCCESS)
                rc = rc2;
        }
    }
    ok = rc == DC_SUCCESS && latest == step && opened == step;
    if (ok && dc_vec_get_array_read(y, &ya) == DC_SUCCESS) {
        dc_vec_get_local_size(y, &nl);
        dc_vec_get_layout(y, &layout);
        dc_layout_get_range(layout, g_rank, &lo, NULL);
        for (i = 0; i < nl; i++) {
            double v = value(step, lo + (dc_gidx_t)i);
            if (memcmp(&ya[i], &v, sizeof(v)) != 0 && bad++ == 0)
                fprintf(stderr, "[rank %d] x[%lld] = %a, expected %a\n", g_rank,
                        (long long)(lo + (dc_gidx_t)i), ya[i], v);
        }
        dc_vec_restore_array_read(y, &ya);
        ok = bad == 0;
    } else if (rc == DC_SUCCESS) {
        fprintf(stderr, "[rank %d] newest checkpoint %lld, opened %lld, expected %lld\n", g_rank,
                (long long)latest, (long long)opened, (long long)step);
    }
    dc_vec_destroy(&y);
    if (ck != NULL)
        report(env, "dc_ckpt_destroy", dc_ckpt_destroy(&ck));
    ok = all_ok(ok);
    if (ok && g_rank == 0)
        printf("check: checkpoint %lld is the newest and reads back bit-exactly (%lld values, "
               "%d rank(s))\n",
               (long long)step, (long long)n, g_size);
    return ok;
}

/* Write checkpoint step. *stage_p: how far it got (0 create, 1 begin, 2 vec, 3 end, 4 done). */
static int write_ckpt(dc_env_t *env, const char *dir, int64_t step, dc_gidx_t n, int *stage_p)
{
    dc_ckpt_t *ck = NULL;
    dc_vec_t *x = NULL;
    int rc;

    *stage_p = 0;
    rc = make_vec(env, n, step, 1, &x);
    if (rc != DC_SUCCESS)
        return rc;
    rc = dc_ckpt_create(env, dir, NULL, &ck);
    report(env, "dc_ckpt_create", rc);
    if (rc == DC_SUCCESS) {
        *stage_p = 1;
        rc = dc_ckpt_write_begin(ck, step);
        report(env, "dc_ckpt_write_begin", rc);
    }
    if (rc == DC_SUCCESS) {
        int rc2;
        *stage_p = 2;
        rc = dc_ckpt_write_vec(ck, "x", x);
        report(env, "dc_ckpt_write_vec", rc);
        if (rc == DC_SUCCESS)
            *stage_p = 3;
        /* after a failed write_vec the commit must fail too: nothing partial becomes current */
        rc2 = dc_ckpt_write_end(ck);
        report(env, "dc_ckpt_write_end", rc2);
        if (rc == DC_SUCCESS)
            rc = rc2;
        else if (rc2 == DC_SUCCESS) {
            fprintf(stderr, "[rank %d] dc_ckpt_write_end committed after write_vec failed\n",
                    g_rank);
            rc = DC_ERR_INTERNAL;
        }
        if (rc == DC_SUCCESS)
            *stage_p = 4;
    }
    if (ck != NULL)
        report(env, "dc_ckpt_destroy", dc_ckpt_destroy(&ck));
    dc_vec_destroy(&x);
    return rc;
}

/* The write must fail with DC_ERR_IO on every rank, each rank with a message. */
static int expect_fail(dc_env_t *env, const char *dir, int64_t step, dc_gidx_t n)
{
    int stage = 0, rc, ok, i, *all = NULL, mine[3];
    static const char *const stage_name[] = {"dc_ckpt_create", "dc_ckpt_write_begin",
                                             "dc_ckpt_write_vec", "dc_ckpt_write_end",
                                             "(nothing: it succeeded)"};

    rc = write_ckpt(env, dir, step, n, &stage);
    mine[0] = rc;
    mine[1] = stage;
    mine[2] = (int)strlen(dc_env_last_error(env));
    all = malloc(3 * sizeof(int) * (size_t)g_size);
    if (all == NULL)
        MPI_Abort(MPI_COMM_WORLD, 3);
    /* per rank: the code, the stage it came from, the length of its message */
    MPI_Gather(mine, 3, MPI_INT, all, 3, MPI_INT, 0, MPI_COMM_WORLD);
    ok = 1;
    if (g_rank == 0) {
        for (i = 0; i < g_size; i++) {
            int r = all[3 * i], s = all[3 * i + 1], len = all[3 * i + 2];
            if (r != DC_ERR_IO || s != all[1] || len == 0) {
                printf("fail: rank %d got %s (%d) from %s, message of %d chars; expected "
                       "DC_ERR_IO from %s with a message\n",
                       i, dc_strerror(r), r, stage_name[s], len, stage_name[all[1]]);
                ok = 0;
            }
        }
        if (ok)
            printf("fail: every rank (%d) got DC_ERR_IO from %s; rank 0's message: %s\n", g_size,
                   stage_name[all[1]], dc_env_last_error(env));
    }
    free(all);
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return ok;
}

/* Start a write, then die in it (crash: every rank kills itself; hang: wait for the killer). */
static int die_in_write(dc_env_t *env, const char *dir, int64_t step, dc_gidx_t n, int crash,
                        const char *pidfile)
{
    dc_ckpt_t *ck = NULL;
    dc_vec_t *x = NULL, *small = NULL;
    int rc, i;

    rc = make_vec(env, n, step, 1, &x);
    if (rc == DC_SUCCESS)
        rc = make_vec(env, 64, step, 1, &small);
    if (rc == DC_SUCCESS) {
        rc = dc_ckpt_create(env, dir, NULL, &ck);
        report(env, "dc_ckpt_create", rc);
    }
    if (rc == DC_SUCCESS) {
        rc = dc_ckpt_write_begin(ck, step);
        report(env, "dc_ckpt_write_begin", rc);
    }
    if (rc == DC_SUCCESS) {
        rc = dc_ckpt_write_vec(ck, "x", x);
        report(env, "dc_ckpt_write_vec", rc);
    }
    if (!all_ok(rc == DC_SUCCESS))
        return 0;
    if (crash) {
        MPI_Barrier(MPI_COMM_WORLD);
        raise(SIGKILL);
    } else {
        int pid = (int)getpid(), *pids = malloc(sizeof(int) * (size_t)g_size);
        if (pids == NULL)
            MPI_Abort(MPI_COMM_WORLD, 3);
        MPI_Gather(&pid, 1, MPI_INT, pids, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (g_rank == 0) {
            char tmp[4096];
            FILE *f;
            snprintf(tmp, sizeof(tmp), "%s.part", pidfile);
            f = fopen(tmp, "w");
            for (i = 0; f != NULL && i < g_size; i++)
                fprintf(f, "%d\n", pids[i]);
            if (f == NULL || fclose(f) != 0 || rename(tmp, pidfile) != 0)
                fprintf(stderr, "cannot write %s\n", pidfile);
        }
        free(pids);
        /* a job busy in the checkpoint: one more object every 20 ms, for at most 60 s */
        for (i = 0; i < 3000; i++) {
            char name[32];
            snprintf(name, sizeof(name), "more/y%d", i);
            rc = dc_ckpt_write_vec(ck, name, small);
            if (!all_ok(rc == DC_SUCCESS)) {
                report(env, "dc_ckpt_write_vec (while waiting to be killed)", rc);
                break;
            }
            usleep(20000);
        }
        if (g_rank == 0)
            fprintf(stderr, "hang: not killed within 60 s\n");
    }
    dc_ckpt_destroy(&ck);
    dc_vec_destroy(&x);
    dc_vec_destroy(&small);
    return 0;
}

int main(int argc, char **argv)
{
    dc_env_t *env = NULL;
    const char *dir, *action;
    int64_t step;
    dc_gidx_t n;
    int ok = 0, stage;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    if (argc < 5 || (strcmp(argv[2], "hang") == 0 && argc < 6)) {
        if (g_rank == 0)
            fprintf(stderr, "usage: ckpt_fs DIR commit|fail|check|crash|hang STEP N [PIDFILE]\n");
        MPI_Finalize();
        return 2;
    }
    dir = argv[1];
    action = argv[2];
    step = strtoll(argv[3], NULL, 10);
    n = (dc_gidx_t)strtoll(argv[4], NULL, 10);
    if (dc_env_create(MPI_COMM_WORLD, NULL, &env) != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] dc_env_create: %s\n", g_rank, dc_env_last_error(NULL));
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (!strcmp(action, "commit")) {
        ok = all_ok(write_ckpt(env, dir, step, n, &stage) == DC_SUCCESS);
        if (ok && g_rank == 0)
            printf("commit: checkpoint %lld written (%lld values)\n", (long long)step,
                   (long long)n);
        ok = ok && check(env, dir, step, n);
    } else if (!strcmp(action, "fail")) {
        ok = expect_fail(env, dir, step, n);
    } else if (!strcmp(action, "check")) {
        ok = check(env, dir, step, n);
    } else if (!strcmp(action, "crash") || !strcmp(action, "hang")) {
        ok = die_in_write(env, dir, step, n, !strcmp(action, "crash"), argv[5]);
    } else {
        if (g_rank == 0)
            fprintf(stderr, "ckpt_fs: unknown action %s\n", action);
        dc_env_destroy(&env);
        MPI_Finalize();
        return 2;
    }
    dc_env_destroy(&env);
    MPI_Finalize();
    return ok ? 0 : 1;
}
