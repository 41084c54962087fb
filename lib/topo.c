/*
 * Placement: loads the node's hwloc topology (or the DC_TOPOLOGY replacement), groups the env's
 * ranks by node, plans each rank's CPU set and OpenBLAS thread count from the node's cores and
 * the bindings its ranks already have, and applies the plan. topo_plan() is a pure function of
 * its inputs; only topo_apply() touches the process, and never for a replaced (simulated)
 * machine. Invariant: with no more ranks than cores on a node, ranks x threads <= cores.
 */
#include "dc_impl.h"

#include <hwloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct dci_topo {
    hwloc_topology_t topo;
    int loaded;      /* topo was initialised (hwloc_topology_destroy needed) */
    int simulated;   /* not this machine (DC_TOPOLOGY, HWLOC_SYNTHETIC...): nothing applied */
    int holds_state; /* counted in proc_state.refs */
};

/*
 * The CPU binding and the BLAS thread count belong to the process, not to one env. The first
 * env that applies a placement saves the originals; later envs find the binding already made
 * (they keep it, as they keep a launcher's); the last of them restores the originals, so that
 * destroying every env leaves the process as it found it. Envs are created and destroyed by
 * one thread (MPI_THREAD_FUNNELED), so this needs no lock.
 */
static struct {
    int refs;
    hwloc_bitmap_t orig_set; /* binding before the first env */
    hwloc_bitmap_t our_set;  /* binding that libdcompute set; NULL if it set none */
    int orig_threads;
} proc_state;

static const char *const bind_names[] = {"auto", "compact", "spread", "none"};

/* ---------------------------------------------------------------- helpers */

const char *dc_placement_verdict_name(dc_placement_verdict_t verdict)
{
    static const char *const names[] = {"ok", "unbound", "overlap", "oversubscribed"};

    return (unsigned)verdict < sizeof(names) / sizeof(names[0]) ? names[verdict] : "unknown";
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* Cores are the unit of binding; a topology without Core objects (e.g. "pu:4") binds PUs. */
static hwloc_obj_type_t unit_type(hwloc_topology_t topo)
{
    return hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
}

static int count_units(hwloc_topology_t topo, hwloc_const_bitmap_t set)
{
    hwloc_obj_type_t ut = unit_type(topo);
    hwloc_obj_t o = NULL;
    int n = 0;

    while ((o = hwloc_get_next_obj_by_type(topo, ut, o)) != NULL) {
        if (o->cpuset != NULL && hwloc_bitmap_intersects(o->cpuset, set))
            n++;
    }
    return n;
}

/* The NUMA node (OS index) holding the whole set, -1 if it touches several or none. */
static int numa_of(hwloc_topology_t topo, hwloc_const_bitmap_t set)
{
    hwloc_obj_t o = NULL;
    int found = -1, n = 0;

    while ((o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, o)) != NULL) {
        if (o->cpuset != NULL && hwloc_bitmap_intersects(o->cpuset, set)) {
            found = (int)o->os_index;
            n++;
        }
    }
    return n == 1 ? found : -1;
}

static int units_or(hwloc_topology_t topo, hwloc_bitmap_t set, int first, int count)
{
    hwloc_obj_type_t ut = unit_type(topo);
    int i;

    for (i = first; i < first + count; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(topo, ut, (unsigned)i);
        if (o == NULL || o->cpuset == NULL || hwloc_bitmap_or(set, set, o->cpuset) < 0)
            return -1;
    }
    return 0;
}

/* Share 'total' items among 'parts': part j gets [*first, *first + *count). */
static void share(int total, int parts, int j, int *first, int *count)
{
    int k = total / parts, rem = total % parts;

    *count = k + (j < rem ? 1 : 0);
    *first = j * k + (j < rem ? j : rem);
}

/* ---------------------------------------------------------------- planning (pure) */

typedef struct {
    hwloc_topology_t topo;
    int policy; /* dc_bind_t */
    int node_rank, node_size;
    const hwloc_bitmap_t *sets; /* current CPU set of each rank of the node, by node rank */
    int user_threads;           /* > 0: fixed by the user */
} plan_in_t;

typedef struct {
    hwloc_bitmap_t set; /* allocated by the caller: where this rank should run */
    int rebind;         /* set differs from the rank's current one */
    int threads;
    dc_placement_verdict_t verdict;
} plan_out_t;

/*
 * Spread domains: NUMA nodes if there are several, else packages, else one. dom[u] is the
 * domain of unit u (logical order), renumbered over the domains that hold units (CPU-less
 * NUMA nodes hold none). Returns the number of domains, 1 when units do not fit in domains.
 */
static int spread_domains(hwloc_topology_t topo, int nunits, int *dom)
{
    hwloc_obj_type_t ut = unit_type(topo), dt;
    int nd, u, d, next = 0, used[256];

    if (hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) > 1)
        dt = HWLOC_OBJ_NUMANODE;
    else if (hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE) > 1)
        dt = HWLOC_OBJ_PACKAGE;
    else
        goto one;
    nd = hwloc_get_nbobjs_by_type(topo, dt);
    if (nd > (int)(sizeof(used) / sizeof(used[0])))
        goto one;
    for (d = 0; d < nd; d++)
        used[d] = -1;
    for (u = 0; u < nunits; u++) {
        hwloc_obj_t uo = hwloc_get_obj_by_type(topo, ut, (unsigned)u);
        dom[u] = -1;
        for (d = 0; uo != NULL && d < nd; d++) {
            hwloc_obj_t dobj = hwloc_get_obj_by_type(topo, dt, (unsigned)d);
            if (dobj != NULL && dobj->cpuset != NULL &&
                hwloc_bitmap_isincluded(uo->cpuset, dobj->cpuset)) {
                if (used[d] < 0)
                    used[d] = next++;
                dom[u] = used[d];
                break;
            }
        }
        if (dom[u] < 0)
            goto one;
    }
    return next;
one:
    for (u = 0; u < nunits; u++)
        dom[u] = 0;
    return 1;
}

/*
 * Spread: consecutive ranks go to different domains. With at least as many ranks as domains,
 * rank r goes to domain r % D and the domain's cores are shared among its ranks; with fewer,
 * domain d goes to rank d % P, so that every core is used. Returns 1 if the domains cannot
 * hold their ranks (then the caller binds compact).
 */
static int plan_spread(const plan_in_t *in, int nunits, int *dom, hwloc_bitmap_t set)
{
    hwloc_obj_type_t ut = unit_type(in->topo);
    int nd = spread_domains(in->topo, nunits, dom), p = in->node_size, r = in->node_rank;
    int u, d, j, nr, cd, first, count, k;

    if (nd <= 1)
        return 1;
    if (p < nd) {
        for (u = 0; u < nunits; u++) {
            hwloc_obj_t o = hwloc_get_obj_by_type(in->topo, ut, (unsigned)u);
            if (dom[u] % p == r && hwloc_bitmap_or(set, set, o->cpuset) < 0)
                return -1;
        }
        return 0;
    }
    d = r % nd;
    j = r / nd;                         /* index of this rank among d's ranks */
    nr = p / nd + (d < p % nd ? 1 : 0); /* ranks in domain d */
    for (k = 0; k < nd; k++) {          /* every domain must hold its ranks */
        int nk = p / nd + (k < p % nd ? 1 : 0), ck = 0;
        for (u = 0; u < nunits; u++)
            ck += dom[u] == k;
        if (ck < nk)
            return 1;
    }
    for (cd = 0, u = 0; u < nunits; u++)
        cd += dom[u] == d;
    share(cd, nr, j, &first, &count);
    for (k = 0, u = 0; u < nunits; u++) {
        if (dom[u] != d)
            continue;
        if (k >= first && k < first + count) {
            hwloc_obj_t o = hwloc_get_obj_by_type(in->topo, ut, (unsigned)u);
            if (hwloc_bitmap_or(set, set, o->cpuset) < 0)
                return -1;
        }
        k++;
    }
    return 0;
}

/*
 * The plan of one rank from the node's topology, its ranks' current CPU sets and the policy.
 * Every rank of a node computes the same node-level decision from the same gathered sets.
 */
static int topo_plan(dc_env_t *env, const plan_in_t *in, plan_out_t *out)
{
    hwloc_const_bitmap_t machine = hwloc_get_root_obj(in->topo)->cpuset;
    hwloc_const_bitmap_t own = in->sets[in->node_rank];
    int nunits = hwloc_get_nbobjs_by_type(in->topo, unit_type(in->topo));
    int p = in->node_size, i, j, any_bound = 0, overlap = 0, nshare = 0, rc = DC_SUCCESS;
    int *dom = NULL;

    hwloc_bitmap_zero(out->set);
    for (i = 0; i < p; i++)
        any_bound |= !hwloc_bitmap_isincluded(machine, in->sets[i]);
    for (i = 0; i < p; i++) {
        if (hwloc_bitmap_intersects(in->sets[i], own))
            nshare++; /* includes this rank */
        for (j = i + 1; j < p; j++)
            overlap |= hwloc_bitmap_intersects(in->sets[i], in->sets[j]);
    }

    if (p > nunits) {
        /* Disjoint core sets are impossible: leave ranks where they are, one thread each. */
        out->verdict = DC_PLACEMENT_OVERSUBSCRIBED;
        out->threads = 1;
        hwloc_bitmap_copy(out->set, own);
    } else if (any_bound || in->policy == DC_BIND_NONE) {
        /* A launcher's (or an earlier env's) binding is kept as it is. */
        hwloc_bitmap_copy(out->set, own);
        if (!any_bound) {
            out->verdict = DC_PLACEMENT_UNBOUND;
            out->threads = nunits / p;
        } else if (overlap) {
            out->verdict = DC_PLACEMENT_OVERLAP;
            out->threads = count_units(in->topo, own) / nshare;
        } else {
            out->verdict = DC_PLACEMENT_OK;
            out->threads = count_units(in->topo, own);
        }
    } else {
        int first, count, fallback = 1;
        if (in->policy == DC_BIND_SPREAD) {
            DC_CHECK_GOTO(dci_calloc(env, (size_t)nunits, sizeof(int), (void **)&dom), out);
            fallback = plan_spread(in, nunits, dom, out->set);
            if (fallback < 0)
                goto nomem;
        }
        if (fallback) {
            hwloc_bitmap_zero(out->set);
            share(nunits, p, in->node_rank, &first, &count);
            if (units_or(in->topo, out->set, first, count) < 0)
                goto nomem;
        }
        out->verdict = DC_PLACEMENT_OK;
        out->threads = count_units(in->topo, out->set);
    }
    if (out->threads < 1)
        out->threads = 1;
    if (in->user_threads > 0)
        out->threads = in->user_threads;
    out->rebind = !hwloc_bitmap_isequal(out->set, own);
    goto out;
nomem:
    rc = DC_ERR(env, DC_ERR_NOMEM, "hwloc bitmap operation failed while planning the binding");
out:
    dci_free(dom);
    return rc;
}

/* ---------------------------------------------------------------- loading, applying */

static int topo_load(dc_env_t *env, struct dci_topo *t)
{
    const char *spec = env->opts.topology;
    struct stat st;

    if (hwloc_topology_init(&t->topo) != 0)
        return DC_ERR(env, DC_ERR_TOPO, "hwloc_topology_init failed");
    t->loaded = 1;
    if (spec[0] != '\0') {
        if (stat(spec, &st) == 0 && S_ISREG(st.st_mode)) {
            if (hwloc_topology_set_xml(t->topo, spec) != 0)
                return DC_ERR(env, DC_ERR_TOPO, "DC_TOPOLOGY: cannot read hwloc XML file \"%s\"",
                              spec);
        } else if (hwloc_topology_set_synthetic(t->topo, spec) != 0) {
            return DC_ERR(env, DC_ERR_TOPO,
                          "DC_TOPOLOGY \"%s\" is neither an existing file nor a valid hwloc "
                          "synthetic description (e.g. \"package:2 core:4 pu:2\")",
                          spec);
        }
    }
    if (hwloc_topology_load(t->topo) != 0)
        return DC_ERR(env, DC_ERR_TOPO, "hwloc_topology_load failed%s%s%s",
                      spec[0] ? " for DC_TOPOLOGY \"" : "", spec, spec[0] ? "\"" : "");
    if (hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU) < 1)
        return DC_ERR(env, DC_ERR_TOPO, "the topology has no processing units");
    /* A synthetic or XML machine (from DC_TOPOLOGY or hwloc's own HWLOC_SYNTHETIC /
     * HWLOC_XMLFILE) is not the one we run on: plan on it, apply nothing. */
    t->simulated = !hwloc_topology_is_thissystem(t->topo);
    return DC_SUCCESS;
}

/* The rank's current CPU set, limited to the machine's PUs; the whole machine if simulated. */
static int read_binding(dc_env_t *env, struct dci_topo *t, hwloc_bitmap_t set)
{
    hwloc_const_bitmap_t machine = hwloc_get_root_obj(t->topo)->cpuset;

    if (t->simulated || hwloc_get_cpubind(t->topo, set, HWLOC_CPUBIND_PROCESS) != 0) {
        if (!t->simulated)
            dci_log(env, 1, "hwloc_get_cpubind failed: taking the rank as unbound");
        return hwloc_bitmap_copy(set, machine) == 0 ? DC_SUCCESS
                                                    : DC_ERR(env, DC_ERR_NOMEM, "bitmap copy");
    }
    if (hwloc_bitmap_and(set, set, hwloc_topology_get_complete_cpuset(t->topo)) != 0)
        return DC_ERR(env, DC_ERR_NOMEM, "bitmap and");
    return DC_SUCCESS;
}

/* Save the process's binding and thread count before the first env changes them. */
static int state_hold(dc_env_t *env, struct dci_topo *t, hwloc_const_bitmap_t cur)
{
    if (proc_state.refs == 0) {
        proc_state.orig_set = hwloc_bitmap_dup(cur);
        if (proc_state.orig_set == NULL)
            return DC_ERR(env, DC_ERR_NOMEM, "cannot save the process's binding");
        proc_state.orig_threads = dci_blas_get_threads();
    }
    proc_state.refs++;
    t->holds_state = 1;
    return DC_SUCCESS;
}

static void state_release(dc_env_t *env, struct dci_topo *t)
{
    hwloc_bitmap_t cur;

    if (!t->holds_state)
        return;
    t->holds_state = 0;
    if (--proc_state.refs > 0)
        return;
    /* Put the original binding back only if ours is still in place: a binding the
     * application made after us is its own business. */
    cur = hwloc_bitmap_alloc();
    if (proc_state.our_set != NULL && cur != NULL && proc_state.orig_set != NULL &&
        hwloc_get_cpubind(t->topo, cur, HWLOC_CPUBIND_PROCESS) == 0 &&
        hwloc_bitmap_isequal(cur, proc_state.our_set) &&
        hwloc_set_cpubind(t->topo, proc_state.orig_set, HWLOC_CPUBIND_PROCESS) != 0)
        dci_log(env, 1, "could not restore the process's original binding");
    hwloc_bitmap_free(cur);
    dci_blas_set_threads(proc_state.orig_threads);
    hwloc_bitmap_free(proc_state.orig_set);
    hwloc_bitmap_free(proc_state.our_set);
    proc_state.orig_set = proc_state.our_set = NULL;
}

/* Bind the process to the plan's set; 1 if binding failed (not an error: reported). */
static int topo_apply(dc_env_t *env, struct dci_topo *t, const plan_out_t *plan)
{
    const struct hwloc_topology_support *sup = hwloc_topology_get_support(t->topo);
    char buf[128];

    if (!plan->rebind)
        return 0;
    hwloc_bitmap_list_snprintf(buf, sizeof(buf), plan->set);
    if (sup == NULL || !sup->cpubind->set_thisproc_cpubind ||
        hwloc_set_cpubind(t->topo, plan->set, HWLOC_CPUBIND_PROCESS) != 0) {
        dci_log(env, 1, "cannot bind to PUs %s: left unbound", buf);
        return 1;
    }
    hwloc_bitmap_free(proc_state.our_set);
    proc_state.our_set = hwloc_bitmap_dup(plan->set);
    dci_log(env, 2, "bound to PUs %s", buf);
    return 0;
}

/* ---------------------------------------------------------------- setup */

/* Node communicator, leaders, node ids. Collective on env->comm; never returns early. */
static int split_nodes(dc_env_t *env, int rc)
{
    int mpirc, is_leader;

    mpirc = MPI_Comm_split_type(env->comm, MPI_COMM_TYPE_SHARED, env->rank, MPI_INFO_NULL,
                                &env->node_comm);
    if (mpirc != MPI_SUCCESS) {
        env->node_comm = MPI_COMM_NULL;
        if (rc == DC_SUCCESS)
            rc = dci_error_mpi(env, mpirc, __func__, __FILE__, __LINE__, "MPI_Comm_split_type");
    } else {
        MPI_Comm_rank(env->node_comm, &env->place.node_rank);
        MPI_Comm_size(env->node_comm, &env->place.node_size);
    }
    /* Keys are env ranks, so node rank 0 is the node's lowest env rank and the leaders are
     * ordered by it: a leader's rank in leader_comm is its node's id. */
    is_leader = env->node_comm != MPI_COMM_NULL && env->place.node_rank == 0;
    mpirc = MPI_Comm_split(env->comm, is_leader ? 0 : MPI_UNDEFINED, env->rank, &env->leader_comm);
    if (mpirc != MPI_SUCCESS) {
        env->leader_comm = MPI_COMM_NULL;
        if (rc == DC_SUCCESS)
            rc = dci_error_mpi(env, mpirc, __func__, __FILE__, __LINE__, "MPI_Comm_split");
    } else if (is_leader) {
        MPI_Comm_rank(env->leader_comm, &env->place.node_id);
        MPI_Comm_size(env->leader_comm, &env->place.nnodes);
    }
    return rc;
}

int dci_topo_setup(dc_env_t *env)
{
    struct dci_topo *t = NULL;
    hwloc_bitmap_t cur = NULL, got = NULL, *sets = NULL;
    unsigned long *buf = NULL;
    plan_out_t plan = {NULL, 0, 0, DC_PLACEMENT_OK};
    plan_in_t in;
    int rc = DC_SUCCESS, nul = 0, len = 0, i, k, ours = 0, failed = 0, ids[2], chk[2], res[4];
    int64_t vals[2];
    size_t nsets = 0;
    double tm;

    /* Every rank must plan on the same machine: a topology string that differs on one rank
     * is an argument error on all (agreed) before anything is loaded. */
    vals[0] = (int64_t)strlen(env->opts.topology);
    vals[1] = (int64_t)str_hash(env->opts.topology);
    DC_CHECK(dci_check_same(env, DC_ERR_ARG, vals, 2, "the topology (params / DC_TOPOLOGY)"));

    memset(&env->place, 0, sizeof(env->place));
    env->place.numa_node = -1;
    if (MPI_Get_processor_name(env->place.node_name, &len) != MPI_SUCCESS)
        snprintf(env->place.node_name, sizeof(env->place.node_name), "unknown");

    /* Local part first; its failures are agreed on after the splits, which every rank
     * enters, so that no rank leaves before a collective the others are in. */
    rc = dci_calloc(env, 1, sizeof(*t), (void **)&t);
    if (rc == DC_SUCCESS) {
        env->topo = t; /* dci_topo_free cleans up from here on */
        rc = topo_load(env, t);
    }
    if (rc == DC_SUCCESS &&
        ((cur = hwloc_bitmap_alloc()) == NULL || (plan.set = hwloc_bitmap_alloc()) == NULL ||
         (got = hwloc_bitmap_alloc()) == NULL))
        rc = DC_ERR(env, DC_ERR_NOMEM, "hwloc_bitmap_alloc failed");
    if (rc == DC_SUCCESS)
        rc = read_binding(env, t, cur);
    if (rc == DC_SUCCESS && !t->simulated && proc_state.our_set != NULL)
        ours = hwloc_bitmap_isequal(cur, proc_state.our_set);
    rc = split_nodes(env, rc);
    if (rc == DC_SUCCESS) {
        /* Bitmaps travel as unsigned longs; the length comes from the machine's PUs. */
        int last = hwloc_bitmap_last(hwloc_topology_get_complete_cpuset(t->topo));
        nul = 1 + (last > 0 ? last : 0) / (int)(8 * sizeof(unsigned long));
        nsets = (size_t)env->place.node_size;
        rc = dci_calloc(env, nsets * (size_t)nul, sizeof(unsigned long), (void **)&buf);
    }
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, nsets, sizeof(*sets), (void **)&sets);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;

    /* Node-level part: collectives on node_comm only, entered by every rank of the node. */
    ids[0] = env->place.node_id;
    ids[1] = env->place.nnodes;
    tm = dci_prof_mpi_begin(env); /* profiler: counts as the enclosing dc_env_create */
    DC_CHECK_MPI_GOTO(env, MPI_Bcast(ids, 2, MPI_INT, 0, env->node_comm), out);
    dci_prof_coll_end(env, tm, env->place.node_rank == 0 ? sizeof(ids) : 0,
                      env->place.node_rank == 0 ? 0 : sizeof(ids));
    env->place.node_id = ids[0];
    env->place.nnodes = ids[1];
    chk[0] = nul;
    chk[1] = -nul;
    tm = dci_prof_mpi_begin(env);
    DC_CHECK_MPI_GOTO(env, MPI_Allreduce(MPI_IN_PLACE, chk, 2, MPI_INT, MPI_MAX, env->node_comm),
                      out);
    dci_prof_coll_end(env, tm, sizeof(chk), sizeof(chk));
    if (chk[0] != -chk[1]) {
        /* The same for every rank of the node, which all leave here. */
        rc = DC_ERR(env, DC_ERR_TOPO, "ranks on node %s see machines of different sizes",
                    env->place.node_name);
        goto out;
    }
    for (k = 0; k < nul; k++)
        buf[(size_t)env->place.node_rank * (size_t)nul + (size_t)k] =
            hwloc_bitmap_to_ith_ulong(cur, (unsigned)k);
    tm = dci_prof_mpi_begin(env);
    DC_CHECK_MPI_GOTO(env,
                      MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, nul, MPI_UNSIGNED_LONG,
                                    env->node_comm),
                      out);
    dci_prof_coll_end(env, tm, (size_t)nul * sizeof(unsigned long),
                      nsets * (size_t)nul * sizeof(unsigned long));
    for (i = 0; rc == DC_SUCCESS && i < (int)nsets; i++) {
        sets[i] = hwloc_bitmap_alloc();
        if (sets[i] == NULL) {
            rc = DC_ERR(env, DC_ERR_NOMEM, "hwloc_bitmap_alloc failed");
            break;
        }
        for (k = 0; k < nul; k++)
            hwloc_bitmap_set_ith_ulong(sets[i], (unsigned)k, buf[(size_t)i * (size_t)nul + k]);
    }
    if (rc == DC_SUCCESS) {
        in.topo = t->topo;
        in.policy = env->opts.bind;
        in.node_rank = env->place.node_rank;
        in.node_size = env->place.node_size;
        in.sets = sets;
        in.user_threads = env->opts.blas_threads;
        rc = topo_plan(env, &in, &plan);
    }
    if (rc == DC_SUCCESS && !t->simulated) {
        rc = state_hold(env, t, cur);
        if (rc == DC_SUCCESS)
            failed = topo_apply(env, t, &plan);
        else
            failed = plan.rebind;
    }

    /* What was applied: read back, never assume. The node learns whether any binding failed
     * (an unbound rank among bound ones overlaps them). Entered by every rank of the node. */
    if (rc == DC_SUCCESS && !t->simulated)
        rc = read_binding(env, t, got);
    else if (rc == DC_SUCCESS)
        hwloc_bitmap_copy(got, plan.set);
    res[0] = failed;
    res[1] = rc == DC_SUCCESS && !hwloc_bitmap_isincluded(hwloc_get_root_obj(t->topo)->cpuset, got);
    tm = dci_prof_mpi_begin(env);
    DC_CHECK_MPI_GOTO(env, MPI_Allreduce(res, res + 2, 2, MPI_INT, MPI_SUM, env->node_comm), out);
    dci_prof_coll_end(env, tm, 2 * sizeof(int), 2 * sizeof(int));
    if (rc != DC_SUCCESS)
        goto out;
    if (res[2] > 0)
        plan.verdict = res[3] > 0 ? DC_PLACEMENT_OVERLAP : DC_PLACEMENT_UNBOUND;

    if (!t->simulated) {
        dci_blas_set_threads(plan.threads);
        env->place.blas_threads = dci_blas_get_threads();
        env->place.applied = (plan.rebind && !failed) || (!plan.rebind && ours);
    } else {
        env->place.blas_threads = plan.threads; /* planned for the simulated machine */
        env->place.applied = 0;
    }
    env->place.node_cores = hwloc_get_nbobjs_by_type(t->topo, unit_type(t->topo));
    env->place.bound = res[1];
    env->place.ncores = count_units(t->topo, got);
    hwloc_bitmap_and(cur, got, hwloc_get_root_obj(t->topo)->cpuset);
    env->place.npus = hwloc_bitmap_weight(cur);
    env->place.numa_node = numa_of(t->topo, got);
    env->place.verdict = plan.verdict;
    hwloc_bitmap_list_snprintf(env->place.cpuset, sizeof(env->place.cpuset), got);
    dci_log(env, 1, "node %d rank %d: PUs %s, %d core(s), %d BLAS thread(s), %s",
            env->place.node_id, env->place.node_rank, env->place.cpuset, env->place.ncores,
            env->place.blas_threads, dc_placement_verdict_name(plan.verdict));
out:
    for (i = 0; sets != NULL && i < (int)nsets; i++)
        hwloc_bitmap_free(sets[i]);
    dci_free(sets);
    dci_free(buf);
    hwloc_bitmap_free(cur);
    hwloc_bitmap_free(got);
    hwloc_bitmap_free(plan.set);
    return rc;
}

void dci_topo_free(dc_env_t *env)
{
    struct dci_topo *t = env->topo;

    if (t == NULL)
        return;
    if (t->loaded) {
        state_release(env, t);
        hwloc_topology_destroy(t->topo);
    }
    dci_free(t);
    env->topo = NULL;
}

/* ---------------------------------------------------------------- view */

static const char *advice(dc_placement_verdict_t v)
{
    switch (v) {
    case DC_PLACEMENT_OK: return "each rank on its own cores, ranks x threads <= cores";
    case DC_PLACEMENT_UNBOUND: return "ranks not bound (DC_BIND=none); threads = cores / ranks";
    case DC_PLACEMENT_OVERLAP:
        return "ranks share cores; threads = own cores / ranks sharing them. "
               "Bind ranks to disjoint cores (e.g. mpirun --bind-to core)";
    case DC_PLACEMENT_OVERSUBSCRIBED:
        return "more ranks than cores: binding left as it was, 1 BLAS thread per rank; "
               "expect a slowdown";
    }
    return "?";
}

int dci_topo_view(dc_env_t *env, FILE *f)
{
    dc_placement_t *all = NULL;
    const struct dci_topo *t = env->topo;
    int rc = DC_SUCCESS, i, j;
    double tm;

    if (f == NULL)
        f = stdout;
    if (env->rank == 0)
        rc = dci_calloc(env, (size_t)env->size, sizeof(*all), (void **)&all);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    tm = dci_prof_mpi_begin(env);
    DC_CHECK_MPI_GOTO(env,
                      MPI_Gather(&env->place, (int)sizeof(dc_placement_t), MPI_BYTE, all,
                                 (int)sizeof(dc_placement_t), MPI_BYTE, 0, env->comm),
                      out);
    dci_prof_coll_end(env, tm, sizeof(dc_placement_t),
                      env->rank == 0 ? (size_t)env->size * sizeof(dc_placement_t) : 0);
    if (env->rank != 0)
        goto out;
    fprintf(f,
            "libdcompute placement: %d rank(s) on %d node(s), bind policy %s, machine: ", env->size,
            all[0].nnodes, bind_names[env->opts.bind]);
    if (t != NULL && t->simulated)
        fprintf(f, "\"%s\" (simulated: planned, not applied)\n",
                env->opts.topology[0] ? env->opts.topology : "hwloc environment");
    else
        fprintf(f, "discovered\n");
    fprintf(f, "%4s %-16s %5s %-16s %5s %4s %4s %4s %5s %7s %s\n", "rank", "node", "local",
            "cpuset", "cores", "pus", "numa", "blas", "bound", "applied", "verdict");
    for (i = 0; i < env->size; i++) {
        const dc_placement_t *p = &all[i];
        char numa[16];
        if (p->numa_node >= 0)
            snprintf(numa, sizeof(numa), "%d", p->numa_node);
        else
            snprintf(numa, sizeof(numa), "-");
        fprintf(f, "%4d %-16s %5d %-16s %5d %4d %4s %4d %5s %7s %s\n", i, p->node_name,
                p->node_rank, p->cpuset, p->ncores, p->npus, numa, p->blas_threads,
                p->bound ? "yes" : "no", p->applied ? "yes" : "no",
                dc_placement_verdict_name(p->verdict));
    }
    /* One verdict line per node, from its lowest rank (node ids follow lowest ranks). */
    for (j = 0, i = 0; i < env->size; i++) {
        const dc_placement_t *p = &all[i];
        if (p->node_id != j || p->node_rank != 0)
            continue;
        fprintf(f, "node %d (%s): %d rank(s), %d core(s): %s - %s\n", j, p->node_name, p->node_size,
                p->node_cores, dc_placement_verdict_name(p->verdict), advice(p->verdict));
        j++;
    }
out:
    dci_free(all);
    return rc;
}
