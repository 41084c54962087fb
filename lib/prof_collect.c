/*
 * The run report's data, reduced to rank 0 at report time only: the union of the user regions
 * of all ranks (matched by path), then per operation (totals and per region) sums, minima and
 * maxima with their rank in four MPI_Reduce calls over one packed array each, and gathers of
 * the per-rank times, placements and point-to-point byte rows (the communication matrix).
 */
#include "dc_impl.h"
#include "prof_impl.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

#ifdef HAVE_OPENBLAS_GET_NUM_THREADS
char *openblas_get_config(void);
#endif

const char *dci_prof_mpi_name(void)
{
#if defined(OPEN_MPI)
    return "openmpi";
#elif defined(MPICH_VERSION) || defined(MPICH)
    return "mpich";
#else
    return "other";
#endif
}

const char *dci_prof_blas_name(void)
{
#ifdef HAVE_OPENBLAS_GET_NUM_THREADS
    const char *c = openblas_get_config();
    return c != NULL ? c : "OpenBLAS";
#else
    return "CBLAS";
#endif
}

void dci_prof_report_free(dci_prof_report_t *rep)
{
    int i;

    if (rep == NULL)
        return;
    for (i = 0; i < rep->nreg; i++)
        dci_free(rep->reg[i].have);
    dci_free(rep->reg);
    dci_free(rep->ranks);
    dci_free(rep->place);
    dci_free(rep->matrix);
    dci_free(rep->node_matrix);
    dci_free(rep->node_names);
    dci_free(rep);
}

/* This rank's regions as '\0'-terminated paths, one after the other; *len_p bytes. */
static int local_paths(dc_env_t *env, char **buf_p, int *len_p)
{
    const struct dci_prof_regions *R = env->prof.regions;
    char path[DCI_REGION_DEPTH * DCI_REGION_NAME], *buf = NULL;
    size_t len = 0, cap = 1;
    int i, rc;

    if (R != NULL)
        cap += (size_t)R->n * sizeof(path);
    rc = dci_malloc(env, cap, (void **)&buf);
    if (rc != DC_SUCCESS)
        return rc;
    for (i = 0; R != NULL && i < R->n; i++) {
        dci_region_path(R, i, path, sizeof(path));
        memcpy(buf + len, path, strlen(path) + 1);
        len += strlen(path) + 1;
    }
    *buf_p = buf;
    *len_p = (int)len;
    return DC_SUCCESS;
}

/* Rank 0: the distinct paths of all (n bytes of '\0'-terminated paths) into uni, in order of
 * first appearance (a parent always comes before its children). Returns the count. */
static int union_paths(const char *all, int n, char *uni, int *ulen_p)
{
    int count = 0, ulen = 0, off = 0;

    while (off < n) {
        const char *s = all + off;
        int k = 0, seen = 0;
        while (k < ulen) {
            if (strcmp(uni + k, s) == 0) {
                seen = 1;
                break;
            }
            k += (int)strlen(uni + k) + 1;
        }
        if (!seen) {
            memcpy(uni + ulen, s, strlen(s) + 1);
            ulen += (int)strlen(s) + 1;
            count++;
        }
        off += (int)strlen(s) + 1;
    }
    *ulen_p = ulen;
    return count;
}

/* Sizes of the packed arrays: nset sets of DCI_EV_COUNT operations, plus nu region scalars. */
enum { NMIN = 3, NSUM = 4, NMAX = 3, NU64 = 5 };

typedef struct {
    double v;
    int r;
} dbl_int_t;

static void pack_ev(const dci_prof_ev_t *e, size_t K, size_t idx, double *dmin, double *dsum,
                    dbl_int_t *dmax, uint64_t *u, int rank)
{
    double t[3] = {e->time, 0.0, 0.0};
    int j;

    dci_prof_ev_est(e, &t[1], &t[2]);

    for (j = 0; j < 3; j++) {
        dmin[j * K + idx] = t[j];
        dsum[j * K + idx] = t[j];
        dmax[j * K + idx].v = t[j];
        dmax[j * K + idx].r = rank;
    }
    dsum[3 * K + idx] = e->flops;
    u[0 * K + idx] = e->calls;
    u[1 * K + idx] = e->sbytes;
    u[2 * K + idx] = e->rbytes;
    u[3 * K + idx] = e->smsgs;
    u[4 * K + idx] = e->rmsgs;
}

static void unpack_ev(dci_opsum_t *o, size_t K, size_t idx, const double *dmin, const double *dsum,
                      const dbl_int_t *dmax, const uint64_t *u, int size)
{
    o->tmin = dmin[idx];
    o->cmin = dmin[K + idx];
    o->wmin = dmin[2 * K + idx];
    o->tsum = dsum[idx];
    o->tavg = dsum[idx] / size;
    o->cavg = dsum[K + idx] / size;
    o->wavg = dsum[2 * K + idx] / size;
    o->flops = dsum[3 * K + idx];
    o->tmax = dmax[idx].v;
    o->tmax_rank = dmax[idx].r;
    o->cmax = dmax[K + idx].v;
    o->wmax = dmax[2 * K + idx].v;
    o->calls = u[idx];
    o->sbytes = u[K + idx];
    o->rbytes = u[2 * K + idx];
    o->smsgs = u[3 * K + idx];
    o->rmsgs = u[4 * K + idx];
}

int dci_prof_collect(dc_env_t *env, dci_prof_report_t **rep_p)
{
    const dci_prof_t *p = &env->prof;
    const struct dci_prof_regions *R = p->regions;
    const int P = env->size, root = env->rank == 0, E = DCI_EV_COUNT;
    dci_prof_report_t *rep = NULL;
    char *mine = NULL, *all = NULL, *uni = NULL;
    const char **upath = NULL;
    int *lens = NULL, *displs = NULL, *map = NULL;
    int rc = DC_SUCCESS, mylen = 0, total = 0, hdr[2] = {0, 0}, nu, i, j, e;
    size_t K, nset;
    double *dmin = NULL, *dsum = NULL, *rdmin = NULL, *rdsum = NULL, now;
    dbl_int_t *dmax = NULL, *rdmax = NULL;
    uint64_t *u = NULL, *ru = NULL, mine7[7], *all7 = NULL;
    unsigned char *have = NULL, *allhave = NULL;

    *rep_p = NULL;
    /* 1. the union of the regions' paths, built on rank 0 and broadcast */
    rc = local_paths(env, &mine, &mylen);
    if (rc == DC_SUCCESS && root)
        rc = dci_calloc(env, (size_t)P, sizeof(int), (void **)&lens);
    if (rc == DC_SUCCESS && root)
        rc = dci_calloc(env, (size_t)P, sizeof(int), (void **)&displs);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_MPI_GOTO(env, MPI_Gather(&mylen, 1, MPI_INT, lens, 1, MPI_INT, 0, env->comm), out);
    if (root) {
        for (i = 0; i < P; i++) {
            displs[i] = total;
            total += lens[i];
        }
        rc = dci_malloc(env, (size_t)total + 1, (void **)&all);
        if (rc == DC_SUCCESS)
            rc = dci_malloc(env, (size_t)total + 1, (void **)&uni);
    }
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_MPI_GOTO(
        env, MPI_Gatherv(mine, mylen, MPI_CHAR, all, lens, displs, MPI_CHAR, 0, env->comm), out);
    if (root)
        hdr[0] = union_paths(all, total, uni, &hdr[1]);
    DC_CHECK_MPI_GOTO(env, MPI_Bcast(hdr, 2, MPI_INT, 0, env->comm), out);
    nu = hdr[0];
    if (!root)
        rc = dci_malloc(env, (size_t)hdr[1] + 1, (void **)&uni);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, (size_t)nu + 1, sizeof(*upath), (void **)&upath);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_MPI_GOTO(env, MPI_Bcast(uni, hdr[1], MPI_CHAR, 0, env->comm), out);
    for (i = 0, j = 0; i < nu; i++) {
        upath[i] = uni + j;
        j += (int)strlen(uni + j) + 1;
    }

    /* 2. the packed arrays: set 0 = totals, set 1 + u = region u of the union */
    nset = (size_t)nu + 1;
    K = nset * (size_t)E + (size_t)nu; /* the region scalars after the operations */
    rc = dci_calloc(env, NMIN * K, sizeof(double), (void **)&dmin);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, NSUM * K, sizeof(double), (void **)&dsum);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, NMAX * K, sizeof(dbl_int_t), (void **)&dmax);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, NU64 * K, sizeof(uint64_t), (void **)&u);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, (size_t)nu + 1, sizeof(unsigned char), (void **)&have);
    if (rc == DC_SUCCESS && R != NULL)
        rc = dci_calloc(env, (size_t)R->n + 1, sizeof(int), (void **)&map);
    if (rc == DC_SUCCESS && root) {
        rc = dci_calloc(env, 1, sizeof(*rep), (void **)&rep);
        if (rc == DC_SUCCESS)
            rc = dci_calloc(env, NMIN * K, sizeof(double), (void **)&rdmin);
        if (rc == DC_SUCCESS)
            rc = dci_calloc(env, NSUM * K, sizeof(double), (void **)&rdsum);
        if (rc == DC_SUCCESS)
            rc = dci_calloc(env, NMAX * K, sizeof(dbl_int_t), (void **)&rdmax);
        if (rc == DC_SUCCESS)
            rc = dci_calloc(env, NU64 * K, sizeof(uint64_t), (void **)&ru);
        if (rc == DC_SUCCESS)
            rc = dci_calloc(env, (size_t)P * 7, sizeof(uint64_t), (void **)&all7);
        if (rc == DC_SUCCESS)
            rc = dci_calloc(env, (size_t)P * ((size_t)nu + 1), 1, (void **)&allhave);
        if (rc == DC_SUCCESS)
            rc = dci_calloc(env, (size_t)P, sizeof(*rep->ranks), (void **)&rep->ranks);
        if (rc == DC_SUCCESS)
            rc = dci_calloc(env, (size_t)P, sizeof(*rep->place), (void **)&rep->place);
        if (rc == DC_SUCCESS)
            rc = dci_calloc(env, (size_t)P * (size_t)P, sizeof(uint64_t), (void **)&rep->matrix);
        if (rc == DC_SUCCESS && nu > 0)
            rc = dci_calloc(env, (size_t)nu, sizeof(*rep->reg), (void **)&rep->reg);
        for (i = 0; rc == DC_SUCCESS && i < nu; i++) {
            rep->nreg = i + 1;
            rc = dci_calloc(env, (size_t)P, 1, (void **)&rep->reg[i].have);
        }
    }
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    for (e = 0; e < E; e++)
        pack_ev(&p->ev[e], K, (size_t)e, dmin, dsum, dmax, u, env->rank);
    for (i = 0; i < nu; i++) { /* regions this rank lacks: zero operations, no time */
        size_t s = nset * (size_t)E + (size_t)i;
        dmin[s] = DBL_MAX;
        dmax[s].v = -1.0;
        dmax[s].r = env->rank;
    }
    now = dci_wtime();
    for (i = 0; R != NULL && i < R->n; i++) {
        char path[DCI_REGION_DEPTH * DCI_REGION_NAME];
        const dci_region_t *r = R->r[i];
        size_t s;
        double t = r->time;
        dci_region_path(R, i, path, sizeof(path));
        for (j = 0; j < nu && strcmp(upath[j], path) != 0; j++)
            ;
        map[i] = j;
        if (j == nu)
            continue; /* cannot happen: every path is in the union */
        for (e = 0; e < E; e++)
            pack_ev(&r->ev[e], K, (size_t)(j + 1) * E + (size_t)e, dmin, dsum, dmax, u, env->rank);
        for (e = 0; e < R->nstack; e++)
            if (R->stack[e] == i)
                t += now - r->t0; /* still open: up to now */
        s = nset * (size_t)E + (size_t)j;
        have[j] = 1;
        dmin[s] = t;
        dsum[s] = t;
        dmax[s].v = t;
        u[s] = r->calls;
    }
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(dmin, rdmin, (int)(NMIN * K), MPI_DOUBLE, MPI_MIN, 0, env->comm), out);
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(dsum, rdsum, (int)(NSUM * K), MPI_DOUBLE, MPI_SUM, 0, env->comm), out);
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(dmax, rdmax, (int)(NMAX * K), MPI_DOUBLE_INT, MPI_MAXLOC, 0, env->comm),
        out);
    DC_CHECK_MPI_GOTO(env, MPI_Reduce(u, ru, (int)(NU64 * K), MPI_UINT64_T, MPI_SUM, 0, env->comm),
                      out);

    /* 3. per rank: times and bytes, placement, regions present, point-to-point rows */
    {
        double wall = now - p->t_zero, lib = p->lib_time, comp;
        uint64_t sent = 0, recv = 0;
        double d[5];
        if (p->nstack > 0)
            lib += now - p->lib_t0; /* reported from inside an operation (dc_prof_report) */
        double comm = p->comm, wait = p->wait;
        for (e = 0; e < E; e++) {
            double c, w;
            sent += p->ev[e].sbytes;
            recv += p->ev[e].rbytes;
            dci_prof_ev_est(&p->ev[e], &c, &w); /* wait of the entries without a barrier */
            comm += c - p->ev[e].comm;
            wait += w - p->ev[e].wait;
        }
        comp = lib - comm - wait;
        d[0] = wall;
        d[1] = comp > 0.0 ? comp : 0.0;
        d[2] = comm > 0.0 ? comm : 0.0;
        d[3] = wait;
        d[4] = wall - lib > 0.0 ? wall - lib : 0.0;
        memcpy(mine7, d, sizeof(d));
        mine7[5] = sent;
        mine7[6] = recv;
    }
    DC_CHECK_MPI_GOTO(env, MPI_Gather(mine7, 7, MPI_UINT64_T, all7, 7, MPI_UINT64_T, 0, env->comm),
                      out);
    DC_CHECK_MPI_GOTO(env,
                      MPI_Gather(&env->place, (int)sizeof(dc_placement_t), MPI_BYTE,
                                 root ? rep->place : NULL, (int)sizeof(dc_placement_t), MPI_BYTE, 0,
                                 env->comm),
                      out);
    DC_CHECK_MPI_GOTO(env,
                      MPI_Gather(have, nu + 1, MPI_UNSIGNED_CHAR, allhave, nu + 1,
                                 MPI_UNSIGNED_CHAR, 0, env->comm),
                      out);
    DC_CHECK_MPI_GOTO(env,
                      MPI_Gather(p->peer_sent, P, MPI_UINT64_T, root ? rep->matrix : NULL, P,
                                 MPI_UINT64_T, 0, env->comm),
                      out);
    if (!root)
        goto out;

    /* 4. rank 0: the report */
    rep->size = P;
    rep->nnodes = rep->place[0].nnodes > 0 ? rep->place[0].nnodes : 1;
    rep->wait_measured = p->sync && !p->late;
    rep->wait_sampling = rep->wait_measured ? p->sync : 0;
    rc = dci_calloc(env, (size_t)rep->nnodes * (size_t)rep->nnodes, sizeof(uint64_t),
                    (void **)&rep->node_matrix);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, (size_t)rep->nnodes, sizeof(char *), (void **)&rep->node_names);
    if (rc != DC_SUCCESS)
        goto out;
    for (i = 0; i < P; i++) {
        dci_rank_sum_t *rs = &rep->ranks[i];
        double d[5];
        int ni = rep->place[i].node_id;
        memcpy(d, all7 + (size_t)i * 7, sizeof(d));
        rs->wall = d[0];
        rs->compute = d[1];
        rs->comm = d[2];
        rs->wait = d[3];
        rs->outside = d[4];
        rs->sent = all7[(size_t)i * 7 + 5];
        rs->recv = all7[(size_t)i * 7 + 6];
        rep->wall = rs->wall > rep->wall ? rs->wall : rep->wall;
        rep->wall_sum += rs->wall;
        if (rep->place[i].verdict == DC_PLACEMENT_OVERSUBSCRIBED)
            rep->oversubscribed = 1;
        if (ni >= 0 && ni < rep->nnodes && rep->node_names[ni] == NULL)
            rep->node_names[ni] = rep->place[i].node_name;
        for (j = 0; j < P; j++) {
            int nj = rep->place[j].node_id;
            if (ni >= 0 && ni < rep->nnodes && nj >= 0 && nj < rep->nnodes)
                rep->node_matrix[(size_t)ni * rep->nnodes + nj] += rep->matrix[(size_t)i * P + j];
        }
    }
    for (i = 0; i < rep->nnodes; i++)
        if (rep->node_names[i] == NULL)
            rep->node_names[i] = "?";
    for (e = 0; e < E; e++)
        unpack_ev(&rep->ops[e], K, (size_t)e, rdmin, rdsum, rdmax, ru, P);
    for (i = 0; i < nu; i++) {
        dci_region_sum_t *g = &rep->reg[i];
        size_t s = nset * (size_t)E + (size_t)i;
        const char *slash;
        snprintf(g->path, sizeof(g->path), "%s", upath[i]);
        slash = strrchr(g->path, '/');
        g->name = slash != NULL ? slash + 1 : g->path;
        for (g->depth = 0, slash = g->path; (slash = strchr(slash, '/')) != NULL; slash++)
            g->depth++;
        for (j = 0; j < P; j++) {
            g->have[j] = allhave[(size_t)j * (nu + 1) + i];
            g->nranks += g->have[j];
        }
        g->calls = ru[s];
        g->tmin = rdmin[s];
        g->tavg = g->nranks > 0 ? rdsum[s] / g->nranks : 0.0;
        g->tmax = rdmax[s].v;
        g->tmax_rank = rdmax[s].r;
        for (e = 0; e < E; e++)
            unpack_ev(&g->ops[e], K, (size_t)(i + 1) * E + (size_t)e, rdmin, rdsum, rdmax, ru, P);
    }
    {
        char mpi[MPI_MAX_LIBRARY_VERSION_STRING], *nl;
        int len = 0;
        mpi[0] = '\0';
        MPI_Get_library_version(mpi, &len);
        nl = strchr(mpi, '\n');
        if (nl != NULL)
            *nl = '\0';
        snprintf(rep->mpi_library, sizeof(rep->mpi_library), "%s", mpi);
    }
out:
    dci_free(mine);
    dci_free(all);
    dci_free(uni);
    dci_free(upath);
    dci_free(lens);
    dci_free(displs);
    dci_free(map);
    dci_free(dmin);
    dci_free(dsum);
    dci_free(dmax);
    dci_free(u);
    dci_free(rdmin);
    dci_free(rdsum);
    dci_free(rdmax);
    dci_free(ru);
    dci_free(all7);
    dci_free(have);
    dci_free(allhave);
    if (rc != DC_SUCCESS || !root) {
        dci_prof_report_free(rep);
        return rc;
    }
    *rep_p = rep;
    return DC_SUCCESS;
}
