/*
 * bench_util: the shared part of the benchmarks (see bench_util.h): load and disturbance,
 * interleaved repetitions, medians with min-max, the CSV rows and the progress line.
 * Only rank 0 writes the CSV and the progress line; everything that decides (disturbed or
 * not, when to stop) is agreed over the ranks so that no rank leaves a collective early.
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/dc_bench_rev.h" /* DC_BENCH_GIT_REV, written at build time */

/* OpenBLAS names itself; weak, so that a benchmark without BLAS calls links too */
extern char *openblas_get_config(void) __attribute__((weak));
extern char *openblas_get_corename(void) __attribute__((weak));

const char dcb_csv_header[] = "bench,variant,size,rep,metric,value,unit,np,nodes,mpi,blas,"
                              "placement,machine,git_rev,load1,utc,case";

/* ---------------------------------------------------------------- statistics */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double dcb_median(const double *v, int n)
{
    double s[DCB_MAX_REPS];

    if (n <= 0)
        return 0.0;
    if (n > DCB_MAX_REPS)
        n = DCB_MAX_REPS;
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

void dcb_stats(const double *v, int n, dcb_stat_t *st)
{
    int i;

    memset(st, 0, sizeof(*st));
    if (n <= 0)
        return;
    if (n > DCB_MAX_REPS)
        n = DCB_MAX_REPS;
    st->med = dcb_median(v, n);
    st->lo = st->hi = v[0];
    for (i = 1; i < n; i++) {
        st->lo = v[i] < st->lo ? v[i] : st->lo;
        st->hi = v[i] > st->hi ? v[i] : st->hi;
    }
}

void dcb_ratio_stats(const double *num, const double *den, int n, dcb_stat_t *st)
{
    double q[DCB_MAX_REPS];
    int i;

    if (n > DCB_MAX_REPS)
        n = DCB_MAX_REPS;
    for (i = 0; i < n; i++)
        q[i] = den[i] > 0.0 ? num[i] / den[i] : 0.0;
    dcb_stats(q, n, st);
}

/* ---------------------------------------------------------------- CSV */

static void csv_text(FILE *f, const char *s)
{
    if (s == NULL)
        s = "";
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int dcb_csv_open(dcb_csv_t *c, const char *path, const dcb_meta_t *meta)
{
    memset(c, 0, sizeof(*c));
    c->f = fopen(path, "w");
    if (c->f == NULL)
        return -1;
    c->meta = *meta;
    fprintf(c->f, "%s\n", dcb_csv_header);
    return 0;
}

int dcb_csv_row(dcb_csv_t *c, const char *variant, double size, int rep, const char *metric,
                double value, const char *unit, const char *kase)
{
    const dcb_meta_t *m = &c->meta;
    FILE *f = c->f;

    if (f == NULL)
        return -1;
    csv_text(f, m->bench);
    fputc(',', f);
    csv_text(f, variant);
    fprintf(f, ",%.15g,%d,", size, rep);
    csv_text(f, metric);
    fprintf(f, ",%.10g,", value);
    csv_text(f, unit);
    fprintf(f, ",%d,%d,", m->np, m->nodes);
    csv_text(f, m->mpi);
    fputc(',', f);
    csv_text(f, m->blas);
    fputc(',', f);
    csv_text(f, m->placement);
    fputc(',', f);
    csv_text(f, m->machine);
    fputc(',', f);
    csv_text(f, m->git_rev);
    fprintf(f, ",%.2f,", m->load1);
    csv_text(f, m->utc);
    fputc(',', f);
    csv_text(f, kase);
    fputc('\n', f);
    c->rows++;
    return ferror(f) ? -1 : 0;
}

int dcb_csv_close(dcb_csv_t *c)
{
    int bad;

    if (c == NULL || c->f == NULL)
        return 0;
    bad = ferror(c->f) != 0;
    bad |= fclose(c->f) != 0;
    c->f = NULL;
    return bad ? -1 : 0;
}

/* ---------------------------------------------------------------- the run's description */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double load1(void)
{
    double load = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");

    if (f != NULL) {
        if (fscanf(f, "%lf", &load) != 1)
            load = -1.0;
        fclose(f);
    }
    return load;
}

/* "openmpi 4.1.4" / "mpich 4.0.2" from MPI_Get_library_version; its first line otherwise. */
static void mpi_name(char *buf, size_t len)
{
    char lib[MPI_MAX_LIBRARY_VERSION_STRING] = "", ver[32] = "", *p, *nl;
    int n = 0;

    MPI_Get_library_version(lib, &n);
    if ((p = strstr(lib, "Open MPI v")) != NULL) {
        sscanf(p + 10, "%31[0-9.a-z]", ver);
        snprintf(buf, len, "openmpi %s", ver);
    } else if ((p = strstr(lib, "MPICH Version:")) != NULL) {
        sscanf(p + 14, " %31[0-9.a-z]", ver);
        snprintf(buf, len, "mpich %s", ver);
    } else {
        nl = strchr(lib, '\n');
        if (nl != NULL)
            *nl = '\0';
        snprintf(buf, len, "%s", lib);
    }
}

/* "openblas 0.3.21 Haswell" (version from openblas_get_config, kernel from its corename). */
static void blas_name(char *buf, size_t len)
{
    char ver[32] = "?";
    const char *cfg = openblas_get_config ? openblas_get_config() : NULL;
    const char *core = openblas_get_corename ? openblas_get_corename() : NULL;

    if (cfg == NULL) {
        snprintf(buf, len, "unknown");
        return;
    }
    sscanf(cfg, "OpenBLAS %31s", ver);
    snprintf(buf, len, "openblas %s %s", ver, core != NULL ? core : "?");
}

/* DC_BENCH_OUT/<name>.csv (the directory made if missing) or csv_path; "" for none. */
static int csv_path_of(const char *name, const char *csv_path, char *buf, size_t len)
{
    const char *dir = getenv("DC_BENCH_OUT");

    buf[0] = '\0';
    if (csv_path != NULL) {
        snprintf(buf, len, "%s", csv_path);
        return 0;
    }
    if (dir == NULL || dir[0] == '\0')
        return 0;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return -1;
    snprintf(buf, len, "%s/%s.csv", dir, name);
    return 0;
}

int dcb_init(dcb_t *b, const char *name, MPI_Comm comm, dc_env_t *env, const char *csv_path)
{
    dc_placement_t pl;
    int mine[2], worst[2], ok = 1;
    char path[1024];
    time_t t;
    struct tm tm;

    memset(b, 0, sizeof(*b));
    b->name = name;
    b->comm = comm;
    b->t_start = MPI_Wtime();
    MPI_Comm_rank(comm, &b->rank);
    MPI_Comm_size(comm, &b->size);
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, b->rank, MPI_INFO_NULL, &b->node_comm);
    MPI_Comm_size(b->node_comm, &b->node_size);
    MPI_Bcast(&b->node_size, 1, MPI_INT, 0, comm); /* rank 0's node */
    b->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    b->tty = NULL;
    if (b->rank == 0 &&
        !(getenv("DC_BENCH_PROGRESS") && !strcmp(getenv("DC_BENCH_PROGRESS"), "0"))) {
        /* Open MPI gives ranks a pipe for stderr even on a terminal: then the terminal itself */
        if (isatty(STDERR_FILENO)) {
            b->tty = stderr;
        } else {
            int fd = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
            if (fd >= 0 && (b->tty = fdopen(fd, "w")) == NULL)
                close(fd);
        }
    }
    b->other = -1.0;

    memset(&pl, 0, sizeof(pl));
    if (env == NULL || dc_env_get_placement(env, &pl) != DC_SUCCESS) {
        pl.verdict = DC_PLACEMENT_UNBOUND;
        pl.nnodes = 0;
    }
    mine[0] = (int)pl.verdict;
    mine[1] = !pl.bound; /* any rank unbound */
    MPI_Allreduce(mine, worst, 2, MPI_INT, MPI_MAX, comm);

    snprintf(b->meta.bench, sizeof(b->meta.bench), "%s", name);
    b->meta.np = b->size;
    b->meta.nodes = pl.nnodes;
    mpi_name(b->meta.mpi, sizeof(b->meta.mpi));
    blas_name(b->meta.blas, sizeof(b->meta.blas));
    snprintf(b->meta.placement, sizeof(b->meta.placement), "%s%s",
             dc_placement_verdict_name((dc_placement_verdict_t)worst[0]),
             worst[0] == DC_PLACEMENT_OK && !worst[1] ? " bound" : "");
    if (gethostname(b->meta.machine, sizeof(b->meta.machine)) != 0)
        snprintf(b->meta.machine, sizeof(b->meta.machine), "unknown");
    b->meta.machine[sizeof(b->meta.machine) - 1] = '\0';
    snprintf(b->meta.git_rev, sizeof(b->meta.git_rev), "%s", DC_BENCH_GIT_REV);
    t = time(NULL);
    gmtime_r(&t, &tm);
    strftime(b->meta.utc, sizeof(b->meta.utc), "%Y-%m-%dT%H:%M:%SZ", &tm);
    b->load_start = b->rank == 0 ? load1() : -1.0;
    MPI_Bcast(&b->load_start, 1, MPI_DOUBLE, 0, comm);
    b->meta.load1 = b->load_start;
    b->busy_start = b->load_start > (double)(b->ncpu - b->node_size);

    if (b->rank == 0) {
        if (csv_path_of(name, csv_path, path, sizeof(path)) != 0 ||
            (path[0] != '\0' && dcb_csv_open(&b->csv, path, &b->meta) != 0)) {
            fprintf(stderr, "%s: cannot write %s: %s\n", name, path[0] ? path : "DC_BENCH_OUT",
                    strerror(errno));
            ok = 0;
        }
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
    dcb_cpu_read(b, &b->cpu0);
    return ok ? 0 : -1;
}

void dcb_print_start(const dcb_t *b)
{
    if (b->rank != 0)
        return;
    printf("%s: libdcompute %s (git %s), %d rank(s) on %d node(s), %s\n", b->name,
           DC_VERSION_STRING, b->meta.git_rev, b->size, b->meta.nodes, b->meta.machine);
    printf("MPI: %s; BLAS: %s; placement: %s (worst over ranks)\n", b->meta.mpi, b->meta.blas,
           b->meta.placement);
    if (b->load_start >= 0.0) {
        printf("load average (1 min) at start: %.2f on %ld online CPU(s), %d rank(s) of this "
               "run on the node",
               b->load_start, b->ncpu, b->node_size);
        if (b->busy_start)
            printf(" -- WARNING: the machine is busy (load > CPUs - own ranks = %ld; the "
                   "1-minute average may still hold an earlier run): figures may be "
                   "disturbed; the CPU time of other work during the run decides",
                   b->ncpu - b->node_size);
        printf("\n");
    }
    if (b->csv.f != NULL)
        printf("results also in CSV: $DC_BENCH_OUT/%s.csv (or --csv)\n", b->name);
    fflush(stdout);
}

int dcb_finish(dcb_t *b)
{
    dcb_cpu_t c1;
    double end[2];

    dcb_progress_clear(b);
    dcb_cpu_read(b, &c1);
    end[0] = b->rank == 0 ? load1() : -1.0;
    end[1] = b->rank == 0 ? dcb_cpu_other(b, &b->cpu0, &c1) : -1.0;
    MPI_Bcast(end, 2, MPI_DOUBLE, 0, b->comm);
    b->load_end = end[0];
    b->other = end[1];
    if (b->other >= 0.0)
        b->disturbed = b->other > DCB_DISTURBED_OTHER || b->ndisturbed > 0;
    else /* no CPU accounting: the load averages decide (ours count at the end) */
        b->disturbed = b->busy_start || b->load_end > (double)b->ncpu + 0.5;
    b->note[0] = '\0';
    if (b->disturbed)
        snprintf(b->note, sizeof(b->note),
                 " -- disturbed: load %.2f at start / %.2f at end, other work %.0f %% of the "
                 "node's CPUs during the run%s; verdict not trusted",
                 b->load_start, b->load_end, b->other >= 0 ? 100.0 * b->other : -1.0,
                 b->ndisturbed ? " (and during some measurements)" : "");
    if (b->rank == 0) {
        printf("\nload average (1 min) at end: %.2f (at start %.2f); other work used %.0f %% "
               "of the node's %ld CPUs during the run (limit %.0f %%): %s; %.0f s\n",
               b->load_end, b->load_start, b->other >= 0 ? 100.0 * b->other : -1.0, b->ncpu,
               100.0 * DCB_DISTURBED_OTHER, b->disturbed ? "DISTURBED" : "undisturbed",
               MPI_Wtime() - b->t_start);
        if (b->csv.f != NULL) {
            int rows = b->csv.rows;
            if (dcb_csv_close(&b->csv) != 0)
                fprintf(stderr, "%s: writing the CSV failed\n", b->name);
            else
                printf("%s: %d CSV row(s) written\n", b->name, rows);
        }
        fflush(stdout);
    }
    return b->disturbed;
}

const char *dcb_verdict_note(const dcb_t *b)
{
    return b->note;
}

void dcb_free(dcb_t *b)
{
    if (b->rank == 0)
        dcb_csv_close(&b->csv);
    if (b->tty != NULL && b->tty != stderr)
        fclose(b->tty);
    b->tty = NULL;
    if (b->node_comm != MPI_COMM_NULL && b->node_comm != 0)
        MPI_Comm_free(&b->node_comm);
}

/* ---------------------------------------------------------------- CPU accounting */

void dcb_cpu_read(dcb_t *b, dcb_cpu_t *c)
{
    struct rusage ru;
    double mine, sum = 0.0;

    getrusage(RUSAGE_SELF, &ru); /* every thread of this rank */
    mine = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    MPI_Reduce(&mine, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, b->node_comm);
    c->wall = now();
    c->ours = sum;
    c->busy = -1.0;
    if (b->rank == 0) {
        unsigned long long f[8] = {0};
        FILE *fp = fopen("/proc/stat", "r");
        if (fp != NULL) {
            if (fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2],
                       &f[3], &f[4], &f[5], &f[6], &f[7]) == 8)
                /* user nice system idle iowait irq softirq steal: all but idle and iowait */
                c->busy = (double)(f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) /
                          (double)sysconf(_SC_CLK_TCK);
            fclose(fp);
        }
    }
}

double dcb_cpu_other(const dcb_t *b, const dcb_cpu_t *s, const dcb_cpu_t *e)
{
    double other;

    if (s->busy < 0 || e->busy < 0 || e->wall <= s->wall || b->ncpu < 1)
        return -1.0;
    other = ((e->busy - s->busy) - (e->ours - s->ours)) / ((e->wall - s->wall) * (double)b->ncpu);
    return other < 0 ? 0.0 : other;
}

double dcb_span_end(dcb_t *b, const dcb_cpu_t *s)
{
    dcb_cpu_t e;
    double other;

    dcb_cpu_read(b, &e);
    other = b->rank == 0 ? dcb_cpu_other(b, s, &e) : -1.0;
    MPI_Bcast(&other, 1, MPI_DOUBLE, 0, b->comm);
    if (other > DCB_DISTURBED_OTHER)
        b->ndisturbed++;
    return other;
}

/* ---------------------------------------------------------------- rows, progress */

void dcb_row(dcb_t *b, const char *variant, double size, int rep, const char *metric, double value,
             const char *unit, const char *kase)
{
    if (b->rank == 0 && b->csv.f != NULL)
        dcb_csv_row(&b->csv, variant, size, rep, metric, value, unit, kase);
}

void dcb_ratio_rows(dcb_t *b, const char *ours, const char *base, double size, const char *kase,
                    const double *t_ours, const double *t_base, int n)
{
    char v[96];
    int r;

    if (b->rank != 0 || b->csv.f == NULL)
        return;
    snprintf(v, sizeof(v), "%s/%s", ours, base);
    for (r = 0; r < n; r++)
        dcb_csv_row(&b->csv, v, size, r, "ratio", t_ours[r] > 0 ? t_base[r] / t_ours[r] : 0.0, "",
                    kase);
}

void dcb_progress(dcb_t *b, const char *fmt, ...)
{
    char line[200];
    va_list ap;
    int n, m;

    if (b->tty == NULL)
        return;
    n = snprintf(line, sizeof(line), "%s: ", b->name);
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    if (m > 0)
        n += m;
    if (n >= (int)sizeof(line))
        n = (int)sizeof(line) - 1;
    m = snprintf(line + n, sizeof(line) - (size_t)n, ", %.0f s", MPI_Wtime() - b->t_start);
    if (m > 0)
        n += m;
    if (n >= (int)sizeof(line))
        n = (int)sizeof(line) - 1;
    fflush(stdout);
    fprintf(b->tty, "\r%s", line);
    for (m = n; m < b->progress_len; m++)
        fputc(' ', b->tty);
    fflush(b->tty);
    b->progress_len = n;
}

void dcb_progress_clear(dcb_t *b)
{
    int i;

    if (b->tty == NULL || b->progress_len == 0)
        return;
    fputc('\r', b->tty);
    for (i = 0; i < b->progress_len; i++)
        fputc(' ', b->tty);
    fputc('\r', b->tty);
    fflush(b->tty);
    b->progress_len = 0;
}

/* ---------------------------------------------------------------- interleaving */

int dcb_interleave(dcb_t *b, int nv, const dcb_time_fn *fn, void *const *ctx, int reps,
                   double t[][DCB_MAX_REPS], const char *what)
{
    int r, q;

    if (reps > DCB_MAX_REPS)
        reps = DCB_MAX_REPS;
    for (r = 0; r < reps; r++) {
        dcb_progress(b, "%s rep %d/%d", what, r + 1, reps);
        for (q = 0; q < nv; q++) {
            int i = (r + q) % nv;
            t[i][r] = fn[i](ctx[i]);
        }
    }
    return reps;
}
