/*
 * Side by side with ScaLAPACK: the program links libdcompute_scalapack before ScaLAPACK, so its
 * calls to pdgemm_ reach libdcompute's (checked with dladdr), while ScaLAPACK's own pdgemm_ is
 * taken with dlsym from ScaLAPACK's library. Both run on the same BLACS grids (row- and
 * column-major, every shape of the rank count) and descriptors (block sizes that do not divide,
 * source offsets, sub-matrices IA/JA, LLD > needed, all transposes, sizes 0 and 1); results
 * must agree to rounding and entries outside sub(C) stay untouched. Bad arguments must give
 * PBLAS's INFO through pxerbla_ (captured here by defining pxerbla_) on every process.
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

/* pxerbla_ of this program interposes ScaLAPACK's: libdcompute_scalapack reports INFO here. */
static int last_info = 0, ninfo = 0;
void pxerbla_(const int *ctxt, const char *srname, const int *info, size_t len);
void pxerbla_(const int *ctxt, const char *srname, const int *info, size_t len)
{
    (void)ctxt;
    (void)srname;
    (void)len;
    last_info = *info;
    ninfo++;
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
    const char *lib = DCT_BUILDDIR "/lib/.libs/libdcompute_scalapack.so";
    const char *have = getenv("LD_PRELOAD");
    char *val;

    (void)argc;
    (void)envp;
    if (have != NULL && strstr(have, "libdcompute_scalapack") != NULL)
        return;
    if (access(lib, R_OK) != 0)
        return; /* test_interposed then fails with a message */
    val = malloc(strlen(lib) + (have ? strlen(have) + 2 : 1));
    strcpy(val, lib);
    if (have != NULL && *have != '\0') {
        strcat(val, ":");
        strcat(val, have);
    }
    setenv("LD_PRELOAD", val, 1);
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

/* One bad argument: every process must report want through pxerbla_, C unchanged. */
static int bad_call(char ta, int m, int ia, int *desca, int *descb, int *descc, double *a,
                    double *b, double *c, int want)
{
    const int n = 3, k = 4, one = 1;
    const double alpha = 1.0, beta = 0.0;
    int before = ninfo;

    last_info = 0;
    pdgemm_(&ta, "N", &m, &n, &k, &alpha, a, &ia, &one, desca, b, &one, &one, descb, &beta, c, &one,
            &one, descc);
    if (ninfo != before + 1 || last_info != want)
        fprintf(stderr, "[rank %d] bad argument: INFO %d (%d reports), want %d\n", dct_rank,
                last_info, ninfo - before, want);
    return dct_all(ninfo == before + 1 && last_info == want);
}

static void test_info(void)
{
    int ctxt, other, nprow, npcol, myrow, mycol, save;
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
    CU_ASSERT(bad_call('X', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, 1));
    CU_ASSERT(bad_call('N', -1, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, 3));
    /* IA + M beyond DESCA's M_: the IA argument (8) */
    CU_ASSERT(bad_call('N', 3, 5, A.desc, B.desc, C.desc, A.data, B.data, C.data, 8));
    save = A.desc[4];
    A.desc[4] = 0; /* MB_ */
    CU_ASSERT(bad_call('N', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, 1005));
    A.desc[4] = save;
    save = A.desc[6];
    A.desc[6] = nprow; /* RSRC_ out of the grid */
    CU_ASSERT(bad_call('N', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, 1007));
    A.desc[6] = save;
    save = C.desc[0];
    C.desc[0] = 7; /* DTYPE_ */
    CU_ASSERT(bad_call('N', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, 1901));
    C.desc[0] = save;
    save = B.desc[1];
    B.desc[1] = other; /* another context */
    CU_ASSERT(bad_call('N', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, 1402));
    B.desc[1] = save;
    /* LLD too small on one process only: every process still reports the same INFO */
    save = A.desc[8];
    if (dct_rank == 0 && A.mloc > 1)
        A.desc[8] = 1;
    CU_ASSERT(bad_call('N', 3, 1, A.desc, B.desc, C.desc, A.data, B.data, C.data, 1009));
    A.desc[8] = save;
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
    CU_add_test(s, "INFO through pxerbla_", test_info);
}
#endif
