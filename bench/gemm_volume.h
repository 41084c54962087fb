/*
 * bench_gemm --volume (bench/gemm_volume.c): words received per rank in one GEMM against the
 * tight lower bound and ScaLAPACK's pdgemm_. Called after MPI_Init; returns the exit status.
 * The ScaLAPACK/BLACS prototypes and the lookup of ScaLAPACK's own pdgemm_ are shared with
 * bench/bench_gemm.c, which defines bench_scalapack_pdgemm().
 */
#ifndef BENCH_GEMM_VOLUME_H
#define BENCH_GEMM_VOLUME_H

#ifdef DC_BENCH_SCALAPACK
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
#endif
typedef void (*pdgemm_fn)(const char *, const char *, const int *, const int *, const int *,
                          const double *, const double *, const int *, const int *, const int *,
                          const double *, const int *, const int *, const int *, const double *,
                          double *, const int *, const int *, const int *);
#ifdef DC_BENCH_SCALAPACK
/* ScaLAPACK's own pdgemm_ (bench_gemm also links libdcompute_scalapack, whose pdgemm_ comes
 * first): the definition in the library that holds descinit_; NULL if it cannot be found. */
pdgemm_fn bench_scalapack_pdgemm(void);
#endif

int bench_gemm_volume(int argc, char **argv);

#endif
