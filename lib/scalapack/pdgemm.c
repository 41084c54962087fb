/*
 * libdcompute_scalapack: a ScaLAPACK-compatible pdgemm_ (Fortran calling convention, PBLAS's
 * array descriptors of type 1 from descinit_ and type 2 with first blocks IMB/INB) implemented
 * on libdcompute's GEMM. Linked before -lscalapack, or LD_PRELOADed, it gives an unchanged
 * ScaLAPACK program libdcompute's GEMM. The caller's local arrays are wrapped as dc_mat views
 * (no copy); the BLACS grid's communicator gets one cached dc_env (an attribute of that
 * communicator, freed with it by blacs_gridexit). BLACS itself comes from the application's
 * ScaLAPACK; replicated operands (RSRC or CSRC = -1) go to that ScaLAPACK's own pdgemm_. A
 * first block larger than MB (NB) that a sub-matrix runs past is cut off into a GEMM of its own.
 * Illegal arguments are checked and reported as PBLAS does (same INFO, through PB_Cabort), agreed
 * over the grid.
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

/*
 * Descriptor entries in PBLAS's internal order (0-based), that of type 2, BLOCK_CYCLIC_2D_INB,
 * whose first row (column) block holds IMB rows (INB columns) and the others MB (NB). Type 1,
 * BLOCK_CYCLIC_2D (descinit_'s, 9 entries), is converted to it as PBLAS's PB_CargFtoC does, and
 * errors name entries in this order whatever the type, as PBLAS's do (DESCA's MB_ is entry 7).
 */
enum { DTYPE_ = 0, CTXT_, M_, N_, IMB_, INB_, MB_, NB_, RSRC_, CSRC_, LLD_, DLEN_ };
enum { CTXT1_ = 1, M1_, N1_, MB1_, NB1_, RSRC1_, CSRC1_, LLD1_ };
#define BLOCK_CYCLIC_2D       1
#define BLOCK_CYCLIC_2D_INB   2
#define BLACS_GET_BLACSCONTXT 10 /* blacs_get WHAT: the grid's communicator (Fortran handle) */
#define DESCMULT              100
#define BIGNUM                10000

typedef void (*pdgemm_fn)(const char *, const char *, const int *, const int *, const int *,
                          const double *, const double *, const int *, const int *, const int *,
                          const double *, const int *, const int *, const int *, const double *,
                          double *, const int *, const int *, const int *);
typedef void (*pb_cabort_fn)(int ctxt, const char *rout, int info);

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

/* Frees env_keyval at MPI_Finalize, which deletes MPI_COMM_SELF's attributes first (this
 * library cannot reach libdcompute's hidden helper for the same). */
static int keyval_release(MPI_Comm comm, int self_keyval, void *attr, void *extra)
{
    (void)comm;
    (void)attr;
    (void)extra;
    if (env_keyval != MPI_KEYVAL_INVALID)
        MPI_Comm_free_keyval(&env_keyval);
    MPI_Comm_free_keyval(&self_keyval);
    return MPI_SUCCESS;
}

static int keyval_create(void)
{
    int kv = MPI_KEYVAL_INVALID;

    if (MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, env_delete, &env_keyval, NULL) != MPI_SUCCESS)
        return 0;
    if (MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, keyval_release, &kv, NULL) == MPI_SUCCESS &&
        MPI_Comm_set_attr(MPI_COMM_SELF, kv, NULL) != MPI_SUCCESS)
        MPI_Comm_free_keyval(&kv);
    return 1;
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
    if (env_keyval == MPI_KEYVAL_INVALID && !keyval_create())
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

/* ---------------------------------------------------------------- descriptors */

/* PBLAS's PB_CargFtoC: any descriptor as type 2; an unknown type keeps only DTYPE_ and CTXT_. */
static void desc_to_inb(const int *in, int out[DLEN_])
{
    if (in[DTYPE_] == BLOCK_CYCLIC_2D) {
        out[DTYPE_] = BLOCK_CYCLIC_2D_INB;
        out[CTXT_] = in[CTXT1_];
        out[M_] = in[M1_];
        out[N_] = in[N1_];
        out[IMB_] = out[MB_] = in[MB1_];
        out[INB_] = out[NB_] = in[NB1_];
        out[RSRC_] = in[RSRC1_];
        out[CSRC_] = in[CSRC1_];
        out[LLD_] = in[LLD1_];
    } else if (in[DTYPE_] == BLOCK_CYCLIC_2D_INB) {
        memcpy(out, in, DLEN_ * sizeof(int));
    } else {
        out[DTYPE_] = in[DTYPE_];
        out[CTXT_] = in[CTXT_];
        out[M_] = out[N_] = 0;
        out[IMB_] = out[INB_] = out[MB_] = out[NB_] = 1;
        out[RSRC_] = out[CSRC_] = 0;
        out[LLD_] = 1;
    }
}

/* Entries of a distributed dimension of n owned by process iproc (ScaLAPACK's NUMROC). */
static long numroc(long n, long nb, int iproc, int isrc, int nprocs)
{
    long nblocks = n / nb, num = (nblocks / nprocs) * nb, extra = nblocks % nprocs;
    int mydist = (nprocs + iproc - isrc) % nprocs;

    if (mydist < extra)
        num += nb;
    else if (mydist == extra)
        num += n % nb;
    return num;
}

/* The same with a first block of inb (PBLAS's Mnumroc from index 0); isrc < 0: replicated. */
static long numroc_inb(long n, long inb, long nb, int iproc, int isrc, int nprocs)
{
    if (isrc < 0 || nprocs == 1)
        return n;
    if (n <= inb)
        return iproc == isrc ? n : 0;
    return (iproc == isrc ? inb : 0) + numroc(n - inb, nb, iproc, (isrc + 1) % nprocs, nprocs);
}

/* ---------------------------------------------------------------- argument checks */

/*
 * PBLAS's check of one operand (PB_Cchkmat) on a type-2 descriptor: the smallest failing
 * position wins; a scalar argument i gives INFO = -i, entry e (0-based, type-2 order) of a
 * descriptor argument i gives INFO = -(100 i + e + 1). ia, ja are 0-based; mpos/npos/dpos are
 * argument positions.
 */
static void chkmat(int ctxt, const int grid[4], int M, int mpos, int N, int npos, int ia, int ja,
                   const int *desc, int dpos, int *info)
{
    const int nprow = grid[0], npcol = grid[1], myrow = grid[2], mycol = grid[3];
    const int iapos = (dpos - 2) * DESCMULT, japos = (dpos - 1) * DESCMULT;
    const int dbase = dpos * DESCMULT + 1;
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
    if (desc[DTYPE_] != BLOCK_CYCLIC_2D_INB) {
        KEEP(dbase + DTYPE_);
        goto done;
    }
    if (desc[CTXT_] != ctxt) {
        KEEP(dbase + CTXT_);
        goto done;
    }
    if (desc[IMB_] < 1)
        KEEP(dbase + IMB_);
    if (desc[INB_] < 1)
        KEEP(dbase + INB_);
    if (desc[MB_] < 1)
        KEEP(dbase + MB_);
    if (desc[NB_] < 1)
        KEEP(dbase + NB_);
    if (desc[RSRC_] < -1 || desc[RSRC_] >= nprow)
        KEEP(dbase + RSRC_);
    if (desc[CSRC_] < -1 || desc[CSRC_] >= npcol)
        KEEP(dbase + CSRC_);
    if (M == 0 || N == 0) {
        if (desc[M_] < 0)
            KEEP(dbase + M_);
        if (desc[N_] < 0)
            KEEP(dbase + N_);
        if (desc[LLD_] < 1)
            KEEP(dbase + LLD_);
    } else {
        if (desc[M_] < 1)
            KEEP(dbase + M_);
        if (desc[N_] < 1)
            KEEP(dbase + N_);
        if (desc[M_] >= 1 && desc[N_] >= 1) {
            if ((long)ia + M > desc[M_])
                KEEP(iapos);
            if ((long)ja + N > desc[N_])
                KEEP(japos);
        }
        if (v == BIGNUM) {
            long np = numroc_inb(desc[M_], desc[IMB_], desc[MB_], myrow, desc[RSRC_], nprow);
            if (desc[LLD_] < (np > 1 ? np : 1)) {
                long nq = numroc_inb(desc[N_], desc[INB_], desc[NB_], mycol, desc[CSRC_], npcol);
                if (desc[LLD_] < 1 || nq > 0)
                    KEEP(dbase + LLD_);
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

/*
 * Report an illegal argument as PBLAS does: PB_Cabort(ctxt, "PDGEMM", info), which programs
 * (PBLAS's own tester among them) may define to learn of the error; ScaLAPACK's prints the
 * message and calls blacs_abort. Without PB_Cabort in the process (a ScaLAPACK without PBLAS's
 * tools), ScaLAPACK's other error hook, pxerbla_, gets -info (its parameter number).
 */
static void report(int ctxt, int info)
{
    void *sym = dlsym(RTLD_DEFAULT, "PB_Cabort");
    pb_cabort_fn fn;

    if (sym != NULL) {
        memcpy(&fn, &sym, sizeof(fn));
        fn(ctxt, "PDGEMM", info);
    } else {
        int pos = -info;
        pxerbla_(&ctxt, "PDGEMM", &pos, 6);
    }
}

/* ---------------------------------------------------------------- the view of an operand */

/*
 * How dc_mat expresses rows [i0, i0 + n) of a dimension distributed with a first block of inb,
 * then blocks of nb, from process src over nprocs: block size, source process and offset in
 * the first block (dc_mat's mb, rsrc, ioff), and lstart, the entries of [0, i0) that process
 * me holds (where the view starts in the local array). 0 when dc_mat cannot express it: a
 * first block larger than nb that the range runs past, on more than one process.
 */
static int dim_view(long i0, long n, long inb, long nb, int src, int nprocs, int me,
                    dc_gidx_t *mb_p, int *src_p, dc_gidx_t *off_p, size_t *lstart_p)
{
    if (i0 >= inb) {
        long r = i0 - inb; /* past the first block: standard blocks of nb from src + 1 */
        *mb_p = nb;
        *src_p = (int)((src + 1 + r / nb) % nprocs);
        *off_p = r % nb;
    } else if (inb - i0 <= nb) {
        /* the range's first block is the tail of a block of nb */
        *mb_p = nb;
        *src_p = src;
        *off_p = nb - (inb - i0);
    } else if (n <= inb - i0 || nprocs == 1) {
        /* all on one process: one block */
        *mb_p = n > 1 ? n : 1;
        *src_p = src;
        *off_p = 0;
    } else {
        return 0;
    }
    *lstart_p = (size_t)numroc_inb(i0, inb, nb, me, src, nprocs);
    return 1;
}

/*
 * The rows x cols sub-matrix at (i0, j0) (0-based) of the matrix of desc (type 2), whose
 * local array is data, as dc_mat distribution d and local start; 0 if not expressible.
 */
static int sub_dist(const int grid[4], int rows, int cols, int i0, int j0, const int *desc,
                    dc_mat_dist_t *d, size_t *lstart_p)
{
    size_t li, lj;

    memset(d, 0, sizeof(*d));
    d->m = rows;
    d->n = cols;
    d->nprow = grid[0];
    d->npcol = grid[1];
    if (!dim_view(i0, rows, desc[IMB_], desc[MB_], desc[RSRC_], grid[0], grid[2], &d->mb, &d->rsrc,
                  &d->ioff, &li) ||
        !dim_view(j0, cols, desc[INB_], desc[NB_], desc[CSRC_], grid[1], grid[3], &d->nb, &d->csrc,
                  &d->joff, &lj))
        return 0;
    *lstart_p = li + lj * (size_t)desc[LLD_];
    return 1;
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

/* ---------------------------------------------------------------- pieces */

/* One pdgemm_ call: the caller's arguments, descriptors as given and in type-2 form. */
typedef struct {
    const char *transa, *transb;
    int nota, notb, grid[4];
    const double *alpha, *a, *b;
    double *c;
    const int *desca, *descb, *descc;
    int Ad[DLEN_], Bd[DLEN_], Cd[DLEN_];
    dc_env_t *env;
} call_t;

/* A part of the call: sizes and 1-based starts of the sub-matrices. */
typedef struct {
    int m, n, k, ia, ja, ib, jb, ic, jc;
} piece_t;

/*
 * Where to cut rows [i0, i0 + n) so that dc_mat can express both parts (see dim_view): at the
 * end of a first block larger than nb that the range runs past, on more than one process; 0
 * when no cut is needed.
 */
static int split_at(long i0, long n, long inb, long nb, int nprocs)
{
    if (nprocs > 1 && i0 < inb && inb - i0 > nb && n > inb - i0)
        return (int)(inb - i0);
    return 0;
}

/* The piece with ScaLAPACK's own pdgemm_ (same descriptors, the piece's sizes and starts). */
static void piece_scalapack(const call_t *c, const piece_t *p, const double *beta)
{
    pdgemm_fn real = next_pdgemm();

    if (real != NULL)
        real(c->transa, c->transb, &p->m, &p->n, &p->k, c->alpha, c->a, &p->ia, &p->ja, c->desca,
             c->b, &p->ib, &p->jb, c->descb, beta, c->c, &p->ic, &p->jc, c->descc);
    else
        Cblacs_abort(c->Ad[CTXT_], 1);
}

/*
 * C(piece) = alpha op(A) op(B) + beta C(piece) with libdcompute's GEMM on views of the caller's
 * arrays. A first block that dc_mat cannot express is cut off: along m or n the two parts are
 * independent GEMMs, along k the second adds to the first (beta = 1). Collective; every process
 * cuts alike (global arguments only).
 */
static void run_piece(const call_t *c, const piece_t *p, const double *beta)
{
    static const double one = 1.0;
    const int *Ad = c->Ad, *Bd = c->Bd, *Cd = c->Cd, *grid = c->grid;
    piece_t q1 = *p, q2 = *p;
    dc_mat_dist_t da, db, dcd;
    size_t oa = 0, ob = 0, oc = 0;
    dc_mat_t *A = NULL, *B = NULL, *C = NULL;
    int s, rc;

    /* m: rows of C and of op(A) */
    s = split_at(p->ic - 1, p->m, Cd[IMB_], Cd[MB_], grid[0]);
    if (s == 0)
        s = c->nota ? split_at(p->ia - 1, p->m, Ad[IMB_], Ad[MB_], grid[0])
                    : split_at(p->ja - 1, p->m, Ad[INB_], Ad[NB_], grid[1]);
    if (s > 0) {
        q1.m = s;
        q2.m = p->m - s;
        q2.ic += s;
        *(c->nota ? &q2.ia : &q2.ja) += s;
        run_piece(c, &q1, beta);
        run_piece(c, &q2, beta);
        return;
    }
    /* n: columns of C and of op(B) */
    s = split_at(p->jc - 1, p->n, Cd[INB_], Cd[NB_], grid[1]);
    if (s == 0)
        s = c->notb ? split_at(p->jb - 1, p->n, Bd[INB_], Bd[NB_], grid[1])
                    : split_at(p->ib - 1, p->n, Bd[IMB_], Bd[MB_], grid[0]);
    if (s > 0) {
        q1.n = s;
        q2.n = p->n - s;
        q2.jc += s;
        *(c->notb ? &q2.jb : &q2.ib) += s;
        run_piece(c, &q1, beta);
        run_piece(c, &q2, beta);
        return;
    }
    /* k: columns of op(A) and rows of op(B); the second part adds to the first */
    s = c->nota ? split_at(p->ja - 1, p->k, Ad[INB_], Ad[NB_], grid[1])
                : split_at(p->ia - 1, p->k, Ad[IMB_], Ad[MB_], grid[0]);
    if (s == 0)
        s = c->notb ? split_at(p->ib - 1, p->k, Bd[IMB_], Bd[MB_], grid[0])
                    : split_at(p->jb - 1, p->k, Bd[INB_], Bd[NB_], grid[1]);
    if (s > 0) {
        q1.k = s;
        q2.k = p->k - s;
        *(c->nota ? &q2.ja : &q2.ia) += s;
        *(c->notb ? &q2.ib : &q2.jb) += s;
        run_piece(c, &q1, beta);
        run_piece(c, &q2, &one);
        return;
    }
    if (!sub_dist(grid, c->nota ? p->m : p->k, c->nota ? p->k : p->m, p->ia - 1, p->ja - 1, Ad, &da,
                  &oa) ||
        !sub_dist(grid, c->notb ? p->k : p->n, c->notb ? p->n : p->k, p->ib - 1, p->jb - 1, Bd, &db,
                  &ob) ||
        !sub_dist(grid, p->m, p->n, p->ic - 1, p->jc - 1, Cd, &dcd, &oc)) {
        piece_scalapack(c, p, beta); /* not reached: after the cuts above every part fits */
        return;
    }
    rc = dc_mat_create_view(c->env, &da, (double *)c->a + oa, (size_t)Ad[LLD_], &A);
    if (rc == DC_SUCCESS)
        rc = dc_mat_create_view(c->env, &db, (double *)c->b + ob, (size_t)Bd[LLD_], &B);
    if (rc == DC_SUCCESS)
        rc = dc_mat_create_view(c->env, &dcd, c->c + oc, (size_t)Cd[LLD_], &C);
    if (rc == DC_SUCCESS)
        rc = dc_mat_gemm(c->nota ? DC_MAT_NOTRANS : DC_MAT_TRANS,
                         c->notb ? DC_MAT_NOTRANS : DC_MAT_TRANS, *c->alpha, A, B, *beta, C);
    dc_mat_destroy(&A);
    dc_mat_destroy(&B);
    dc_mat_destroy(&C);
    if (rc != DC_SUCCESS) {
        /* Errors are agreed (the same on every process): C(piece) is untouched unless the
         * failure was inside the communication, so ScaLAPACK's own pdgemm_ can still do it. */
        if (rc != DC_ERR_MPI)
            piece_scalapack(c, p, beta);
        else
            Cblacs_abort(Ad[CTXT_], 1);
    }
}

/* ---------------------------------------------------------------- pdgemm_ */

void pdgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
             const double *alpha, const double *a, const int *ia, const int *ja, const int *desca,
             const double *b, const int *ib, const int *jb, const int *descb, const double *beta,
             double *c, const int *ic, const int *jc, const int *descc)
{
    call_t call;
    piece_t whole;
    int *grid = call.grid, *Ad = call.Ad, *Bd = call.Bd, *Cd = call.Cd;
    int ctxt, info = 0, nota, notb, ta, tb, pos, all;

    ta = transa[0] >= 'a' ? transa[0] - 'a' + 'A' : transa[0];
    tb = transb[0] >= 'a' ? transb[0] - 'a' + 'A' : transb[0];
    nota = ta == 'N';
    notb = tb == 'N';
    desc_to_inb(desca, Ad);
    desc_to_inb(descb, Bd);
    desc_to_inb(descc, Cd);
    ctxt = Ad[CTXT_];
    Cblacs_gridinfo(ctxt, &grid[0], &grid[1], &grid[2], &grid[3]);
    if (grid[0] == -1) {
        /* not in the context's grid: nobody to agree with (PBLAS's INFO = -1002) */
        report(ctxt, -(10 * DESCMULT + CTXT_ + 1));
        return;
    }
    if (!nota && ta != 'T' && ta != 'C')
        info = -1;
    else if (!notb && tb != 'T' && tb != 'C')
        info = -2;
    if (nota)
        chkmat(ctxt, grid, *m, 3, *k, 5, *ia - 1, *ja - 1, Ad, 10, &info);
    else
        chkmat(ctxt, grid, *k, 5, *m, 3, *ia - 1, *ja - 1, Ad, 10, &info);
    if (notb)
        chkmat(ctxt, grid, *k, 5, *n, 4, *ib - 1, *jb - 1, Bd, 14, &info);
    else
        chkmat(ctxt, grid, *n, 4, *k, 5, *ib - 1, *jb - 1, Bd, 14, &info);
    chkmat(ctxt, grid, *m, 3, *n, 4, *ic - 1, *jc - 1, Cd, 19, &info);
    call.env = grid_env(ctxt, grid[0], grid[1], grid[2], grid[3]);
    if (call.env == NULL) {
        Cblacs_abort(ctxt, 1); /* no communicator to work with: PBLAS would abort too */
        return;
    }
    /*
     * Every process of the grid reports the same (smallest) failing position. PBLAS checks
     * each process alone, so a local failure (a short LLD) stops that process only, and the
     * others go on into the computation; here they all stop.
     */
    {
        MPI_Comm comm;
        pos = info == 0 ? INT_MAX : -info;
        dc_env_get_comm(call.env, &comm);
        MPI_Allreduce(&pos, &all, 1, MPI_INT, MPI_MIN, comm);
    }
    if (all != INT_MAX) {
        report(ctxt, -all);
        return;
    }
    /* PBLAS's quick return */
    if (*m == 0 || *n == 0 || ((*alpha == 0.0 || *k == 0) && *beta == 1.0))
        return;
    call.transa = transa;
    call.transb = transb;
    call.nota = nota;
    call.notb = notb;
    call.alpha = alpha;
    call.a = a;
    call.b = b;
    call.c = c;
    call.desca = desca;
    call.descb = descb;
    call.descc = descc;
    whole.m = *m;
    whole.n = *n;
    whole.k = *k;
    whole.ia = *ia;
    whole.ja = *ja;
    whole.ib = *ib;
    whole.jb = *jb;
    whole.ic = *ic;
    whole.jc = *jc;
    /* Replicated operands (RSRC or CSRC = -1) are ScaLAPACK's business (every process alike). */
    if (Ad[RSRC_] < 0 || Ad[CSRC_] < 0 || Bd[RSRC_] < 0 || Bd[CSRC_] < 0 || Cd[RSRC_] < 0 ||
        Cd[CSRC_] < 0)
        piece_scalapack(&call, &whole, beta);
    else
        run_piece(&call, &whole, beta);
}
