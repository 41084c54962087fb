/*
 * The run report as text for people, in the manner of PETSc's -log_view: a header (versions,
 * ranks, nodes, wall time, reproducibility, BLAS threads, placement, options), the operations,
 * the time of each rank, the communication matrix, then each user region with its own
 * operations. Written on rank 0 from the data of lib/prof_collect.c.
 */
#include "dc_impl.h"
#include "prof_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MATRIX_MAX_RANKS 16 /* the per-rank matrix is printed up to this many ranks */

static const char *repro_name(int r)
{
    return r == DC_REPRO_EXACT ? "exact" : r == DC_REPRO_BINNED ? "binned" : "off";
}

static void ops_header(FILE *f, const char *indent)
{
    fprintf(f, "%s%-24s %9s %5s %10s %10s %10s %7s %7s %10s %10s %10s %10s %8s %10s %8s\n", indent,
            "operation", "calls", "%T", "min [s]", "avg [s]", "max [s]", "slowest", "max/avg",
            "comm [s]", "wait [s]", "sent [B]", "recv [B]", "msgs", "flops", "GFLOP/s");
}

static void ops_rows(FILE *f, const char *indent, const dci_opsum_t *ops, double wall_sum)
{
    int e;

    for (e = 0; e < DCI_EV_COUNT; e++) {
        const dci_opsum_t *o = &ops[e];
        char gf[32];
        if (o->calls == 0)
            continue;
        if (o->flops > 0.0 && o->tmax > 0.0)
            snprintf(gf, sizeof(gf), "%8.3f", o->flops / o->tmax * 1e-9);
        else
            snprintf(gf, sizeof(gf), "%8s", "-");
        fprintf(f,
                "%s%-24s %9llu %5.1f %10.3e %10.3e %10.3e %7d %7.3f %10.3e %10.3e %10.4g %10.4g "
                "%8llu %10.4g %s\n",
                indent, dci_prof_event_name(e), (unsigned long long)o->calls,
                wall_sum > 0.0 ? 100.0 * o->tsum / wall_sum : 0.0, o->tmin, o->tavg, o->tmax,
                o->tmax_rank, o->tavg > 0.0 ? o->tmax / o->tavg : 1.0, o->cavg, o->wavg,
                (double)o->sbytes, (double)o->rbytes, (unsigned long long)o->smsgs, o->flops, gf);
    }
}

static void header(dc_env_t *env, const dci_prof_report_t *rep, FILE *f)
{
    int i, n = dci_options_count(), bmin = rep->place[0].blas_threads, bmax = bmin;
    char val[1100];

    for (i = 1; i < rep->size; i++) {
        bmin = rep->place[i].blas_threads < bmin ? rep->place[i].blas_threads : bmin;
        bmax = rep->place[i].blas_threads > bmax ? rep->place[i].blas_threads : bmax;
    }
    fprintf(f, "==== libdcompute run report ====\n");
    fprintf(f, "library   libdcompute %s; MPI %s (%s); BLAS %s\n", DC_VERSION_STRING,
            dci_prof_mpi_name(), rep->mpi_library, dci_prof_blas_name());
    fprintf(f, "run       %d rank(s) on %d node(s), wall time %.6f s (max over ranks)\n", rep->size,
            rep->nnodes, rep->wall);
    fprintf(f, "          reproducibility %s; BLAS threads per rank %d",
            repro_name(env->opts.repro), bmin);
    if (bmax != bmin)
        fprintf(f, "-%d", bmax);
    fprintf(f, "; %s\n",
            rep->oversubscribed ? "OVERSUBSCRIBED (more ranks than cores on a node)"
                                : "not oversubscribed");
    if (rep->wait_sampling == 1)
        fprintf(f, "          wait measured at every library collective's entry (a timed barrier, "
                   "DC_PROFILE_SYNC=1)\n");
    else if (rep->wait_sampling > 1)
        fprintf(f,
                "          wait measured at 1 of every %d library collective entries per "
                "operation (a timed barrier, DC_PROFILE_SYNC=%d), estimated for the others; "
                "DC_PROFILE_SYNC=1: every entry\n",
                rep->wait_sampling, rep->wait_sampling);
    else
        fprintf(f, "          wait not measured (DC_PROFILE_SYNC=0 or profiling switched on "
                   "after dc_env_create)\n");
    fprintf(f, "options  ");
    for (i = 0; i < n; i++) {
        const char *name = dci_options_get(&env->opts, i, val, sizeof(val));
        fprintf(f, " %s=%s", name, val[0] != '\0' ? val : "\"\"");
    }
    fprintf(f, "\n");
}

static void ranks_table(const dci_prof_report_t *rep, FILE *f)
{
    int i;

    fprintf(f, "\nper rank (compute = in library operations minus comm and wait; outside = not in "
               "the library)\n");
    fprintf(f, "%5s %-16s %10s %11s %10s %10s %11s %10s %10s\n", "rank", "node", "wall [s]",
            "compute [s]", "comm [s]", "wait [s]", "outside [s]", "sent [B]", "recv [B]");
    for (i = 0; i < rep->size; i++) {
        const dci_rank_sum_t *r = &rep->ranks[i];
        fprintf(f, "%5d %-16s %10.4f %11.4f %10.4f %10.4f %11.4f %10.4g %10.4g\n", i,
                rep->place[i].node_name, r->wall, r->compute, r->comm, r->wait, r->outside,
                (double)r->sent, (double)r->recv);
    }
}

static void matrices(const dci_prof_report_t *rep, FILE *f)
{
    int i, j, P = rep->size, N = rep->nnodes;

    fprintf(f, "\ncommunication matrix: point-to-point bytes the library passed to MPI, row = "
               "sender, column = receiver\n");
    if (P <= MATRIX_MAX_RANKS) {
        fprintf(f, "%8s", "from\\to");
        for (j = 0; j < P; j++)
            fprintf(f, " %10d", j);
        fprintf(f, "\n");
        for (i = 0; i < P; i++) {
            fprintf(f, "%8d", i);
            for (j = 0; j < P; j++)
                fprintf(f, " %10llu", (unsigned long long)rep->matrix[(size_t)i * P + j]);
            fprintf(f, "\n");
        }
    } else {
        fprintf(f, "(%d ranks: per rank in the JSON report only; per node pair below)\n", P);
    }
    fprintf(f, "per node pair:\n%-16s", "from\\to");
    for (j = 0; j < N; j++)
        fprintf(f, " %16s", rep->node_names[j]);
    fprintf(f, "\n");
    for (i = 0; i < N; i++) {
        fprintf(f, "%-16s", rep->node_names[i]);
        for (j = 0; j < N; j++)
            fprintf(f, " %16llu", (unsigned long long)rep->node_matrix[(size_t)i * N + j]);
        fprintf(f, "\n");
    }
}

static void regions(const dci_prof_report_t *rep, FILE *f)
{
    char indent[2 * DCI_REGION_DEPTH + 3];
    int i, j;

    if (rep->nreg == 0)
        return;
    fprintf(f, "\nuser regions (operations while a region is the innermost open one; times "
               "inclusive, over the ranks that have it)\n");
    for (i = 0; i < rep->nreg; i++) {
        const dci_region_sum_t *g = &rep->reg[i];
        int d = g->depth < DCI_REGION_DEPTH ? g->depth : DCI_REGION_DEPTH;
        memset(indent, ' ', (size_t)(2 * d + 2));
        indent[2 * d + 2] = '\0';
        fprintf(f, "%.*sregion %s: %llu call(s), time min %.4e avg %.4e max %.4e s (rank %d)",
                2 * d, indent, g->path, (unsigned long long)g->calls, g->tmin, g->tavg, g->tmax,
                g->tmax_rank);
        if (g->nranks == rep->size) {
            fprintf(f, ", on all ranks\n");
        } else {
            fprintf(f, ", on %d rank(s):", g->nranks);
            for (j = 0; j < rep->size; j++)
                if (g->have[j])
                    fprintf(f, " %d", j);
            fprintf(f, "\n");
        }
        ops_header(f, indent);
        ops_rows(f, indent, g->ops, rep->wall_sum);
    }
}

int dci_prof_write_text(dc_env_t *env, const dci_prof_report_t *rep, FILE *f)
{
    header(env, rep, f);
    fprintf(f, "\noperations (calls and bytes summed over ranks; time per rank min/avg/max; %%T = "
               "share of all ranks' wall time; comm and wait: average per rank)\n");
    ops_header(f, "");
    ops_rows(f, "", rep->ops, rep->wall_sum);
    ranks_table(rep, f);
    matrices(rep, f);
    regions(rep, f);
    fflush(f);
    if (ferror(f))
        return DC_ERR(env, DC_ERR_IO, "writing the run report failed: %s", strerror(errno));
    return DC_SUCCESS;
}
