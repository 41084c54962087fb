/*
 * Private declarations of the dense-matrix module: the matrix object, the general distribution
 * descriptor used by the redistribution engine (lib/mat_redist.c) and GEMM (lib/gemm*.c), and
 * the engine's entry point. A public block-cyclic distribution is one case of the descriptor;
 * GEMM's layered (k split) operands and a root's full array are others.
 */
#ifndef DC_MAT_IMPL_H
#define DC_MAT_IMPL_H

#include "dc_impl.h"

/*
 * One dimension of a distribution. Indices [0, n) are cut into nseg segments of seglen (the
 * last may be shorter); inside each segment, blocks of nb are dealt round-robin to nproc
 * coordinates starting at src. The pair (segment, coordinate) is a "part"; part id =
 * seg * nproc + coord. A part's local indices number its indices in increasing global order.
 */
typedef struct dci_map1 {
    dc_gidx_t n;      /* extent */
    dc_gidx_t nb;     /* block (>= 1) */
    int nproc;        /* coordinates in the cycle (>= 1) */
    int src;          /* coordinate of the first block of every segment */
    int nseg;         /* >= 1 */
    dc_gidx_t seglen; /* segment length (n when nseg == 1) */
    dc_gidx_t off;    /* nseg == 1 only: index 0 sits at offset off of the first block, which
                         therefore holds nb - off indices (a ScaLAPACK sub-matrix view) */
} dci_map1_t;

/*
 * 2-D distribution: rank = base + rcoord * rmul + rseg * rsmul + ccoord * cmul + cseg * csmul.
 * A rank owns the product of the rows of its row part and the columns of its column part,
 * stored column-major with leading dimension >= its local row count.
 */
typedef struct dci_dist {
    dci_map1_t row, col;
    int base, rmul, rsmul, cmul, csmul;
} dci_dist_t;

/* Location of a global index: part id and local index in that part. */
typedef struct dci_loc {
    int part;
    dc_gidx_t local;
} dci_loc_t;

/* ---------------------------------------------------------------- matrix object */

struct dc_mat {
    dci_obj_t hdr;
    dc_mat_dist_t pub; /* the public description */
    dci_dist_t dist;   /* the same as an engine descriptor */
    int myrow, mycol;  /* this rank's row and column parts (grid position; 0 if one) */
    size_t mloc, nloc, lld;
    double *data;        /* 64-byte aligned, lld * nloc entries (a view: the caller's) */
    int is_view;         /* data belongs to the caller (dc_mat_create_view) */
    dci_borrow_t borrow; /* dc_mat_get_array & co */
};

/* ---------------------------------------------------------------- 1-D maps */

/* Plain block-cyclic map; the _off form starts inside the first block (0 <= off < nb). */
dci_map1_t dci_map1_bc(dc_gidx_t n, dc_gidx_t nb, int nproc, int src);
dci_map1_t dci_map1_bc_off(dc_gidx_t n, dc_gidx_t nb, int nproc, int src, dc_gidx_t off);
/* Number of indices of part 'part'. */
dc_gidx_t dci_map1_count(const dci_map1_t *m, int part);
/* Part and local index of global index g (0 <= g < n). */
dci_loc_t dci_map1_locate(const dci_map1_t *m, dc_gidx_t g);
/* Global index of local index li of part 'part'. */
dc_gidx_t dci_map1_global(const dci_map1_t *m, int part, dc_gidx_t li);
/* End (exclusive) of the block that holds g: the next index that may change owner. */
dc_gidx_t dci_map1_block_end(const dci_map1_t *m, dc_gidx_t g);
/* Number of parts (nseg * nproc). */
int dci_map1_nparts(const dci_map1_t *m);
/* 1 if the two maps send every index to the same part with the same local index. */
int dci_map1_same(const dci_map1_t *a, const dci_map1_t *b);

/* Row and column part of env rank r under d (-1, -1 if r owns nothing). */
void dci_dist_parts(const dci_dist_t *d, int r, int *rpart_p, int *cpart_p);
/* Env rank of the (row part, column part) pair. */
int dci_dist_rank(const dci_dist_t *d, int rpart, int cpart);
/* Local extent of rank r (0 x 0 if it owns nothing). */
void dci_dist_local_size(const dci_dist_t *d, int r, size_t *mloc_p, size_t *nloc_p);
/* 1 if a and b place every entry on the same rank at the same local position. */
int dci_dist_same(const dci_dist_t *a, const dci_dist_t *b);
/* Descriptor of a public block-cyclic distribution (rank = prow * npcol + pcol). */
dci_dist_t dci_dist_from_pub(const dc_mat_dist_t *p);
/* Descriptor where rank 'root' owns the whole m x n matrix. */
dci_dist_t dci_dist_root(dc_gidx_t m, dc_gidx_t n, int root);

/* ---------------------------------------------------------------- memory */

/*
 * Aligned allocation of a large temporary (dci_malloc_aligned; free with dci_free), backed by
 * transparent huge pages where the kernel offers them: a GEMM's copies of its operands are
 * hundreds of MB, and 4 KiB page faults on them cost more than the copies themselves.
 */
int dci_mat_alloc(dc_env_t *env, size_t bytes, void **ptr_p);

/* ---------------------------------------------------------------- redistribution engine */

/*
 * dst = alpha * op(src) + beta * dst over the env's ranks, in one packed all-to-all
 * (MPI_Alltoallv); op is the transpose when trans != 0 (then dst is src's n x m). beta == 0
 * writes dst without reading it. Each side's buffer is its local array under its descriptor
 * (NULL allowed where the rank owns nothing). Collective on env->comm: local failures
 * (allocation, sizes) are agreed before the exchange, so every rank returns the same code.
 */
int dci_redist(dc_env_t *env, const dci_dist_t *sd, const double *sbuf, size_t slld, int trans,
               const dci_dist_t *dd, double *dbuf, size_t dlld, double alpha, double beta);

/* Words (doubles) and messages a rank sends and receives, counted where the MPI call is made. */
typedef struct dci_comm_count {
    double wsent, wrecv, msent, mrecv;
} dci_comm_count_t;

/* dci_redist() that adds its traffic to *cnt (NULL: not counted). */
int dci_redist_count(dc_env_t *env, const dci_dist_t *sd, const double *sbuf, size_t slld,
                     int trans, const dci_dist_t *dd, double *dbuf, size_t dlld, double alpha,
                     double beta, dci_comm_count_t *cnt);

/*
 * Words rank r receives in dci_redist(sd, trans, dd): its entries under dd that it does not
 * own under sd. Local, from the descriptors only.
 */
double dci_redist_recv_words(const dci_dist_t *sd, int trans, const dci_dist_t *dd, int r);

/* ---------------------------------------------------------------- matrix helpers */

/*
 * A distribution's ten fields as arguments that must match (dci_agree_args); names is a table
 * made by DCI_DIST_ARG_NAMES("A"). Returns the number of arguments written (10).
 */
#define DCI_DIST_ARG_NAMES(x)                                                                      \
    {                                                                                              \
        "m of " x, "n of " x, "mb of " x, "nb of " x, "rsrc of " x, "csrc of " x, "nprow of " x,   \
            "npcol of " x, "ioff of " x, "joff of " x                                              \
    }
int dci_mat_dist_args(const dc_mat_dist_t *d, const char *const *names, int code, dci_arg_t *a);

/* Read / write permission checks (DC_ERR_STATE with a message when borrowed). */
int dci_mat_state_read(const dc_mat_t *a, const char *name, const char *func);
int dci_mat_state_write(const dc_mat_t *a, const char *name, const char *func);

/* ---------------------------------------------------------------- GEMM (lib/gemm*.c) */

/*
 * A GEMM plan: ranks form pr x pc x pk (rank = r * pc * pk + c * pk + l). Layer l computes
 * A'(:, K_l) B'(K_l, :) by SUMMA on its pr x pc grid, where K_l is the l-th of pk slices of k;
 * the layers' partial C are then summed by a reduce-scatter into the final C' distribution.
 * da / db are the operands' distributions as the algorithm reads them (A' = op(A), B' = op(B));
 * dcc is layer 0's C tile distribution (layer l: base + l), dfin the final C' distribution.
 */
typedef struct dci_gemm_plan {
    dc_gemm_plan_t pub;
    dc_gidx_t m, n, k, kl; /* kl: k per layer */
    int pr, pc, pk;
    int opa, opb;
    int repro;
    dc_gidx_t tm, tn, tk; /* reproducible tile */
    dc_gidx_t kb;         /* panel cap */
    int nbuf;             /* panel buffers (lookahead nbuf - 1) */
    int a_inplace, b_inplace, c_inplace;
    int cyc;  /* cyclic layers (below) */
    int gath; /* pc = pk = 1: all-gather B' and one dgemm instead of per-owner panels */
    dci_dist_t da, db, dcc, dfin;
} dci_gemm_plan_t;

/*
 * Grid row, column and layer of rank r under a plan. Layers by slices (cyc = 0): rank =
 * r * pc * pk + c * pk + l, layer l computes the l-th slice of k. Cyclic layers (cyc = 1, the
 * 3-D layout whose operands are all plain block-cyclic matrices): rank = r * pk * pc + l * pc
 * + c; A' is pr x (pk pc) block-cyclic (k coordinate l * pc + c), B' (pr pk) x pc with k
 * blocks pc times A's (k coordinate r * pk + l), so that a piece of k belongs to the layer of
 * its A coordinate divided by pc, which is its B coordinate modulo pk; the final C' is
 * pr x (pk pc) with pk column blocks in every layer tile.
 */
void dci_gemm_coords(const dci_gemm_plan_t *pl, int r, int *row_p, int *col_p, int *layer_p);

/* Number of k panels of layer 0 of a plan, as dci_gemm_run() cuts them (lib/gemm_summa.c);
 * open and openw are scratch arrays of pr * pc entries. */
double dci_gemm_count_panels(const dci_gemm_plan_t *pl, size_t *open, dc_gidx_t *openw);

/* Run a plan (lib/gemm_summa.c). Collective; a, b, c validated and agreed by the caller. The
 * traffic of this rank is added to *cnt. */
int dci_gemm_run(dc_env_t *env, const dci_gemm_plan_t *pl, double alpha, const dc_mat_t *a,
                 const dc_mat_t *b, double beta, dc_mat_t *c, dci_comm_count_t *cnt);

#endif /* DC_MAT_IMPL_H */
