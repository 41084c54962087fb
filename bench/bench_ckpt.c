/*
 * bench_ckpt: a checkpoint of one dc_vec (dc_ckpt_write_begin / write_vec / write_end, then
 * read_begin / read_vec / read_end) against the same bytes written and read by dd (one process,
 * conv=fdatasync) and by raw MPI-IO (MPI_File_write_at_all of each rank's block + MPI_File_sync;
 * MPI_File_read_at_all), measured in the same run, in the same directory, as GB/s (10^9 B/s) and
 * ratios to dd (dd's time / the variant's time: above 1 means faster than dd).
 * Method: repetitions interleave the three variants (the order rotates: A B C, B C A, C A B, ...);
 * writes go to new files (the previous file of dd and MPI-IO is removed untimed; ours keeps
 * every checkpoint of a size, so that no old one is removed inside its timing either); a
 * barrier before each timing, the time is the maximum over ranks from open to close (ours: from
 * write_begin to write_end, which fsyncs, renames and syncs the directory). Reads: as root the
 * page cache is dropped (sync; echo 3 > /proc/sys/vm/drop_caches, untimed, on every node) before
 * every read, so every variant reads from the disk; otherwise (or with --cached) every variant
 * reads from the page cache (the file is read once, untimed, before the timing). Every read is
 * checked against the written data. Medians with min - max over the repetitions; the ratio's
 * spread is the range of the per-repetition ratios.
 * Run: mpirun -np 2 ./bench_ckpt [--bytes LIST] [--reps N] [--dir DIR] [--cached]
 *      [--time-limit S]   (LIST: sizes with K, M, G suffixes, e.g. 16M,128M,1G)
 */
#include "bench_util.h"

#include <dcompute.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_SIZES 8
#define MAX_REPS  64
#define TARGET    0.80 /* ours / dd, for write and for read (the issue) */
#define DD_BS     "bs=4M"
#define NVARIANTS 3

enum { V_OURS, V_MPIIO, V_DD };
static const char *const vname[NVARIANTS] = {"dc_ckpt", "MPI-IO", "dd"};
static const char *const vcsv[NVARIANTS] = {"dc", "mpiio", "dd"};

typedef struct {
    size_t bytes[MAX_SIZES];
    int nbytes;
    int reps; /* for sizes >= 256 MiB; smaller sizes get twice as many */
    int cached;
    double time_limit;
    char dir[1024];
    int own_dir; /* the directory was made here: remove it at the end */
    const char *csv;
} opts_t;

typedef struct {
    double t[2][NVARIANTS][MAX_REPS]; /* [write, read][variant][rep]: seconds */
    int nrep;
} meas_t;

static int g_rank, g_size;
static dcb_t g_b; /* load, disturbance, CSV, progress */
static int g_targets, g_missed;
static char g_missed_text[1024];

/* ---------------------------------------------------------------- small helpers */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(const double *v, int n, double *med, double *lo, double *hi)
{
    double s[MAX_REPS];
    memcpy(s, v, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    *med = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    *lo = s[0];
    *hi = s[n - 1];
}

static void fmt_size(size_t b, char *buf, size_t len)
{
    if (b >= ((size_t)1 << 30) && b % ((size_t)1 << 30) == 0)
        snprintf(buf, len, "%zu GiB", b >> 30);
    else if (b >= ((size_t)1 << 20) && b % ((size_t)1 << 20) == 0)
        snprintf(buf, len, "%zu MiB", b >> 20);
    else if (b >= 1024 && b % 1024 == 0)
        snprintf(buf, len, "%zu KiB", b >> 10);
    else
        snprintf(buf, len, "%zu B", b);
}

static int any_failed(int failed, MPI_Comm comm)
{
    int any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, comm);
    return any;
}

/* Run argv (a PATH search), wait for it; 0 when it exited with status 0. */
static int run_cmd(char *const argv[])
{
    pid_t pid;
    int st = 0, e = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);

    if (e != 0) {
        fprintf(stderr, "bench_ckpt: cannot run %s: %s\n", argv[0], strerror(e));
        return -1;
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_ckpt: %s failed (status 0x%x)\n", argv[0], (unsigned)st);
        return -1;
    }
    return 0;
}

/* Drop the page cache on every node (one rank per node); 0 on every rank when all could. */
static int drop_caches(MPI_Comm node_comm, MPI_Comm comm)
{
    int node_rank, ok = 1, all = 0;
    MPI_Comm_rank(node_comm, &node_rank);
    if (node_rank == 0) {
        FILE *f;
        sync();
        f = fopen("/proc/sys/vm/drop_caches", "w");
        ok = f != NULL && fputs("3\n", f) >= 0;
        if (f != NULL && fclose(f) != 0)
            ok = 0;
    }
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
    return all ? 0 : -1;
}

/* Read a file once (untimed) so that the timed read finds it in the page cache. */
static int warm_file(const char *path)
{
    static char buf[1 << 22];
    int fd = open(path, O_RDONLY);
    ssize_t r;
    if (fd < 0)
        return -1;
    while ((r = read(fd, buf, sizeof(buf))) > 0)
        ;
    close(fd);
    return r < 0 ? -1 : 0;
}

static const char *fs_name(const char *dir)
{
    struct statfs s;
    if (statfs(dir, &s) != 0)
        return "?";
    switch ((unsigned long)s.f_type) {
    case 0xEF53UL: return "ext2/3/4";
    case 0x58465342UL: return "xfs";
    case 0x9123683EUL: return "btrfs";
    case 0x01021994UL: return "tmpfs";
    case 0x6969UL: return "nfs";
    case 0x0BD00BD0UL: return "lustre";
    case 0x47504653UL: return "gpfs";
    case 0x794C7630UL: return "overlayfs";
    case 0x65735546UL: return "fuse";
    default: return "other";
    }
}

/* ---------------------------------------------------------------- the variants */

typedef struct {
    dc_env_t *env;
    MPI_Comm comm;
    dc_ckpt_t *ck;
    dc_vec_t *x, *y;
    const double *xa; /* x's local array (read borrow for the whole run) */
    double *rbuf;     /* MPI-IO read buffer */
    size_t nlocal;
    dc_gidx_t lo;
    size_t bytes;
    int64_t step;
    char dd_path[1100], mpiio_path[1100], ours_dir[1100];
} ctx_t;

static int ours_write(ctx_t *c)
{
    int rc = dc_ckpt_write_begin(c->ck, c->step);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_vec(c->ck, "x", c->x);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_end(c->ck);
    else
        (void)dc_ckpt_write_end(c->ck); /* leaves the previous checkpoint current */
    if (rc != DC_SUCCESS)
        fprintf(stderr, "[rank %d] dc_ckpt write: %s: %s\n", g_rank, dc_strerror(rc),
                dc_env_last_error(c->env));
    return rc == DC_SUCCESS ? 0 : -1;
}

static int ours_read(ctx_t *c)
{
    int64_t got = -1;
    int rc = dc_ckpt_read_begin(c->ck, DC_CKPT_LATEST, &got);
    if (rc == DC_SUCCESS) {
        int rc2;
        rc = dc_ckpt_read_vec(c->ck, "x", c->y);
        rc2 = dc_ckpt_read_end(c->ck);
        if (rc == DC_SUCCESS)
            rc = rc2;
    }
    if (rc == DC_SUCCESS && got != c->step) {
        fprintf(stderr, "[rank %d] dc_ckpt read: step %lld opened, %lld expected\n", g_rank,
                (long long)got, (long long)c->step);
        return -1;
    }
    if (rc != DC_SUCCESS)
        fprintf(stderr, "[rank %d] dc_ckpt read: %s: %s\n", g_rank, dc_strerror(rc),
                dc_env_last_error(c->env));
    return rc == DC_SUCCESS ? 0 : -1;
}

/* The local block in pieces of at most 2^30 doubles (MPI counts are int). */
static int mpiio_rw(ctx_t *c, int write)
{
    MPI_File fh;
    const size_t piece = (size_t)1 << 30;
    size_t off = 0;
    int e, amode = write ? MPI_MODE_CREATE | MPI_MODE_WRONLY : MPI_MODE_RDONLY;
    int npieces, mine = (int)((c->nlocal + piece - 1) / piece), i;

    MPI_Allreduce(&mine, &npieces, 1, MPI_INT, MPI_MAX, c->comm);
    e = MPI_File_open(c->comm, c->mpiio_path, amode, MPI_INFO_NULL, &fh);
    if (e != MPI_SUCCESS) {
        fprintf(stderr, "[rank %d] MPI_File_open %s failed\n", g_rank, c->mpiio_path);
        return -1;
    }
    for (i = 0; i < npieces; i++) {
        size_t n = c->nlocal - off < piece ? c->nlocal - off : piece;
        MPI_Offset at = (MPI_Offset)(((size_t)c->lo + off) * sizeof(double));
        if (write)
            e = MPI_File_write_at_all(fh, at, c->xa + off, (int)n, MPI_DOUBLE, MPI_STATUS_IGNORE);
        else
            e = MPI_File_read_at_all(fh, at, c->rbuf + off, (int)n, MPI_DOUBLE, MPI_STATUS_IGNORE);
        if (e != MPI_SUCCESS)
            break;
        off += n;
    }
    if (e == MPI_SUCCESS && write)
        e = MPI_File_sync(fh);
    if (MPI_File_close(&fh) != MPI_SUCCESS)
        e = MPI_ERR_OTHER;
    if (e != MPI_SUCCESS)
        fprintf(stderr, "[rank %d] MPI-IO %s of %s failed\n", g_rank, write ? "write" : "read",
                c->mpiio_path);
    return e == MPI_SUCCESS ? 0 : -1;
}

static int dd_rw(ctx_t *c, int write)
{
    char of[1200], iff[1200], count[64];
    if (g_rank != 0)
        return 0;
    if (write) {
        snprintf(of, sizeof(of), "of=%s", c->dd_path);
        snprintf(count, sizeof(count), "count=%zu", c->bytes);
        char *const argv[] = {"dd",
                              "if=/dev/zero",
                              of,
                              DD_BS,
                              count,
                              "iflag=count_bytes",
                              "conv=fdatasync",
                              "status=none",
                              NULL};
        return run_cmd(argv);
    } else {
        snprintf(iff, sizeof(iff), "if=%s", c->dd_path);
        char *const argv[] = {"dd", iff, "of=/dev/null", DD_BS, "status=none", NULL};
        return run_cmd(argv);
    }
}

/* One timed run of variant v (0: write, 1: read); the time is the max over ranks. */
static int timed(ctx_t *c, int v, int rd, double *t_p)
{
    double t0, t, tmax;
    int bad;

    MPI_Barrier(c->comm);
    t0 = MPI_Wtime();
    if (v == V_OURS)
        bad = rd ? ours_read(c) : ours_write(c);
    else if (v == V_MPIIO)
        bad = mpiio_rw(c, !rd);
    else
        bad = dd_rw(c, !rd);
    t = MPI_Wtime() - t0;
    MPI_Allreduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, c->comm);
    *t_p = tmax;
    return any_failed(bad != 0, c->comm);
}

/* The data read back must be the data written (outside the timing). */
static int check_read(ctx_t *c, int v)
{
    const double *ya = NULL;
    int bad = 0;
    if (v == V_OURS) {
        if (dc_vec_get_array_read(c->y, &ya) != DC_SUCCESS)
            bad = 1;
        else {
            bad = c->nlocal && memcmp(ya, c->xa, c->nlocal * sizeof(double)) != 0;
            dc_vec_restore_array_read(c->y, &ya);
        }
        if (!bad)
            dc_vec_set_all(c->y, -1.0); /* the next read must bring the data again */
    } else if (v == V_MPIIO) {
        bad = c->nlocal && memcmp(c->rbuf, c->xa, c->nlocal * sizeof(double)) != 0;
        memset(c->rbuf, 0xff, c->nlocal * sizeof(double));
    }
    if (bad)
        fprintf(stderr, "[rank %d] %s read back other data than was written\n", g_rank, vname[v]);
    return any_failed(bad, c->comm);
}

static void ours_file(ctx_t *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s/ckpt.%012lld.h5", c->ours_dir, (long long)c->step);
}

/* ---------------------------------------------------------------- one size */

static double fill_value(dc_gidx_t g, void *ctx)
{
    (void)ctx;
    return (double)g * 0.5 + 1.0;
}

static int bench_size(dc_env_t *env, MPI_Comm comm, MPI_Comm node_comm, const opts_t *o,
                      size_t bytes, int reps, int64_t *step, meas_t *m, int *cached_p,
                      double t_begin)
{
    ctx_t c;
    dc_layout_t *layout = NULL;
    dc_ckpt_params_t prm;
    int failed = 0, r, k, rd;
    char path[1200];

    memset(&c, 0, sizeof(c));
    memset(m, 0, sizeof(*m));
    c.env = env;
    c.comm = comm;
    c.bytes = bytes;
    snprintf(c.dd_path, sizeof(c.dd_path), "%s/dd.bin", o->dir);
    snprintf(c.mpiio_path, sizeof(c.mpiio_path), "%s/mpiio.bin", o->dir);
    snprintf(c.ours_dir, sizeof(c.ours_dir), "%s/ours", o->dir);
    /* keep every checkpoint of this size: no old one is removed inside a timed write, as dd and
     * MPI-IO remove nothing either (their old files go untimed) */
    memset(&prm, 0, sizeof(prm));
    prm.field_mask = DC_CKPT_PARAM_KEEP;
    prm.keep = reps + 1;
    if (dc_layout_create_block(env, (dc_gidx_t)(bytes / sizeof(double)), &layout) != DC_SUCCESS ||
        dc_vec_create(layout, &c.x) != DC_SUCCESS || dc_vec_create(layout, &c.y) != DC_SUCCESS ||
        dc_vec_fill(c.x, fill_value, NULL) != DC_SUCCESS ||
        dc_ckpt_create(env, c.ours_dir, &prm, &c.ck) != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] setup failed: %s\n", g_rank, dc_env_last_error(env));
        failed = 1;
    }
    failed = any_failed(failed, comm);
    if (!failed) {
        dc_vec_get_local_size(c.x, &c.nlocal);
        dc_layout_get_range(layout, g_rank, &c.lo, NULL);
        dc_vec_get_array_read(c.x, &c.xa);
        c.rbuf = malloc(c.nlocal ? c.nlocal * sizeof(double) : 1);
        failed = any_failed(c.rbuf == NULL, comm);
    }
    for (r = 0; r < reps && !failed; r++) {
        int stop = 0;
        char sz[32];
        fmt_size(bytes, sz, sizeof(sz));
        dcb_progress(&g_b, "%s rep %d/%d", sz, r + 1, reps);
        c.step = ++*step;
        for (rd = 0; rd < 2 && !failed; rd++) {
            for (k = 0; k < NVARIANTS && !failed; k++) {
                int v = (r + k) % NVARIANTS;
                if (!rd) {
                    /* a new file each time, as a checkpoint is */
                    if (g_rank == 0 && v != V_OURS)
                        unlink(v == V_DD ? c.dd_path : c.mpiio_path);
                    sync();
                } else if (!*cached_p) {
                    if (drop_caches(node_comm, comm) != 0) {
                        if (g_rank == 0)
                            printf("note: cannot drop the page cache (needs root): every "
                                   "variant reads from the page cache from here on\n");
                        *cached_p = 1;
                    }
                }
                if (rd && *cached_p && g_rank == 0) {
                    if (v == V_OURS)
                        ours_file(&c, path, sizeof(path));
                    warm_file(v == V_OURS ? path : v == V_DD ? c.dd_path : c.mpiio_path);
                }
                failed = timed(&c, v, rd, &m->t[rd][v][r]);
                if (!failed && rd)
                    failed = check_read(&c, v);
            }
        }
        m->nrep = r + 1;
        if (g_rank == 0)
            stop = r + 1 >= 3 && MPI_Wtime() - t_begin > o->time_limit;
        MPI_Bcast(&stop, 1, MPI_INT, 0, comm);
        if (stop && r + 1 < reps) {
            if (g_rank == 0)
                printf("note: time limit (%.0f s) reached: %d of %d repetitions at this size\n",
                       o->time_limit, r + 1, reps);
            break;
        }
    }
    if (c.xa != NULL)
        dc_vec_restore_array_read(c.x, &c.xa);
    free(c.rbuf);
    if (c.ck != NULL)
        dc_ckpt_destroy(&c.ck);
    dc_vec_destroy(&c.x);
    dc_vec_destroy(&c.y);
    dc_layout_destroy(&layout);
    MPI_Barrier(comm);
    if (g_rank == 0) {
        char *const argv[] = {"rm", "-rf", "--", c.ours_dir, NULL};
        unlink(c.dd_path);
        unlink(c.mpiio_path);
        run_cmd(argv);
    }
    return failed;
}

/* ---------------------------------------------------------------- report */

static void report_size(size_t bytes, const meas_t *m, int is_target, int cached, int disturbed)
{
    static const char *const opname[2] = {"write", "read"};
    char sz[32];
    int rd, v, r;

    fmt_size(bytes, sz, sizeof(sz));
    dcb_progress_clear(&g_b);
    for (rd = 0; rd < 2; rd++) {
        double ratio[NVARIANTS][MAX_REPS], med[NVARIANTS], lo, hi, gmed, glo, ghi;
        for (v = 0; v < NVARIANTS; v++) {
            double gbs[MAX_REPS];
            for (r = 0; r < m->nrep; r++) {
                gbs[r] = (double)bytes / 1e9 / m->t[rd][v][r];
                ratio[v][r] = m->t[rd][V_DD][r] / m->t[rd][v][r];
            }
            stats(gbs, m->nrep, &gmed, &glo, &ghi);
            stats(ratio[v], m->nrep, &med[v], &lo, &hi);
            for (r = 0; r < m->nrep; r++)
                dcb_row(&g_b, vcsv[v], (double)bytes, r, "gbytes_per_s", gbs[r], "GB/s",
                        opname[rd]);
            if (v != V_DD)
                dcb_ratio_rows(&g_b, vcsv[v], "dd", (double)bytes, opname[rd], m->t[rd][v],
                               m->t[rd][V_DD], m->nrep);
            if (v == V_DD)
                printf("%-8s %-5s %-8s %7.3f [%6.3f - %6.3f]        1 (baseline)\n", sz, opname[rd],
                       vname[v], gmed, glo, ghi);
            else
                printf("%-8s %-5s %-8s %7.3f [%6.3f - %6.3f]   %5.2fx [%4.2f - %4.2f]\n", sz,
                       opname[rd], vname[v], gmed, glo, ghi, med[v], lo, hi);
        }
        if (!is_target)
            continue;
        g_targets++;
        if (med[V_OURS] >= TARGET) {
            printf("  %s %s: dc_ckpt / dd = %.2fx >= %.2fx: target met%s\n", sz, opname[rd],
                   med[V_OURS], TARGET,
                   disturbed ? " (disturbed: other work ran during this size)" : "");
        } else {
            char why[400];
            if (med[V_MPIIO] < TARGET)
                snprintf(why, sizeof(why),
                         "raw MPI-IO below it measures %.2fx dd; dc_ckpt / MPI-IO = %.2fx",
                         med[V_MPIIO], med[V_OURS] / med[V_MPIIO]);
            else
                snprintf(why, sizeof(why),
                         "raw MPI-IO measures %.2fx dd: the overhead is the checkpoint layer's "
                         "(dc_ckpt / MPI-IO = %.2fx)",
                         med[V_MPIIO], med[V_OURS] / med[V_MPIIO]);
            if (disturbed)
                strncat(why, "; other work ran meanwhile (disturbed)",
                        sizeof(why) - strlen(why) - 1);
            printf("  %s %s: target missed (measured %.2fx < %.2fx; reason: %s)\n", sz, opname[rd],
                   med[V_OURS], TARGET, why);
            g_missed++;
            snprintf(g_missed_text + strlen(g_missed_text),
                     sizeof(g_missed_text) - strlen(g_missed_text), "%s%s %s %.2fx",
                     g_missed_text[0] ? ", " : "", opname[rd], sz, med[V_OURS]);
        }
    }
    (void)cached;
}

/* ---------------------------------------------------------------- arguments */

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    switch (*end) {
    case 'k':
    case 'K':
        v <<= 10;
        end++;
        break;
    case 'm':
    case 'M':
        v <<= 20;
        end++;
        break;
    case 'g':
    case 'G':
        v <<= 30;
        end++;
        break;
    default: break;
    }
    if (end == s || (*end != '\0' && *end != ',') || v < 8 * 4)
        return -1;
    *out = (size_t)(v / 8 * 8);
    return (int)(end - s);
}

static void usage(void)
{
    if (g_rank == 0)
        printf("usage: bench_ckpt [--bytes LIST] [--reps N] [--dir DIR] [--cached] "
               "[--time-limit S]\n"
               "  --bytes LIST      checkpoint sizes, e.g. 16M,128M,1G (default); the targets "
               "apply at the largest\n"
               "  --reps N          repetitions per size (default 5; sizes below 256 MiB get "
               "twice as many)\n"
               "  --dir DIR         directory for the files (default: $TMPDIR or /tmp)\n"
               "  --cached          reads from the page cache, even as root\n"
               "  --time-limit S    fewer repetitions (at least 3) past S seconds (default 240)\n"
               "  --csv PATH        the CSV rows to PATH (default $DC_BENCH_OUT/bench_ckpt.csv)\n");
}

static int parse_args(int argc, char **argv, opts_t *o)
{
    int i;
    memset(o, 0, sizeof(*o));
    o->reps = 5;
    o->time_limit = 240.0;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return 1;
        if (!strcmp(a, "--cached")) {
            o->cached = 1;
            continue;
        }
        if (i + 1 >= argc)
            return -1;
        val = argv[++i];
        if (!strcmp(a, "--bytes")) {
            const char *p = val;
            o->nbytes = 0;
            for (;;) {
                int n;
                if (o->nbytes == MAX_SIZES || (n = parse_size(p, &o->bytes[o->nbytes])) < 0)
                    return -1;
                o->nbytes++;
                p += n;
                if (*p == '\0')
                    break;
                p++;
            }
        } else if (!strcmp(a, "--reps")) {
            o->reps = atoi(val);
            if (o->reps < 1 || o->reps > MAX_REPS / 2)
                return -1;
        } else if (!strcmp(a, "--dir")) {
            if (strlen(val) + 1 > sizeof(o->dir))
                return -1;
            strcpy(o->dir, val);
        } else if (!strcmp(a, "--csv")) {
            o->csv = val;
        } else if (!strcmp(a, "--time-limit")) {
            o->time_limit = atof(val);
            if (o->time_limit <= 0)
                return -1;
        } else {
            return -1;
        }
    }
    if (o->nbytes == 0) {
        o->bytes[0] = (size_t)16 << 20;
        o->bytes[1] = (size_t)128 << 20;
        o->bytes[2] = (size_t)1 << 30;
        o->nbytes = 3;
    }
    return 0;
}

/* The run's own directory: DIR/dc-bench-ckpt.<pid of rank 0>, made by rank 0. */
static int make_dir(opts_t *o, MPI_Comm comm)
{
    int ok = 1;
    if (g_rank == 0) {
        const char *base = o->dir[0] ? o->dir : getenv("TMPDIR");
        char d[1024];
        if (base == NULL || base[0] == '\0')
            base = "/tmp";
        snprintf(d, sizeof(d), "%s/dc-bench-ckpt.%ld", base, (long)getpid());
        ok = mkdir(d, 0700) == 0;
        if (!ok)
            fprintf(stderr, "bench_ckpt: cannot create %s: %s\n", d, strerror(errno));
        strcpy(o->dir, d);
    }
    MPI_Bcast(o->dir, (int)sizeof(o->dir), MPI_CHAR, 0, comm);
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
    o->own_dir = ok;
    return ok ? 0 : -1;
}

static void remove_dir(const opts_t *o)
{
    char *const argv[] = {"rm", "-rf", "--", (char *)o->dir, NULL};
    if (g_rank == 0 && o->own_dir)
        run_cmd(argv);
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    MPI_Comm comm, node_comm;
    dc_env_t *env = NULL;
    dc_env_params_t p;
    opts_t o;
    meas_t *m;
    int pr, failed = 0, i, cached, target_i = 0;
    int64_t step = 0;
    double t_begin;
    dcb_cpu_t c0;
    int disturbed;

    MPI_Init(&argc, &argv);
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    MPI_Comm_rank(comm, &g_rank);
    MPI_Comm_size(comm, &g_size);
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node_comm);
    pr = parse_args(argc, argv, &o);
    if (pr != 0) {
        if (pr < 0 && g_rank == 0)
            fprintf(stderr, "bench_ckpt: bad arguments\n");
        usage();
        MPI_Finalize();
        return pr < 0 ? 2 : 0;
    }
    memset(&p, 0, sizeof(p));
    p.field_mask = DC_ENV_PARAM_DEBUG | (getenv("DC_PROFILE") != NULL ? 0 : DC_ENV_PARAM_PROFILE);
    if (dc_env_create(comm, &p, &env) != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] dc_env_create: %s\n", g_rank, dc_env_last_error(NULL));
        MPI_Finalize();
        return 1;
    }
    for (i = 1; i < o.nbytes; i++)
        if (o.bytes[i] > o.bytes[target_i])
            target_i = i;
    if (make_dir(&o, comm) != 0) {
        dc_env_destroy(&env);
        MPI_Finalize();
        return 1;
    }
    cached = o.cached || geteuid() != 0;
    failed = dcb_init(&g_b, "bench_ckpt", comm, env, o.csv) != 0;
    dcb_print_start(&g_b);
    if (g_rank == 0) {
        char tsz[32];
        struct statvfs sv;
        fmt_size(o.bytes[target_i], tsz, sizeof(tsz));
        if (statvfs(o.dir, &sv) == 0)
            printf("directory: %s (%s, %.1f GiB free)\n", o.dir, fs_name(o.dir),
                   (double)sv.f_bavail * (double)sv.f_frsize / (double)(1u << 30));
        printf("method: variants interleaved, order rotating per repetition; time = max over "
               "ranks, open to close; writes to new files, synced (dd conv=fdatasync, MPI-IO "
               "MPI_File_sync, dc_ckpt_write_end); %s; every read checked\n",
               cached ? "reads from the page cache (each file read once untimed before; "
                        "not root or --cached)"
                      : "reads from the disk (page cache dropped before every read)");
        printf("dc_ckpt: one dc_vec \"x\" (block layout) per checkpoint, keep = repetitions + 1 "
               "(no old checkpoint is removed inside a timed write); MPI-IO: "
               "MPI_File_write_at_all / read_at_all of each rank's block; dd: one process, %s\n",
               DD_BS);
        printf("target: dc_ckpt >= %.2fx dd for write and for read at %s (other sizes "
               "informational)\n\n",
               TARGET, tsz);
        printf("%-8s %-5s %-8s %-25s %s\n", "size", "op", "variant", "GB/s median [min - max]",
               "ratio to dd median [min - max]");
    }
    m = malloc(sizeof(*m));
    failed = any_failed(failed || m == NULL, comm);
    t_begin = MPI_Wtime();
    for (i = 0; i < o.nbytes && !failed; i++) {
        int reps = o.bytes[i] < ((size_t)256 << 20) ? 2 * o.reps : o.reps;
        int was_cached = cached, room = 1;
        if (g_rank == 0) {
            /* dc_ckpt keeps all its files of this size; dd's and MPI-IO's files */
            struct statvfs sv;
            double need = (double)(reps + 2) * (double)o.bytes[i] + (double)(64u << 20);
            room = statvfs(o.dir, &sv) != 0 || (double)sv.f_bavail * (double)sv.f_frsize >= need;
            if (!room) {
                char sz[32];
                fmt_size(o.bytes[i], sz, sizeof(sz));
                printf("%-8s skipped: needs %.1f GiB free in %s, has %.1f GiB\n", sz,
                       need / (double)(1u << 30), o.dir,
                       (double)sv.f_bavail * (double)sv.f_frsize / (double)(1u << 30));
                if (i == target_i) {
                    g_targets += 2;
                    g_missed += 2;
                    snprintf(g_missed_text, sizeof(g_missed_text),
                             "write and read %s not measured (no room)", sz);
                }
            }
        }
        MPI_Bcast(&room, 1, MPI_INT, 0, comm);
        if (!room)
            continue;
        dcb_cpu_read(&g_b, &c0);
        failed = bench_size(env, comm, node_comm, &o, o.bytes[i], reps, &step, m, &cached, t_begin);
        disturbed = dcb_span_end(&g_b, &c0) > DCB_DISTURBED_OTHER;
        if (!failed && g_rank == 0) {
            if (cached != was_cached)
                printf("note: the reads of this size mix disk and page cache\n");
            report_size(o.bytes[i], m, i == target_i, cached, disturbed);
        }
    }
    free(m);
    remove_dir(&o);
    dcb_finish(&g_b);
    if (g_rank == 0) {
        if (failed)
            printf("bench_ckpt: FAILED (a call failed or data read back was wrong; see "
                   "stderr)\n");
        else if (g_missed == 0)
            printf("bench_ckpt: all %d targets met%s\n", g_targets, dcb_verdict_note(&g_b));
        else
            printf("bench_ckpt: %d of %d targets met; missed: %s%s\n", g_targets - g_missed,
                   g_targets, g_missed_text, dcb_verdict_note(&g_b));
    }
    dcb_free(&g_b);
    dc_env_destroy(&env);
    MPI_Comm_free(&node_comm);
    MPI_Comm_free(&comm);
    MPI_Finalize();
    return failed ? 1 : 0;
}
