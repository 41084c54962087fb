/*
 * Private to the profiler: user regions (lib/prof_region.c), the run report gathered over ranks
 * (lib/prof_collect.c) and its writers (lib/prof_text.c, lib/prof_json.c).
 */
#ifndef DC_PROF_IMPL_H
#define DC_PROF_IMPL_H

#include "dc_impl.h"

#include <stdio.h>

#define DCI_REGION_DEPTH 16 /* regions open at once */
#define DCI_REGION_MAX   64 /* distinct regions (name under its parent) per env */
#define DCI_REGION_NAME  64 /* bytes of a name, '\0' included */

/* One region of this rank: a name under a parent region. */
typedef struct dci_region {
    char name[DCI_REGION_NAME];
    int parent; /* index in dci_prof_regions::r, -1 at the top */
    int depth;  /* 0 at the top */
    uint64_t calls;
    double time, t0;                /* inclusive time; start of the open interval */
    dci_prof_ev_t ev[DCI_EV_COUNT]; /* operations while it is the innermost open region */
} dci_region_t;

struct dci_prof_regions {
    int n;
    dci_region_t *r[DCI_REGION_MAX];
    int stack[DCI_REGION_DEPTH]; /* open regions, innermost last */
    int nstack;
};

/* Counters of operation ev of the innermost open region, or NULL (no region open). */
static inline dci_prof_ev_t *dci_region_ev(dci_prof_t *p, int ev)
{
    struct dci_prof_regions *R = p->regions;

    if (R == NULL || R->nstack == 0)
        return NULL;
    return &R->r[R->stack[R->nstack - 1]]->ev[ev];
}

/* Free the regions (dci_prof_fini); clear their counts, keeping those open (dc_prof_reset). */
void dci_regions_free(dci_prof_t *p);
void dci_regions_clear(dci_prof_t *p, double now);
/* "outer/inner": the path of this rank's region i into buf. */
void dci_region_path(const struct dci_prof_regions *R, int i, char *buf, size_t len);

/* ---------------------------------------------------------------- the report (rank 0) */

/* One operation over ranks. */
typedef struct dci_opsum {
    uint64_t calls, sbytes, rbytes, smsgs, rmsgs; /* sums over ranks */
    double tmin, tavg, tmax, tsum;
    int tmax_rank;
    double cmin, cavg, cmax; /* comm seconds */
    double wmin, wavg, wmax; /* wait seconds */
    double flops;            /* sum over ranks */
} dci_opsum_t;

typedef struct dci_rank_sum {
    double wall, compute, comm, wait, outside;
    uint64_t sent, recv;
} dci_rank_sum_t;

typedef struct dci_region_sum {
    char path[DCI_REGION_DEPTH * DCI_REGION_NAME];
    const char *name; /* last component of path */
    int depth;
    uint64_t calls; /* sum over ranks */
    double tmin, tavg, tmax;
    int tmax_rank;
    int nranks;          /* ranks that have it */
    unsigned char *have; /* [size]: 1 where the rank has it */
    dci_opsum_t ops[DCI_EV_COUNT];
} dci_region_sum_t;

typedef struct dci_prof_report {
    int size, nnodes;
    double wall;     /* max over ranks */
    double wall_sum; /* sum over ranks: the base of the percentages */
    int wait_measured;
    int wait_sampling; /* DC_PROFILE_SYNC: barrier at 1 of every N entries; 0: not measured */
    int oversubscribed;
    dci_opsum_t ops[DCI_EV_COUNT];
    dci_rank_sum_t *ranks;   /* [size] */
    dc_placement_t *place;   /* [size] */
    uint64_t *matrix;        /* [size * size]: row = sender */
    uint64_t *node_matrix;   /* [nnodes * nnodes] */
    const char **node_names; /* [nnodes], into place */
    int nreg;
    dci_region_sum_t *reg; /* [nreg] */
    char mpi_library[256];
} dci_prof_report_t;

/* Collective: everything the report shows, reduced to rank 0 (*rep_p NULL elsewhere). */
int dci_prof_collect(dc_env_t *env, dci_prof_report_t **rep_p);
void dci_prof_report_free(dci_prof_report_t *rep);
/* Rank 0: write the report; DC_ERR_IO (a write failed) or DC_ERR_NOMEM. */
int dci_prof_write_text(dc_env_t *env, const dci_prof_report_t *rep, FILE *f);
int dci_prof_write_json(dc_env_t *env, const dci_prof_report_t *rep, FILE *f);

/* Library descriptions for the header of the report. */
const char *dci_prof_mpi_name(void);
const char *dci_prof_blas_name(void);

#endif /* DC_PROF_IMPL_H */
