/*
 * bench_util: what every benchmark under bench/ shares, so that their figures are read the same
 * way: the load of the machine at start and at end and the CPU time other work took meanwhile
 * (a run known to be disturbed says so next to its verdict), interleaved repetitions of the
 * variants compared (A B, B A, ...; with three or more the order rotates), medians with min-max
 * over repetitions, the machine-readable results ($DC_BENCH_OUT/<bench>.csv, format in
 * docs/benchmarks.md) and a progress line on a terminal.
 */
#ifndef DC_BENCH_UTIL_H
#define DC_BENCH_UTIL_H

#include <dcompute.h>

#include <stdio.h>

#define DCB_MAX_REPS 64
/* other work above this share of the node's CPUs during a run or a measurement: disturbed */
#define DCB_DISTURBED_OTHER 0.05

/* ---------------------------------------------------------------- statistics */

/** Median, minimum and maximum of a sample. */
typedef struct {
    double med, lo, hi;
} dcb_stat_t;

/* Median of v[0..n) (v is not modified; n <= DCB_MAX_REPS); 0 when n <= 0. */
double dcb_median(const double *v, int n);
/* Median, minimum and maximum of v[0..n); all 0 when n <= 0. */
void dcb_stats(const double *v, int n, dcb_stat_t *st);
/* The same of the per-repetition ratios num[r] / den[r] (0 where den[r] <= 0). */
void dcb_ratio_stats(const double *num, const double *den, int n, dcb_stat_t *st);

/* ---------------------------------------------------------------- CSV */

/* The run's description, the same in every row. */
typedef struct {
    char bench[32];
    int np, nodes;
    char mpi[64];       /* "openmpi 4.1.4", "mpich 4.0.2" */
    char blas[96];      /* "openblas 0.3.21 Haswell" */
    char placement[64]; /* worst verdict over ranks: "ok bound", "unbound", "oversubscribed" */
    char machine[128];  /* host name of rank 0 */
    char git_rev[64];   /* git describe --always --dirty at build time, or "unknown" */
    double load1;       /* /proc/loadavg first field at the start (-1: unknown) */
    char utc[32];       /* start, ISO 8601 */
} dcb_meta_t;

typedef struct {
    FILE *f;
    dcb_meta_t meta;
    int rows;
} dcb_csv_t;

/* The header line, without the newline. */
extern const char dcb_csv_header[];
/* Opens path (truncated) and writes the header; 0, or -1 with errno. */
int dcb_csv_open(dcb_csv_t *c, const char *path, const dcb_meta_t *meta);
/* One row; text fields quoted as RFC 4180 wants when they hold ',', '"' or a line break. */
int dcb_csv_row(dcb_csv_t *c, const char *variant, double size, int rep, const char *metric,
                double value, const char *unit, const char *kase);
/* Closes; 0, or -1 if a write failed. NULL-safe. */
int dcb_csv_close(dcb_csv_t *c);

/* ---------------------------------------------------------------- the run */

/* CPU seconds of rank 0's node: busy time of all its CPUs and the share of this job's ranks. */
typedef struct {
    double wall, busy, ours;
} dcb_cpu_t;

typedef struct {
    const char *name;
    MPI_Comm comm;      /* the benchmark's communicator (not owned) */
    MPI_Comm node_comm; /* ranks on this node (owned) */
    int rank, size, node_size;
    long ncpu;         /* online CPUs of rank 0's node */
    FILE *tty;         /* progress line: rank 0's terminal (stderr, else /dev/tty), or NULL */
    int progress_len;  /* characters of the progress line on screen */
    double t_start;    /* MPI_Wtime at dcb_init */
    double load_start; /* load average (1 min) at start, -1: unknown */
    double load_end;
    double other;    /* share of the node's CPUs other work used during the run (-1: unknown) */
    int busy_start;  /* load_start > ncpu - ranks of this job on the node */
    int disturbed;   /* set by dcb_finish (and by dcb_span_end for a measurement) */
    int ndisturbed;  /* measurements found disturbed */
    dcb_cpu_t cpu0;  /* at dcb_init */
    dcb_meta_t meta; /* CSV columns */
    dcb_csv_t csv;   /* open on rank 0 when DC_BENCH_OUT (or dcb_set_csv) names a place */
    char note[256];  /* "" or the disturbed note of dcb_finish */
} dcb_t;

/* Collective on comm: the machine, MPI, BLAS, placement (from env), load and time at start;
 * opens $DC_BENCH_OUT/<name>.csv on rank 0 when DC_BENCH_OUT is set (a directory; created if
 * missing) or csv_path when not NULL. Returns 0, or -1 (on every rank) if the CSV cannot be
 * opened. */
int dcb_init(dcb_t *b, const char *name, MPI_Comm comm, dc_env_t *env, const char *csv_path);
/* Rank 0: the lines every benchmark prints first (MPI, placement, load, busy warning, CSV). */
void dcb_print_start(const dcb_t *b);
/* Collective: load at end, other work during the run, and (rank 0) the lines saying so;
 * closes the CSV. Returns 1 if the run was disturbed (b->note holds the note), else 0. */
int dcb_finish(dcb_t *b);
/* The text to append to a verdict line: "" or " -- disturbed: ...; verdict not trusted". */
const char *dcb_verdict_note(const dcb_t *b);
/* Collective: frees what dcb_init made (after dcb_finish). */
void dcb_free(dcb_t *b);

/* Collective: node CPU accounting now (rank 0 holds the node's figures). */
void dcb_cpu_read(dcb_t *b, dcb_cpu_t *c);
/* Share of the node's CPUs used by other work between s and e (-1: unknown). Rank 0's. */
double dcb_cpu_other(const dcb_t *b, const dcb_cpu_t *s, const dcb_cpu_t *e);
/* Collective: other work since s, agreed (rank 0's figure); counts a disturbed measurement. */
double dcb_span_end(dcb_t *b, const dcb_cpu_t *s);

/* Rank 0 writes one CSV row (no-op elsewhere or without a CSV). */
void dcb_row(dcb_t *b, const char *variant, double size, int rep, const char *metric, double value,
             const char *unit, const char *kase);
/* Rank 0 writes one "ratio" row per repetition, variant "<ours>/<base>", value the speed ratio
 * t_base[r] / t_ours[r] (times in seconds: > 1 means ours is faster). */
void dcb_ratio_rows(dcb_t *b, const char *ours, const char *base, double size, const char *kase,
                    const double *t_ours, const double *t_base, int n);

/* Rank 0 with a terminal: one updating line "<bench>: <text>, <elapsed> s". The terminal is
 * stderr when it is one, else the controlling terminal (/dev/tty: Open MPI hands ranks a pipe
 * for stderr even when mpirun runs on a terminal), so the line never lands in a log or a pipe;
 * none without a terminal or with DC_BENCH_PROGRESS=0. */
void dcb_progress(dcb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the progress line (call before printing). */
void dcb_progress_clear(dcb_t *b);

/* ---------------------------------------------------------------- interleaving */

/* One timed call of a variant: seconds (per call), agreed over ranks (the same on all). */
typedef double (*dcb_time_fn)(void *ctx);

/*
 * Collective: reps interleaved repetitions of the nv variants (fn[i] on ctx[i]); repetition r
 * runs them in the order (r + q) % nv, q = 0 .. nv-1 (A B, B A, ... for two). t[i][r] gets
 * the seconds; what names the measurement in the progress line. Returns the repetitions run
 * (reps, at most DCB_MAX_REPS).
 */
int dcb_interleave(dcb_t *b, int nv, const dcb_time_fn *fn, void *const *ctx, int reps,
                   double t[][DCB_MAX_REPS], const char *what);

#endif
