/*
 * mandelbrot: an irregular workload (rows inside the set cost maxiter iterations per pixel,
 * rows outside almost nothing) computed row by row with the schedule named on the command
 * line. Each rank fills the rows it was given into its copy of the image; dc_reduce with MAX
 * assembles the image on rank 0 (every pixel is computed by exactly one rank), which checks it
 * against a serial computation, writes a PGM file and prints the scheduler's statistics.
 * Run: mpirun -np 2 ./mandelbrot [schedule] [width height maxiter] [out.pgm | -]
 *      schedule: static, cyclic, weighted, dynamic (default), guided, steal
 */
#include <dcompute.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int w, h, maxiter;
    int32_t *img; /* this rank's copy: rows it did not compute stay 0 */
} frame_t;

/* Escape iterations of pixel (x, y): the same arithmetic everywhere, so the same bits. */
static int32_t escape(const frame_t *f, int x, int y)
{
    double cr = -2.2 + 3.2 * x / f->w, ci = -1.2 + 2.4 * y / f->h;
    double zr = 0.0, zi = 0.0;
    int k;

    for (k = 0; k < f->maxiter && zr * zr + zi * zi <= 4.0; k++) {
        double t = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = t;
    }
    return k;
}

/* One block = one row; its value is the row's total number of iterations. */
static int row(dc_gidx_t lo, dc_gidx_t hi, void *value, void *ctx)
{
    frame_t *f = ctx;
    int64_t total = 0;
    int x, y = (int)lo;

    (void)hi;
    for (x = 0; x < f->w; x++) {
        int32_t k = escape(f, x, y);
        f->img[(size_t)y * f->w + x] = k;
        total += k;
    }
    *(int64_t *)value = total;
    return 0;
}

int main(int argc, char **argv)
{
    dc_env_t *env = NULL;
    dc_sched_t *sched = NULL;
    dc_sched_kind_t kind = DC_SCHED_DYNAMIC;
    frame_t f = {160, 120, 2000, NULL};
    const char *out = "mandelbrot.pgm";
    int32_t *img = NULL;
    int64_t total = 0;
    int rank, size, rc, bad = 0;
    size_t npix;

    if (dc_env_create(MPI_COMM_WORLD, NULL, &env) != DC_SUCCESS) {
        fprintf(stderr, "mandelbrot: dc_env_create: %s\n", dc_env_last_error(NULL));
        return 1;
    }
    dc_env_get_rank(env, &rank, &size);
    if (argc > 1 && dc_sched_kind_from_name(argv[1], &kind) != DC_SUCCESS) {
        if (rank == 0)
            fprintf(stderr, "mandelbrot: %s\n", dc_env_last_error(NULL));
        dc_env_destroy(&env);
        return 2;
    }
    if (argc > 4) {
        f.w = atoi(argv[2]);
        f.h = atoi(argv[3]);
        f.maxiter = atoi(argv[4]);
    }
    if (argc > 5)
        out = argv[5];
    if (f.w < 1 || f.h < 1 || f.maxiter < 1) {
        if (rank == 0)
            fprintf(stderr, "mandelbrot: width, height and maxiter must be >= 1\n");
        dc_env_destroy(&env);
        return 2;
    }
    npix = (size_t)f.w * (size_t)f.h;
    f.img = calloc(npix, sizeof(int32_t));
    img = calloc(npix, sizeof(int32_t));

    rc = dc_sched_create(env, &sched);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_kind(sched, kind);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_reduction(sched, DC_TYPE_INT64, 1, DC_REDUCE_SUM);
    if (rc == DC_SUCCESS)
        rc = dc_sched_setup(sched);
    if (rc == DC_SUCCESS)
        rc = dc_sched_run(sched, f.h, row, &f, &total);
    if (rc == DC_SUCCESS)
        rc = dc_reduce(env, f.img, img, npix, DC_TYPE_INT32, DC_REDUCE_MAX, 0);
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "mandelbrot: %s: %s\n", dc_strerror(rc), dc_env_last_error(env));
        bad = 1;
    }
    if (rc == DC_SUCCESS && rank == 0) {
        /* serial check of every pixel and of the reduced total */
        int64_t ref = 0;
        int x, y;
        for (y = 0; y < f.h; y++)
            for (x = 0; x < f.w; x++) {
                int32_t k = escape(&f, x, y);
                ref += k;
                if (img[(size_t)y * f.w + x] != k)
                    bad = 1;
            }
        if (ref != total)
            bad = 1;
        printf("mandelbrot %dx%d, maxiter %d, schedule %s, %d ranks: %lld iterations, %s\n", f.w,
               f.h, f.maxiter, dc_sched_kind_name(kind), size, (long long)total,
               bad ? "WRONG" : "matches the serial computation");
        if (strcmp(out, "-") != 0) {
            FILE *pgm = fopen(out, "wb");
            if (pgm == NULL) {
                perror(out);
                bad = 1;
            } else {
                size_t i;
                fprintf(pgm, "P5\n%d %d\n255\n", f.w, f.h);
                for (i = 0; i < npix; i++) {
                    /* the set black, the outside lighter the faster it escapes (square root:
                     * most points escape within a few iterations) */
                    double t = sqrt((double)img[i] / f.maxiter);
                    unsigned char c = img[i] >= f.maxiter ? 0 : (unsigned char)(255.0 * (1.0 - t));
                    fputc(c, pgm);
                }
                fclose(pgm);
                printf("wrote %s\n", out);
            }
        }
    }
    if (rc == DC_SUCCESS)
        dc_sched_view(sched, stdout);
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    dc_sched_destroy(&sched);
    dc_env_destroy(&env);
    free(f.img);
    free(img);
    return bad ? 1 : 0;
}
