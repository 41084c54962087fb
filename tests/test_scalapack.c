/*
 * Side by side with ScaLAPACK: the program links libdcompute_scalapack before ScaLAPACK, so its
 * calls to pdgemm_ reach libdcompute's (checked with dladdr), while ScaLAPACK's own pdgemm_ is
 * taken with dlsym from ScaLAPACK's library. Both run on the same BLACS grids (row- and
 * column-major, every shape of the rank count) and descriptors (block sizes that do not divide,
 * source offsets, sub-matrices IA/JA, LLD > needed, all transposes, sizes 0 and 1); results
 * must agree to rounding and entries outside sub(C) stay untouched. PBLAS's own descriptor type
 * 2 (BLOCK_CYCLIC_2D_INB: first blocks IMB x INB that differ from MB x NB) is checked against a
 * serial reference. Bad arguments must give PBLAS's INFO through PB_Cabort, as PBLAS's pdgemm_
 * reports them (captured here by defining PB_Cabort, as PBLAS's tester does), on every process,
 * the same INFO as ScaLAPACK's own pdgemm_ gives.
 * Built twice: linked with libdcompute_scalapack first, and (DCT_PRELOAD) linked with ScaLAPACK
 * only and given libdcompute_scalapack through LD_PRELOAD, as an unchanged program would be.
 */
#ifdef DCT_NO_SCALAPACK
#include <stdio.h>
int main(void)
{
    printf("SKIP: built without ScaLAPACK (apt-get install libscalapack-openmpi-dev)\n");
    return 77;
}
#else
#define _GNU_SOURCE
#include "dc_test.h"

#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void Cblacs_get(int ctxt, int what, int *val);
void Cblacs_gridinit(int *ctxt, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int ctxt);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *rsrc,
               const int *csrc, const int *ctxt, const int *lld, int *info);
void pdgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
             const double *alpha, const double *a, const int *ia, const int *ja, const int *desca,
             const double *b, const int *ib, const int *jb, const int *descb, const double *beta,
             double *c, const int *ic, const int *jc, const int *descc);
typedef void (*pdgemm_fn)(const char *, const char *, const int *, const int *, const int *,
                          const double *, const double *, const int *, const int *, const int *,
                          const double *, const int *, const int *, const int *, const double *,
                          double *, const int *, const int *, const int *);

/*
 * PB_Cabort of this program interposes ScaLAPACK's (which would print and abort): PBLAS's
 * pdgemm_, ScaLAPACK's and libdcompute's, report INFO here and return. PB_Cwarn (PBLAS's
 * warnings on the way) is silenced. pxerbla_ must not be called: PBLAS reports once.
 */
static int last_info = 0, ninfo = 0, npxerbla = 0;
void PB_Cabort(int ctxt, const char *rout, int info);
void PB_Cabort(int ctxt, const char *rout, int info)
{
    (void)ctxt;
    (void)rout;
    last_info = info;
    ninfo++;
}
void PB_Cwarn(int ctxt, int line, const char *rout, const char *form, ...);
void PB_Cwarn(int ctxt, int line, const char *rout, const char *form, ...)
{
    (void)ctxt;
    (void)line;
    (void)rout;
    (void)form;
}
void pxerbla_(const int *ctxt, const char *srname, const int *info, size_t len);
void pxerbla_(const int *ctxt, const char *srname, const int *info, size_t len)
{
    (void)ctxt;
    (void)srname;
    (void)info;
    (void)len;
    npxerbla++;
}

static pdgemm_fn scalapack_pdgemm;

#ifdef DCT_PRELOAD
/*
 * The unchanged-program case: this binary is linked with ScaLAPACK only, and re-executes itself
 * with libdcompute_scalapack in LD_PRELOAD before main (glibc passes argc/argv/envp to
 * constructors), which is what a user does from the shell.
 */
#include <unistd.h>
__attribute__((constructor)) static void preload_self(int argc, char **argv, char **envp)
{
    const char *lib = DCT_SCALAPACK_SO;
    const char *have = getenv("LD_PRELOAD");
    char *val;

    (void)argc;
    (void)envp;
    if (have != NULL && strstr(have, "libdcompute_scalapack") != NULL)
        return;
    if (access(lib, R_OK) != 0)
        return; /* test_interposed then fails with a message */
    /* after what is already preloaded: a sanitizer runtime there must stay first */
    val = malloc(strlen(lib) + (have ? strlen(have) + 2 : 1));
    val[0] = '\0';
    if (have != NULL && *have != '\0') {
        strcpy(val, have);
        strcat(val, ":");
    }
    strcat(val, lib);
    setenv("LD_PRELOAD", val, 1);
    {
        /* the program's own path: under valgrind, /proc/self/exe itself is valgrind's loader
         * (which refuses to run), while readlink of it gives the program */
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
            self[n] = '\0';
            execv(self, argv);
        }
    }
    execv("/proc/self/exe", argv);
}
#endif

/* ScaLAPACK's own pdgemm_: the definition inside the library that defines descinit_. */
static pdgemm_fn find_real(void)
{
    Dl_info di;
    void *h, *sym;
    pdgemm_fn fn = NULL;

    if (dladdr((void *)descinit_, &di) == 0 || di.dli_fname == NULL)
        return NULL;
    h = dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (h == NULL)
        return NULL;
    sym = dlsym(h, "pdgemm_");
    memcpy(&fn, &sym, sizeof(fn));
    return fn;
}

/* ---------------------------------------------------------------- local <-> global */

static int numroc(int n, int nb, int iproc, int isrc, int nprocs)
{
    int mydist = (nprocs + iproc - isrc) % nprocs, nblocks = n / nb;
    int num = (nblocks / nprocs) * nb, extra = nblocks % nprocs;
    if (mydist < extra)
        num += nb;
    else if (mydist == extra)
        num += n % nb;
    return num;
}

/* 0-based global index of 0-based local index l. */
static int l2g(int l, int nb, int iproc, int isrc, int nprocs)
{
    return nprocs * nb * (l / nb) + l % nb + ((nprocs + iproc - isrc) % nprocs) * nb;
}

typedef struct {
    int M, N, mb, nb, rsrc, csrc, lldpad;
} mspec_t;

typedef struct {
    int desc[9];
    double *data;
    int mloc, nloc, lld;
} lmat_t;

static double gval(uint64_t seed, int i, int j)
{
    return dct_rand(seed, (uint64_t)i * 7919u + (uint64_t)j);
}

/* Allocate and fill (or NaN-fill when nanfill) the local part of an M x N matrix. */
static int lmat_init(lmat_t *x, const mspec_t *s, int ctxt, uint64_t seed, int nanfill)
{
    int nprow, npcol, myrow, mycol, info = 0, i, j;

    Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
    x->mloc = numroc(s->M, s->mb, myrow, s->rsrc, nprow);
    x->nloc = numroc(s->N, s->nb, mycol, s->csrc, npcol);
    x->lld = (x->mloc > 1 ? x->mloc : 1) + s->lldpad;
    descinit_(x->desc, &s->M, &s->N, &s->mb, &s->nb, &s->rsrc, &s->csrc, &ctxt, &x->lld, &info);
    x->data = malloc(sizeof(double) * ((size_t)x->lld * (size_t)x->nloc + 1));
    for (j = 0; j < x->nloc; j++)
        for (i = 0; i < x->lld; i++)
            x->data[i + (size_t)j * x->lld] = i >= x->mloc ? -7.0
                                              : nanfill
                                                  ? NAN
                                                  : gval(seed, l2g(i, s->mb, myrow, s->rsrc, nprow),
                                                         l2g(j, s->nb, mycol, s->csrc, npcol));
    return info;
}

/* ---------------------------------------------------------------- side by side */

typedef struct {
    char ta, tb;
    int m, n, k;
    int ia, ja, ib, jb, ic, jc; /* 1-based */
    mspec_t sa, sb, sc;
    double alpha, beta;
} case_t;

/* Run one case with both implementations on a grid; 1 if they agree (collective). */
static int side_by_side(int ctxt, const case_t *t)
{
    lmat_t A, B, C1, C2;
    int ok = 1, i, j, kk = t->k > 0 ? t->k : 1;
    double tol = 16.0 * (kk + 2) * DBL_EPSILON * (fabs(t->alpha) * kk + fabs(t->beta) + 1.0);

    lmat_init(&A, &t->sa, ctxt, 1, 0);
    lmat_init(&B, &t->sb, ctxt, 2, 0);
    lmat_init(&C1, &t->sc, ctxt, 3, t->beta == 0.0);
    lmat_init(&C2, &t->sc, ctxt, 3, t->beta == 0.0);
    pdgemm_(&t->ta, &t->tb, &t->m, &t->n, &t->k, &t->alpha, A.data, &t->ia, &t->ja, A.desc, B.data,
            &t->ib, &t->jb, B.desc, &t->beta, C1.data, &t->ic, &t->jc, C1.desc);
    scalapack_pdgemm(&t->ta, &t->tb, &t->m, &t->n, &t->k, &t->alpha, A.data, &t->ia, &t->ja, A.desc,
                     B.data, &t->ib, &t->jb, B.desc, &t->beta, C2.data, &t->ic, &t->jc, C2.desc);
    /* the same local array, entry by entry: inside sub(C) to rounding, outside untouched */
    for (j = 0; j < C1.nloc && ok; j++)
        for (i = 0; i < C1.lld && ok; i++) {
            double x = C1.data[i + (size_t)j * C1.lld], y = C2.data[i + (size_t)j * C2.lld];
            if (!(fabs(x - y) <= tol) && !(isnan(x) && isnan(y))) {
                fprintf(stderr,
                        "[rank %d] %c%c m=%d n=%d k=%d ia=%d ja=%d ic=%d jc=%d mb=%d: "
                        "local C(%d,%d) dc %.17g, ScaLAPACK %.17g\n",
                        dct_rank, t->ta, t->tb, t->m, t->n, t->k, t->ia, t->ja, t->ic, t->jc,
                        t->sc.mb, i, j, x, y);
                ok = 0;
            }
        }
    free(A.data);
    free(B.data);
    free(C1.data);
    free(C2.data);
    return dct_all(ok);
}

/* Operand spec for a sub-matrix of rows x cols at (i, j) with a few extra rows and columns. */
static mspec_t spec_for(int rows, int cols, int i, int j, int mb, int nb, int rsrc, int csrc,
                        int nprow, int npcol)
{
    mspec_t s;
    s.M = i - 1 + rows + 2;
    s.N = j - 1 + cols + 1;
    s.mb = mb;
    s.nb = nb;
    s.rsrc = rsrc % nprow;
    s.csrc = csrc % npcol;
    s.lldpad = 3;
    return s;
}

static void run_grid(int pr, int pc, const char *order)
{
    int ctxt, nprow = 0, npcol = 0, myrow, mycol, t;
    static const int sizes[][3] = {{0, 4, 3},    {5, 0, 3},   {4, 5, 0}, {1, 1, 1},
                                   {17, 13, 11}, {9, 23, 31}, {40, 7, 5}};
    static const char ops[4][2] = {{'N', 'N'}, {'T', 'N'}, {'N', 'T'}, {'C', 'T'}};

    Cblacs_get(-1, 0, &ctxt);
    Cblacs_gridinit(&ctxt, order, pr, pc);
    Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
    for (t = 0; t < 7 * 4; t++) {
        case_t c;
        int sz = t / 4, op = t % 4, mb = 2 + t % 3, nb = 3 + t % 2;
        memset(&c, 0, sizeof(c));
        c.ta = ops[op][0];
        c.tb = ops[op][1];
        c.m = sizes[sz][0];
        c.n = sizes[sz][1];
        c.k = sizes[sz][2];
        c.ia = 1 + t % 4;
        c.ja = 2;
        c.ib = 3;
        c.jb = 1 + t % 3;
        c.ic = 1 + t % 5;
        c.jc = 4;
        c.alpha = t % 7 == 6 ? 0.0 : 1.25;
        c.beta = t % 3 == 0 ? 0.0 : -0.5;
        c.sa = c.ta == 'N' ? spec_for(c.m, c.k, c.ia, c.ja, mb, nb, 1, 0, nprow, npcol)
                           : spec_for(c.k, c.m, c.ia, c.ja, mb, nb, 1, 0, nprow, npcol);
        c.sb = c.tb == 'N' ? spec_for(c.k, c.n, c.ib, c.jb, nb, mb, 0, 1, nprow, npcol)
                           : spec_for(c.n, c.k, c.ib, c.jb, nb, mb, 0, 1, nprow, npcol);
        c.sc = spec_for(c.m, c.n, c.ic, c.jc, mb, mb + 1, nprow - 1, npcol - 1, nprow, npcol);
        CU_ASSERT(side_by_side(ctxt, &c));
    }
    /* a larger one with ScaLAPACK's usual square blocks */
    {
        case_t c;
        memset(&c, 0, sizeof(c));
        c.ta = 'N';
        c.tb = 'N';
        c.m = 150;
        c.n = 130;
        c.k = 170;
        c.ia = c.ja = c.ib = c.jb = c.ic = c.jc = 1;
        c.alpha = 1.0;
        c.beta = 1.0;
        c.sa = spec_for(c.m, c.k, 1, 1, 32, 32, 0, 0, nprow, npcol);
        c.sb = spec_for(c.k, c.n, 1, 1, 32, 32, 0, 0, nprow, npcol);
        c.sc = spec_for(c.m, c.n, 1, 1, 32, 32, 0, 0, nprow, npcol);
        CU_ASSERT(side_by_side(ctxt, &c));
    }
    Cblacs_gridexit(ctxt); /* frees the grid and, with it, libdcompute's env for it */
}

static void test_interposed(void)
{
    Dl_info di;
    void *ours = NULL;
    pdgemm_fn p = pdgemm_;

    memcpy(&ours, &p, sizeof(ours));
    CU_ASSERT(dladdr(ours, &di) != 0 && di.dli_fname != NULL &&
              strstr(di.dli_fname, "dcompute_scalapack") != NULL);
    if (dladdr(ours, &di) == 0 || strstr(di.dli_fname, "dcompute_scalapack") == NULL)
        fprintf(stderr, "[rank %d] pdgemm_ comes from %s, not libdcompute_scalapack\n", dct_rank,
                di.dli_fname ? di.dli_fname : "?");
    CU_ASSERT(scalapack_pdgemm != NULL && scalapack_pdgemm != p);
}

static void test_grids(void)
{
    int pr;

    if (scalapack_pdgemm == NULL)
        return;
    for (pr = 1; pr <= dct_size; pr++)
        if (dct_size % pr == 0) {
            run_grid(pr, dct_size / pr, "Row");
            if (pr > 1 && pr < dct_size)
                run_grid(pr, dct_size / pr, "Col");
        }
}

/* ---------------------------------------------------------------- type 2 descriptors */

/*
 * One dimension of PBLAS's type-2 distribution (first block inb, then nb, dealt from src): the
 * owner and local index of every global index, counted here entry by entry, independently of
 * the library's formulas.
 */
typedef struct {
    int *owner, *local, mine;
} dmap_t;

static void dmap_init(dmap_t *d, int n, int inb, int nb, int src, int nprocs, int me)
{
    int *count = calloc((size_t)nprocs, sizeof(int)), g;

    d->owner = malloc(sizeof(int) * (size_t)(n + 1));
    d->local = malloc(sizeof(int) * (size_t)(n + 1));
    for (g = 0; g < n; g++) {
        int blk = g < inb ? 0 : 1 + (g - inb) / nb;
        d->owner[g] = (src + blk) % nprocs;
        d->local[g] = count[d->owner[g]]++;
    }
    d->mine = count[me];
    free(count);
}

typedef struct {
    int imb, inb, mb, nb, i, j; /* first blocks, blocks, 1-based start of the sub-matrix */
} ispec_t;

typedef struct {
    int desc[11], M, N, lld;
    double *data;
    dmap_t r, c;
} imat_t;

/*
 * The rows x cols sub-matrix at (s->i, s->j) of a matrix with two extra rows and one extra
 * column, type-2 descriptor (type 1 when type1 and the first blocks are full blocks), local
 * array filled with gval(seed) (NaN when nanfill) and -7 in the rows past the local ones.
 */
static void imat_init(imat_t *x, const ispec_t *s, int rows, int cols, int rsrc, int csrc, int ctxt,
                      int type1, uint64_t seed, int nanfill)
{
    int nprow, npcol, myrow, mycol, i, j, mloc;

    Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
    x->M = s->i - 1 + rows + 2;
    x->N = s->j - 1 + cols + 1;
    dmap_init(&x->r, x->M, s->imb, s->mb, rsrc, nprow, myrow);
    dmap_init(&x->c, x->N, s->inb, s->nb, csrc, npcol, mycol);
    mloc = x->r.mine;
    x->lld = (mloc > 1 ? mloc : 1) + 3;
    if (type1 && s->imb == s->mb && s->inb == s->nb) {
        int d[9] = {1, ctxt, x->M, x->N, s->mb, s->nb, rsrc, csrc, x->lld};
        memcpy(x->desc, d, sizeof(d));
    } else {
        int d[11] = {2, ctxt, x->M, x->N, s->imb, s->inb, s->mb, s->nb, rsrc, csrc, x->lld};
        memcpy(x->desc, d, sizeof(d));
    }
    x->data = malloc(sizeof(double) * ((size_t)x->lld * (size_t)x->c.mine + 1));
    for (j = 0; j < x->lld * x->c.mine; j++)
        x->data[j] = -7.0;
    for (j = 0; j < x->N; j++)
        for (i = 0; i < x->M; i++)
            if (x->r.owner[i] == myrow && x->c.owner[j] == mycol)
                x->data[x->r.local[i] + (size_t)x->c.local[j] * x->lld] =
                    nanfill ? NAN : gval(seed, i, j);
}

static void imat_free(imat_t *x)
{
    free(x->data);
    free(x->r.owner);
    free(x->r.local);
    free(x->c.owner);
    free(x->c.local);
}

typedef struct {
    int m, n, k;
    double alpha, beta;
    ispec_t a, b, c;
} icase_t;

/*
 * pdgemm_ on type-2 operands against a serial reference computed here from the global values:
 * inside sub(C) to rounding, every other local entry untouched (collective: 1 if all agree).
 */
static int inb_case(int ctxt, const icase_t *t, char ta, char tb, int type1)
{
    int nprow, npcol, myrow, mycol, i, j, l, ok = 1, kk = t->k > 0 ? t->k : 1;
    double tol = 16.0 * (kk + 2) * DBL_EPSILON * (fabs(t->alpha) * kk + fabs(t->beta) + 1.0);
    imat_t A, B, C;

    Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
    imat_init(&A, &t->a, ta == 'N' ? t->m : t->k, ta == 'N' ? t->k : t->m, 1 % nprow, 0, ctxt,
              type1, 1, 0);
    imat_init(&B, &t->b, tb == 'N' ? t->k : t->n, tb == 'N' ? t->n : t->k, 0, 1 % npcol, ctxt,
              !type1, 2, 0);
    imat_init(&C, &t->c, t->m, t->n, nprow - 1, npcol - 1, ctxt, type1, 3, t->beta == 0.0);
    pdgemm_(&ta, &tb, &t->m, &t->n, &t->k, &t->alpha, A.data, &t->a.i, &t->a.j, A.desc, B.data,
            &t->b.i, &t->b.j, B.desc, &t->beta, C.data, &t->c.i, &t->c.j, C.desc);
    for (j = 0; j < C.N && ok; j++)
        for (i = 0; i < C.M && ok; i++) {
            int si = i - (t->c.i - 1), sj = j - (t->c.j - 1);
            double x, want;
            if (C.r.owner[i] != myrow || C.c.owner[j] != mycol)
                continue;
            x = C.data[C.r.local[i] + (size_t)C.c.local[j] * C.lld];
            if (si >= 0 && si < t->m && sj >= 0 && sj < t->n) {
                want = t->beta == 0.0 ? 0.0 : t->beta * gval(3, i, j);
                for (l = 0; l < t->k; l++) {
                    double av = ta == 'N' ? gval(1, t->a.i - 1 + si, t->a.j - 1 + l)
                                          : gval(1, t->a.i - 1 + l, t->a.j - 1 + si);
                    double bv = tb == 'N' ? gval(2, t->b.i - 1 + l, t->b.j - 1 + sj)
                                          : gval(2, t->b.i - 1 + sj, t->b.j - 1 + l);
                    want += t->alpha * av * bv;
                }
                ok = fabs(x - want) <= tol;
            } else {
                want = t->beta == 0.0 ? NAN : gval(3, i, j);
                ok = dct_same_bits(x, want) || (isnan(x) && isnan(want));
            }
            if (!ok)
                fprintf(stderr,
                        "[rank %d] type 2 %c%c m=%d n=%d k=%d on %dx%d: C(%d,%d) = %.17g, "
                        "want %.17g\n",
                        dct_rank, ta, tb, t->m, t->n, t->k, nprow, npcol, i + 1, j + 1, x, want);
        }
    for (i = 0; i < C.lld * C.c.mine && ok; i++)
        if (i % C.lld >= C.r.mine && C.data[i] != -7.0)
            ok = 0; /* padding below the local rows */
    imat_free(&A);
    imat_free(&B);
    imat_free(&C);
    return dct_all(ok);
}

static void test_inb(void)
{
    /* first blocks smaller than, larger than and equal to the blocks; sub-matrices starting
     * inside the first block, past it, and lying wholly inside a large first block */
    static const icase_t cases[] = {
        /* IMB < MB, INB < NB: the first block is the tail of a block */
        {11, 9, 13, 1.5, -0.5, {2, 1, 4, 3, 1, 2}, {3, 5, 5, 6, 4, 1}, {1, 2, 3, 4, 2, 1}},
        /* IMB > MB, sub-matrices running past the first block: cut along m, n and k */
        {10, 7, 9, 1.0, 0.0, {7, 8, 2, 3, 3, 1}, {6, 2, 2, 3, 1, 2}, {9, 5, 4, 2, 2, 3}},
        /* IMB > MB, sub-matrices inside the first block */
        {5, 4, 6, -2.0, 0.75, {9, 9, 2, 2, 2, 2}, {8, 7, 3, 2, 1, 1}, {7, 6, 2, 3, 2, 1}},
        /* IMB > MB, sub-matrices starting past the first block */
        {8, 6, 7, 0.5, 1.0, {5, 4, 2, 3, 8, 6}, {4, 3, 3, 2, 6, 5}, {3, 6, 2, 4, 5, 8}},
        /* IMB = MB (type 1 where the case asks for it) beside IMB < MB */
        {9, 8, 10, 1.0, 1.0, {3, 3, 3, 3, 1, 1}, {1, 1, 4, 4, 2, 2}, {4, 4, 4, 4, 1, 1}},
        /* k = 0 and alpha = 0: C = beta C only */
        {6, 5, 0, 1.5, 2.0, {2, 3, 3, 4, 2, 1}, {1, 2, 2, 3, 1, 1}, {2, 1, 3, 2, 3, 2}},
        {6, 5, 4, 0.0, 2.0, {2, 3, 3, 4, 2, 1}, {1, 2, 2, 3, 1, 1}, {2, 1, 3, 2, 3, 2}},
    };
    static const char ops[4][2] = {{'N', 'N'}, {'T', 'N'}, {'N', 'T'}, {'T', 'T'}};
    int pr, ctxt, t, o;

    for (pr = 1; pr <= dct_size; pr++) {
        if (dct_size % pr != 0)
            continue;
        Cblacs_get(-1, 0, &ctxt);
        Cblacs_gridinit(&ctxt, pr % 2 ? "Row" : "Col", pr, dct_size / pr);
        for (t = 0; t < (int)(sizeof(cases) / sizeof(cases[0])); t++)
            for (o = 0; o < 4; o++)
                CU_ASSERT(inb_case(ctxt, &cases[t], ops[o][0], ops[o][1], (t + o) % 2));
        Cblacs_gridexit(ctxt);
    }
}

/*
 * One bad argument: every process must report want through PB_Cabort, once, and C stays
 * unchanged. With ref, ScaLAPACK's own pdgemm_ must report the same (only for errors every
 * process sees: PBLAS checks each process alone, and the others would go on computing).
 */
static size_t bad_clen; /* local entries of C in test_info */

static int bad_call(char ta, int m, int ia, int *desca, int *descb, int *descc, double *a,
                    double *b, double *c, int want, int ref)
{
    const int n = 3, k = 4, one = 1;
    const double alpha = 1.0, beta = 0.0;
    int before = ninfo, pbefore = npxerbla, got, ok;
    double *csave = malloc(sizeof(double) * (bad_clen + 1));

    memcpy(csave, c, sizeof(double) * bad_clen);

    last_info = 0;
    pdgemm_(&ta, "N", &m, &n, &k, &alpha, a, &ia, &one, desca, b, &one, &one, descb, &beta, c, &one,
            &one, descc);
    got = last_info;
    ok = ninfo == before + 1 && got == want && npxerbla == pbefore &&
         memcmp(csave, c, sizeof(double) * bad_clen) == 0;
    free(csave);
    if (!ok)
        fprintf(stderr, "[rank %d] bad argument: INFO %d (%d reports, %d pxerbla_), want %d\n",
                dct_rank, got, ninfo - before, npxerbla - pbefore, want);
    if (ref && scalapack_pdgemm != NULL) {
        last_info = 0;
        before = ninfo;
        scalapack_pdgemm(&ta, "N", &m, &n, &k, &alpha, a, &ia, &one, desca, b, &one, &one, descb,
                         &beta, c, &one, &one, descc);
        if (ninfo != before + 1 || last_info != got) {
            fprintf(stderr, "[rank %d] bad argument: ScaLAPACK's INFO %d (%d reports), ours %d\n",
                    dct_rank, last_info, ninfo - before, got);
            ok = 0;
        }
    }
    return dct_all(ok);
}

static void test_info(void)
{
    int ctxt, other, nprow, npcol, myrow, mycol, save, d2[3][11], i;
    lmat_t A, B, C;
    mspec_t s = {6, 6, 2, 2, 0, 0, 0};

    Cblacs_get(-1, 0, &ctxt);
    Cblacs_gridinit(&ctxt, "Row", dct_size, 1);
    Cblacs_get(-1, 0, &other);
    Cblacs_gridinit(&other, "Col", 1, dct_size);
    Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
    lmat_init(&A, &s, ctxt, 1, 0);
    lmat_init(&B, &s, ctxt, 2, 0);
    lmat_init(&C, &s, ctxt, 3, 0);
    bad_clen = (size_t)C.lld * (size_t)C.nloc;
    CU_ASSERT(bad_call('X', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, -1, 1));
    CU_ASSERT(bad_call('N', -1, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, -3, 1));
    /* IA + M beyond DESCA's M_: the IA argument (8) */
    CU_ASSERT(bad_call('N', 3, 5, A.desc, B.desc, C.desc, A.data, B.data, C.data, -8, 1));
    /* descriptor entries are numbered in PBLAS's 11-entry order, whatever the type: descinit_'s
     * MB_ (entry 5) becomes IMB_ and MB_ (5 and 7; 5 is reported), RSRC_ (7) is reported as 9,
     * LLD_ (9) as 11 */
    save = A.desc[4];
    A.desc[4] = 0; /* MB_ */
    CU_ASSERT(bad_call('N', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, -1005, 1));
    A.desc[4] = save;
    save = A.desc[6];
    A.desc[6] = nprow; /* RSRC_ out of the grid */
    CU_ASSERT(bad_call('N', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, -1009, 1));
    A.desc[6] = save;
    save = C.desc[0];
    C.desc[0] = 7; /* DTYPE_ */
    CU_ASSERT(bad_call('N', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, -1901, 1));
    C.desc[0] = save;
    save = B.desc[1];
    B.desc[1] = other; /* another context */
    CU_ASSERT(bad_call('N', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, -1402, 1));
    B.desc[1] = save;
    save = A.desc[1];
    A.desc[1] = -2; /* no grid at all: INFO -1002 */
    CU_ASSERT(bad_call('N', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, -1002, 1));
    A.desc[1] = save;
    /* LLD too small on one process only: every process still reports the same INFO */
    save = A.desc[8];
    if (dct_rank == 0)
        A.desc[8] = 1; /* rank 0 holds the first block of 2 rows */
    CU_ASSERT(bad_call('N', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, -1011, 0));
    A.desc[8] = save;
    /* the same descriptors as type 2 (BLOCK_CYCLIC_2D_INB, IMB = MB): accepted, and checked */
    for (i = 0; i < 3; i++) {
        const int *d1 = i == 0 ? A.desc : i == 1 ? B.desc : C.desc;
        int v[11] = {2, d1[1], d1[2], d1[3], d1[4], d1[5], d1[4], d1[5], d1[6], d1[7], d1[8]};
        memcpy(d2[i], v, sizeof(v));
    }
    d2[0][4] = 0; /* IMB_ */
    CU_ASSERT(bad_call('N', 3, 1, d2[0], d2[1], d2[2], A.data, B.data, C.data, -1005, 1));
    d2[0][4] = d2[0][6];
    d2[1][5] = -1; /* INB_ */
    CU_ASSERT(bad_call('N', 3, 1, d2[0], d2[1], d2[2], A.data, B.data, C.data, -1406, 1));
    d2[1][5] = d2[1][7];
    d2[2][0] = 502; /* a banded solver's type, not PBLAS's */
    CU_ASSERT(bad_call('N', 3, 1, d2[0], d2[1], d2[2], A.data, B.data, C.data, -1901, 1));
    free(A.data);
    free(B.data);
    free(C.data);
    Cblacs_gridexit(ctxt);
    Cblacs_gridexit(other);
}

static int suite_init(void)
{
    scalapack_pdgemm = find_real();
    return 0;
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("scalapack", suite_init, NULL);

    CU_add_test(s, "pdgemm_ is libdcompute's; ScaLAPACK's found", test_interposed);
    CU_add_test(s, "side by side on every grid and descriptor", test_grids);
    CU_add_test(s, "type-2 descriptors (IMB/INB) against a serial reference", test_inb);
    CU_add_test(s, "INFO through PB_Cabort, as ScaLAPACK's", test_info);
}
#endif
