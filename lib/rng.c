/*
 * Counter-based random numbers: Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random
 * numbers: as easy as 1, 2, 3", SC'11), bit for bit the philox4x32 of Random123 (checked
 * against its known-answer vectors in tests/test_sched.c). About 40 lines, so written here
 * rather than adding a build dependency; a value is a pure function of (seed, stream, position).
 */
#include "dc_impl.h"

#include <string.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

static inline void philox_round(uint32_t c[4], const uint32_t k[2])
{
    uint64_t p0 = (uint64_t)PHILOX_M0 * c[0], p1 = (uint64_t)PHILOX_M1 * c[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t n0 = hi1 ^ c[1] ^ k[0], n2 = hi0 ^ c[3] ^ k[1];

    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
}

static inline void philox10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]}, k[2] = {key[0], key[1]};
    int i;

    for (i = 0; i < 10; i++) {
        if (i > 0) { /* the key schedule bumps before every round but the first */
            k[0] += PHILOX_W0;
            k[1] += PHILOX_W1;
        }
        philox_round(c, k);
    }
    memcpy(out, c, sizeof(c));
}

int dc_rng_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    if (ctr == NULL || key == NULL || out == NULL)
        return DC_ERR(NULL, DC_ERR_ARG, "%s is NULL",
                      ctr == NULL   ? "ctr"
                      : key == NULL ? "key"
                                    : "out");
    philox10(ctr, key, out);
    return DC_SUCCESS;
}

int dc_rng_init(dc_rng_t *rng, uint64_t seed, uint64_t stream)
{
    if (rng == NULL)
        return DC_ERR(NULL, DC_ERR_ARG, "rng is NULL");
    memset(rng, 0, sizeof(*rng));
    rng->key[0] = (uint32_t)seed;
    rng->key[1] = (uint32_t)(seed >> 32);
    rng->ctr[2] = (uint32_t)stream;
    rng->ctr[3] = (uint32_t)(stream >> 32);
    rng->avail = 0;
    return DC_SUCCESS;
}

/* Next block of two 64-bit values; the position (ctr[0], ctr[1]) advances by one. */
static inline void refill(dc_rng_t *rng)
{
    uint32_t o[4];

    philox10(rng->ctr, rng->key, o);
    rng->buf[0] = (uint64_t)o[0] | ((uint64_t)o[1] << 32);
    rng->buf[1] = (uint64_t)o[2] | ((uint64_t)o[3] << 32);
    rng->avail = 2;
    if (++rng->ctr[0] == 0)
        rng->ctr[1]++;
}

static inline uint64_t next64(dc_rng_t *rng)
{
    if (rng->avail == 0)
        refill(rng);
    return rng->buf[2 - rng->avail--];
}

int dc_rng_uint64(dc_rng_t *rng, uint64_t *x, size_t n)
{
    size_t i;

    if (rng == NULL || (x == NULL && n > 0))
        return DC_ERR(NULL, DC_ERR_ARG, "%s is NULL", rng == NULL ? "rng" : "x");
    for (i = 0; i < n; i++)
        x[i] = next64(rng);
    return DC_SUCCESS;
}

int dc_rng_uniform(dc_rng_t *rng, double *u, size_t n)
{
    size_t i;

    if (rng == NULL || (u == NULL && n > 0))
        return DC_ERR(NULL, DC_ERR_ARG, "%s is NULL", rng == NULL ? "rng" : "u");
    for (i = 0; i < n; i++)
        u[i] = (double)(next64(rng) >> 11) * 0x1.0p-53;
    return DC_SUCCESS;
}
