/*
 * libdcompute_scalapack: a ScaLAPACK-compatible pdgemm_ (Fortran calling convention, array
 * descriptors from descinit_) implemented on libdcompute's GEMM. Linked before -lscalapack, or
 * LD_PRELOADed, it gives an unchanged ScaLAPACK program libdcompute's GEMM. The caller's local
 * arrays are wrapped as dc_mat views (no copy); the BLACS grid's communicator gets one cached
 * dc_env (an attribute of that communicator, freed with it by blacs_gridexit). BLACS itself
 * comes from the application's ScaLAPACK; replicated operands (RSRC or CSRC = -1) go to that
 * ScaLAPACK's own pdgemm_.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dcompute.h>

#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* BLACS and ScaLAPACK tools, from the application's ScaLAPACK */
void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_abort(int ctxt, int errornum);
void blacs_get_(const int *ctxt, const int *what, int *val);
void pxerbla_(const int *ctxt, const char *srname, const int *info, size_t srname_len);

DC_API void pdgemm_(const char *transa, const char *transb, const int *m, const int *n,
                    const int *k, const double *alpha, const double *a, const int *ia,
                    const int *ja, const int *desca, const double *b, const int *ib, const int *jb,
                    const int *descb, const double *beta, double *c, const int *ic, const int *jc,
                    const int *descc);

/* Descriptor entries (0-based C indices of a Fortran DESC(9)). */
enum { DTYPE_ = 0, CTXT_, M_, N_, MB_, NB_, RSRC_, CSRC_, LLD_, DLEN_ };
#define BLACS_GET_BLACSCONTXT 10 /* blacs_get WHAT: the grid's communicator (Fortran handle) */
#define DESCMULT              100
#define BIGNUM                10000

typedef void (*pdgemm_fn)(const char *, const char *, const int *, const int *, const int *,
                          const double *, const double *, const int *, const int *, const int *,
                          const double *, const int *, const int *, const int *, const double *,
                          double *, const int *, const int *, const int *);

/* ---------------------------------------------------------------- env per BLACS grid */

static int env_keyval = MPI_KEYVAL_INVALID;

static int env_delete(MPI_Comm comm, int keyval, void *attr, void *extra)
{
    dc_env_t *env = attr;

    (void)comm;
    (void)keyval;
    (void)extra;
    dc_env_destroy(&env);
    return MPI_SUCCESS;
}

/*
 * The dc_env of the grid of ctxt, whose ranks are numbered row-major over the grid (whatever
 * map BLACS used), created on first use and cached on the grid's communicator. Collective over
 * the grid. NULL on failure (on every rank of the grid).
 */
static dc_env_t *grid_env(int ctxt, int nprow, int npcol, int myrow, int mycol)
{
    const int what = BLACS_GET_BLACSCONTXT;
    MPI_Comm gcomm, ordered = MPI_COMM_NULL;
    dc_env_t *env = NULL;
    void *attr = NULL;
    int fh = 0, found = 0, ok;

    (void)nprow;
    blacs_get_(&ctxt, &what, &fh);
    gcomm = MPI_Comm_f2c(fh);
    if (env_keyval == MPI_KEYVAL_INVALID &&
        MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, env_delete, &env_keyval, NULL) != MPI_SUCCESS)
        return NULL;
    if (MPI_Comm_get_attr(gcomm, env_keyval, &attr, &found) == MPI_SUCCESS && found)
        return attr;
    /* the grid's processes in row-major order: env rank = myrow * npcol + mycol */
    ok = MPI_Comm_split(gcomm, 0, myrow * npcol + mycol, &ordered) == MPI_SUCCESS;
    if (ok && dc_env_create(ordered, NULL, &env) != DC_SUCCESS)
        env = NULL;
    if (ordered != MPI_COMM_NULL)
        MPI_Comm_free(&ordered);
    if (env != NULL && MPI_Comm_set_attr(gcomm, env_keyval, env) != MPI_SUCCESS)
        dc_env_destroy(&env);
    return env;
}

/* ---------------------------------------------------------------- argument checks */

/* Entries of the distributed dimension owned by process iproc (ScaLAPACK's NUMROC). */
static int numroc(int n, int nb, int iproc, int isrc, int nprocs)
{
    int mydist, nblocks, num, extra;

    if (isrc < 0)
        return n; /* replicated */
    mydist = (nprocs + iproc - isrc) % nprocs;
    nblocks = n / nb;
    num = (nblocks / nprocs) * nb;
    extra = nblocks % nprocs;
    if (mydist < extra)
        num += nb;
    else if (mydist == extra)
        num += n % nb;
    return num;
}

/*
 * PBLAS's check of one operand (PB_Cchkmat): the smallest failing position wins; a scalar
 * argument i gives INFO = -i, entry j of a descriptor argument i gives INFO = -(100 i + j),
 * entries numbered as in the Fortran descriptor (DTYPE_ = 1 ... LLD_ = 9).
 * ia, ja are 0-based; mpos/npos/dpos are argument positions.
 */
static void chkmat(int ctxt, const int grid[4], int M, int mpos, int N, int npos, int ia, int ja,
                   const int *desc, int dpos, int *info)
{
    const int nprow = grid[0], npcol = grid[1], myrow = grid[2], mycol = grid[3];
    const int iapos = (dpos - 2) * DESCMULT, japos = (dpos - 1) * DESCMULT;
    const int dbase = dpos * DESCMULT;
    int v;

    if (*info >= 0)
        v = BIGNUM;
    else if (*info < -DESCMULT)
        v = -*info;
    else
        v = -*info * DESCMULT;
#define KEEP(x) (v = (x) < v ? (x) : v)
    if (M < 0)
        KEEP(mpos * DESCMULT);
    if (N < 0)
        KEEP(npos * DESCMULT);
    if (ia < 0)
        KEEP(iapos);
    if (ja < 0)
        KEEP(japos);
    if (desc[DTYPE_] != 1) {
        KEEP(dbase + DTYPE_ + 1);
        goto done;
    }
    if (desc[CTXT_] != ctxt) {
        KEEP(dbase + CTXT_ + 1);
        goto done;
    }
    if (desc[MB_] < 1)
        KEEP(dbase + MB_ + 1);
    if (desc[NB_] < 1)
        KEEP(dbase + NB_ + 1);
    if (desc[RSRC_] < -1 || desc[RSRC_] >= nprow)
        KEEP(dbase + RSRC_ + 1);
    if (desc[CSRC_] < -1 || desc[CSRC_] >= npcol)
        KEEP(dbase + CSRC_ + 1);
    if (M == 0 || N == 0) {
        if (desc[M_] < 0)
            KEEP(dbase + M_ + 1);
        if (desc[N_] < 0)
            KEEP(dbase + N_ + 1);
        if (desc[LLD_] < 1)
            KEEP(dbase + LLD_ + 1);
    } else {
        if (desc[M_] < 1)
            KEEP(dbase + M_ + 1);
        if (desc[N_] < 1)
            KEEP(dbase + N_ + 1);
        if (desc[M_] >= 1 && desc[N_] >= 1) {
            if ((long)ia + M > desc[M_])
                KEEP(iapos);
            if ((long)ja + N > desc[N_])
                KEEP(japos);
        }
        if (v == BIGNUM) {
            int np = numroc(desc[M_], desc[MB_], myrow, desc[RSRC_], nprow);
            if (desc[LLD_] < (np > 1 ? np : 1)) {
                int nq = numroc(desc[N_], desc[NB_], mycol, desc[CSRC_], npcol);
                if (desc[LLD_] < 1 || nq > 0)
                    KEEP(dbase + LLD_ + 1);
            }
        }
    }
#undef KEEP
done:
    if (v == BIGNUM)
        *info = 0;
    else if (v % DESCMULT == 0)
        *info = -(v / DESCMULT);
    else
        *info = -v;
}

/* ---------------------------------------------------------------- the view of an operand */

/*
 * View of the rows x cols sub-matrix at (i0, j0) (0-based) of the matrix of desc, whose local
 * array is data. Collective over the env.
 */
static int make_view(dc_env_t *env, const int grid[4], int rows, int cols, int i0, int j0,
                     const int *desc, const double *data, dc_mat_t **view_p)
{
    dc_mat_dist_t d;
    size_t li, lj;

    memset(&d, 0, sizeof(d));
    d.m = rows;
    d.n = cols;
    d.mb = desc[MB_];
    d.nb = desc[NB_];
    d.nprow = grid[0];
    d.npcol = grid[1];
    d.rsrc = (desc[RSRC_] + i0 / desc[MB_]) % grid[0];
    d.csrc = (desc[CSRC_] + j0 / desc[NB_]) % grid[1];
    d.ioff = i0 % desc[MB_];
    d.joff = j0 % desc[NB_];
    /* the sub-matrix's first local row / column: this process's rows (columns) before it */
    li = (size_t)numroc(i0, desc[MB_], grid[2], desc[RSRC_], grid[0]);
    lj = (size_t)numroc(j0, desc[NB_], grid[3], desc[CSRC_], grid[1]);
    return dc_mat_create_view(env, &d, (double *)data + li + lj * (size_t)desc[LLD_],
                              (size_t)desc[LLD_], view_p);
}

/* ScaLAPACK's own pdgemm_, the next definition after this library (NULL if none). */
static pdgemm_fn next_pdgemm(void)
{
    static pdgemm_fn fn;
    static int looked;

    if (!looked) {
        void *sym = dlsym(RTLD_NEXT, "pdgemm_");
        memcpy(&fn, &sym, sizeof(fn));
        looked = 1;
    }
    return fn;
}

/* ---------------------------------------------------------------- pdgemm_ */

void pdgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
             const double *alpha, const double *a, const int *ia, const int *ja, const int *desca,
             const double *b, const int *ib, const int *jb, const int *descb, const double *beta,
             double *c, const int *ic, const int *jc, const int *descc)
{
    int grid[4], ctxt = desca[CTXT_], info = 0, nota, notb, ta, tb, pos, all;
    dc_env_t *env;
    dc_mat_t *A = NULL, *B = NULL, *C = NULL;
    pdgemm_fn real;
    int rc;

    ta = transa[0] >= 'a' ? transa[0] - 'a' + 'A' : transa[0];
    tb = transb[0] >= 'a' ? transb[0] - 'a' + 'A' : transb[0];
    nota = ta == 'N';
    notb = tb == 'N';
    Cblacs_gridinfo(ctxt, &grid[0], &grid[1], &grid[2], &grid[3]);
    if (grid[0] == -1) {
        /* not in the context's grid: nobody to agree with (PBLAS's INFO = -1002) */
        info = 10 * DESCMULT + CTXT_ + 1;
        pxerbla_(&ctxt, "PDGEMM", &info, 6);
        return;
    }
    if (!nota && ta != 'T' && ta != 'C')
        info = -1;
    else if (!notb && tb != 'T' && tb != 'C')
        info = -2;
    if (nota)
        chkmat(ctxt, grid, *m, 3, *k, 5, *ia - 1, *ja - 1, desca, 10, &info);
    else
        chkmat(ctxt, grid, *k, 5, *m, 3, *ia - 1, *ja - 1, desca, 10, &info);
    if (notb)
        chkmat(ctxt, grid, *k, 5, *n, 4, *ib - 1, *jb - 1, descb, 14, &info);
    else
        chkmat(ctxt, grid, *n, 4, *k, 5, *ib - 1, *jb - 1, descb, 14, &info);
    chkmat(ctxt, grid, *m, 3, *n, 4, *ic - 1, *jc - 1, descc, 19, &info);
    env = grid_env(ctxt, grid[0], grid[1], grid[2], grid[3]);
    if (env == NULL) {
        Cblacs_abort(ctxt, 1); /* no communicator to work with: PBLAS would abort too */
        return;
    }
    /* every process of the grid reports the same (smallest) failing position */
    {
        MPI_Comm comm;
        pos = info == 0 ? INT_MAX : -info;
        dc_env_get_comm(env, &comm);
        MPI_Allreduce(&pos, &all, 1, MPI_INT, MPI_MIN, comm);
    }
    if (all != INT_MAX) {
        pxerbla_(&ctxt, "PDGEMM", &all, 6);
        return;
    }
    /* PBLAS's quick return */
    if (*m == 0 || *n == 0 || ((*alpha == 0.0 || *k == 0) && *beta == 1.0))
        return;
    /* replicated operands are ScaLAPACK's business */
    if (desca[RSRC_] < 0 || desca[CSRC_] < 0 || descb[RSRC_] < 0 || descb[CSRC_] < 0 ||
        descc[RSRC_] < 0 || descc[CSRC_] < 0) {
        real = next_pdgemm();
        if (real != NULL)
            real(transa, transb, m, n, k, alpha, a, ia, ja, desca, b, ib, jb, descb, beta, c, ic,
                 jc, descc);
        else
            Cblacs_abort(ctxt, 1);
        return;
    }
    rc = make_view(env, grid, nota ? *m : *k, nota ? *k : *m, *ia - 1, *ja - 1, desca, a, &A);
    if (rc == DC_SUCCESS)
        rc = make_view(env, grid, notb ? *k : *n, notb ? *n : *k, *ib - 1, *jb - 1, descb, b, &B);
    if (rc == DC_SUCCESS)
        rc = make_view(env, grid, *m, *n, *ic - 1, *jc - 1, descc, c, &C);
    if (rc == DC_SUCCESS)
        rc = dc_mat_gemm(nota ? DC_MAT_NOTRANS : DC_MAT_TRANS, notb ? DC_MAT_NOTRANS : DC_MAT_TRANS,
                         *alpha, A, B, *beta, C);
    dc_mat_destroy(&A);
    dc_mat_destroy(&B);
    dc_mat_destroy(&C);
    if (rc != DC_SUCCESS) {
        /* Errors are agreed (the same on every process): C is untouched unless the failure
         * was inside the communication, so ScaLAPACK's own pdgemm_ can still do the work. */
        real = next_pdgemm();
        if (real != NULL && rc != DC_ERR_MPI)
            real(transa, transb, m, n, k, alpha, a, ia, ja, desca, b, ib, jb, descb, beta, c, ic,
                 jc, descc);
        else
            Cblacs_abort(ctxt, 1);
    }
}
