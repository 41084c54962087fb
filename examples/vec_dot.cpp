/*
 * vec_dot (C++): distributed vectors from C++ through the C headers (their extern "C" guards
 * are what this file checks at compile time). Two vectors on a block layout, filled from a
 * function of the global index; y = a*x + y; dot(x, y) and nrm2(y), compared with the same
 * computation done serially on every rank. Run: mpirun -np 2 ./vec_dot
 */
#include <dcompute.h>

#include <cmath>
#include <cstdio>
#include <vector>

namespace
{

const dc_gidx_t N = 1000003; /* prime: the block split has a remainder at any rank count */
const double A = 2.5;

double x_of(dc_gidx_t g)
{
    return 1.0 / (double)(g + 1);
}

double y_of(dc_gidx_t g)
{
    return std::cos(0.001 * (double)g) - 0.25;
}

/* dc_vec_fill_fn is a C function pointer type; a function with C++ linkage of the same
 * signature converts to it on every ABI we build for. */
double fill_x(dc_gidx_t g, void *)
{
    return x_of(g);
}

double fill_y(dc_gidx_t g, void *)
{
    return y_of(g);
}

bool close_to(double got, double want, double scale, double rel)
{
    return std::fabs(got - want) <= rel * scale;
}

} /* namespace */

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1, ok = 1, all_ok = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    dc_env_t *env = nullptr;
    dc_layout_t *layout = nullptr;
    dc_vec_t *x = nullptr, *y = nullptr;
    double dot = 0.0, nrm = 0.0;
    int rc = dc_env_create(MPI_COMM_WORLD, nullptr, &env);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_block(env, N, &layout);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(layout, &x);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(layout, &y);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(x, fill_x, nullptr);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(y, fill_y, nullptr);
    if (rc == DC_SUCCESS)
        rc = dc_vec_axpy(y, A, x); /* y = A x + y */
    if (rc == DC_SUCCESS)
        rc = dc_vec_dot(x, y, &dot);
    if (rc == DC_SUCCESS)
        rc = dc_vec_nrm2(y, &nrm);
    if (rc != DC_SUCCESS) {
        std::fprintf(stderr, "[rank %d] %s: %s\n", rank, dc_strerror(rc), dc_env_last_error(env));
        ok = 0;
    }

    /* Serial reference over the whole index space, computed independently on every rank. */
    std::vector<double> ys((size_t)N);
    double ref_dot = 0.0, abs_dot = 0.0, ref_ss = 0.0;
    for (dc_gidx_t g = 0; g < N; g++) {
        double yv = A * x_of(g) + y_of(g);
        ys[(size_t)g] = yv;
        ref_dot += x_of(g) * yv;
        abs_dot += std::fabs(x_of(g) * yv);
        ref_ss += yv * yv;
    }
    double ref_nrm = std::sqrt(ref_ss);
    if (ok &&
        (!close_to(dot, ref_dot, abs_dot, 1e-12) || !close_to(nrm, ref_nrm, ref_nrm, 1e-12))) {
        std::fprintf(stderr, "[rank %d] dot %.17g (serial %.17g), nrm2 %.17g (serial %.17g)\n",
                     rank, dot, ref_dot, nrm, ref_nrm);
        ok = 0;
    }

    /* The local part of y after axpy, entry by entry, against the serial array. */
    const double *ya = nullptr;
    size_t nlocal = 0, bad = 0;
    if (ok && dc_vec_get_local_size(y, &nlocal) == DC_SUCCESS &&
        dc_vec_get_array_read(y, &ya) == DC_SUCCESS) {
        for (size_t i = 0; i < nlocal; i++) {
            dc_gidx_t g = -1;
            dc_layout_local_to_global(layout, rank, i, &g);
            /* BLAS may fuse the multiply-add: allow a rounding of each term */
            if (g < 0 || g >= N ||
                !close_to(ya[i], ys[(size_t)g], std::fabs(A * x_of(g)) + std::fabs(y_of(g)), 4e-16))
                bad++;
        }
        dc_vec_restore_array_read(y, &ya);
        if (bad) {
            std::fprintf(stderr, "[rank %d] %zu local entries of y differ\n", rank, bad);
            ok = 0;
        }
    }

    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (rank == 0) {
        std::printf("vec_dot: N = %lld on %d rank(s), block layout, y = %g*x + y\n", (long long)N,
                    size, A);
        std::printf("  dot(x, y) = %.17g   serial %.17g\n", dot, ref_dot);
        std::printf("  nrm2(y)   = %.17g   serial %.17g\n", nrm, ref_nrm);
        std::printf("vec_dot: %s\n", all_ok ? "ok" : "FAILED");
    }
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    dc_layout_destroy(&layout);
    dc_env_destroy(&env);
    MPI_Finalize();
    return all_ok ? 0 : 1;
}
