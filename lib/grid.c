/*
 * 2-D process grids: P x Q, row-major over the env's ranks (rank = row * Q + col), with one
 * communicator per grid row and per grid column. The default shape is the near-square
 * factorisation of the size (P >= Q, P * Q = size), which for a prime size is size x 1.
 */
#include "dc_impl.h"

struct dc_grid {
    dci_obj_t hdr;
    int nprow, npcol, myrow, mycol;
    MPI_Comm row_comm, col_comm;
};

static void grid_free(dc_grid_t *g)
{
    int finalized = 0;

    if (g == NULL)
        return;
    MPI_Finalized(&finalized);
    if (!finalized) {
        if (g->row_comm != MPI_COMM_NULL)
            MPI_Comm_free(&g->row_comm);
        if (g->col_comm != MPI_COMM_NULL)
            MPI_Comm_free(&g->col_comm);
    }
    g->hdr.magic = DCI_CLASS_DEAD;
    dci_free(g);
}

static void grid_free_obj(dci_obj_t *hdr)
{
    dc_env_t *env = hdr->env;

    grid_free((dc_grid_t *)hdr);
    dci_env_unref(env);
}

int dc_grid_create(dc_env_t *env, int nprow, int npcol, dc_grid_t **grid_p)
{
    dc_grid_t *g = NULL;
    int rc = DC_SUCCESS;
    int64_t vals[2];

    DC_VALIDATE(env, DCI_CLASS_ENV);
    dci_prof_begin(env, DCI_EV_GRID_CREATE);
    DC_REQUIRE_GOTO(env, grid_p != NULL, DC_ERR_ARG, out, "grid_p is NULL");
    if (nprow == 0 && npcol == 0) {
        int q = 1, d;
        for (d = 1; (long)d * d <= env->size; d++)
            if (env->size % d == 0)
                q = d;
        npcol = q;
        nprow = env->size / q;
    }
    DC_REQUIRE_GOTO(env, nprow > 0 && npcol > 0 && (long)nprow * npcol == env->size, DC_ERR_SIZE,
                    out, "grid %d x %d does not match %d ranks", nprow, npcol, env->size);
    DC_CHECK_GOTO(dci_calloc(env, 1, sizeof(*g), (void **)&g), out);
    g->row_comm = g->col_comm = MPI_COMM_NULL;
out:
    rc = dci_agree(env, rc);
    if (rc == DC_SUCCESS) {
        vals[0] = nprow;
        vals[1] = npcol;
        rc = dci_check_same(env, DC_ERR_SIZE, vals, 2, "grid shape");
    }
    if (rc == DC_SUCCESS) {
        g->nprow = nprow;
        g->npcol = npcol;
        g->myrow = env->rank / npcol;
        g->mycol = env->rank % npcol;
        int mrc = MPI_Comm_split(env->comm, g->myrow, g->mycol, &g->row_comm);
        if (mrc == MPI_SUCCESS)
            mrc = MPI_Comm_split(env->comm, g->mycol, g->myrow, &g->col_comm);
        if (mrc != MPI_SUCCESS)
            rc = DC_ERR_MPI_RC(env, mrc, "MPI_Comm_split for grid rows/columns");
        rc = dci_agree(env, rc);
    }
    if (rc != DC_SUCCESS) {
        grid_free(g);
        dci_prof_end(env, DCI_EV_GRID_CREATE, 0);
        return rc;
    }
    dci_obj_init(&g->hdr, DCI_CLASS_GRID, dci_env_ref(env), grid_free_obj);
    *grid_p = g;
    dci_prof_end(env, DCI_EV_GRID_CREATE, 0);
    return DC_SUCCESS;
}

int dc_grid_destroy(dc_grid_t **grid_p)
{
    dc_grid_t *g;

    if (grid_p == NULL || *grid_p == NULL)
        return DC_SUCCESS;
    DC_VALIDATE_OWNED(*grid_p, DCI_CLASS_GRID);
    g = *grid_p;
    *grid_p = NULL;
    dci_obj_release(&g->hdr, "grid_p", __func__);
    return DC_SUCCESS;
}

int dc_grid_get_info(const dc_grid_t *grid, int *nprow_p, int *npcol_p, int *myrow_p, int *mycol_p)
{
    DC_VALIDATE(grid, DCI_CLASS_GRID);
    DC_REQUIRE(grid->hdr.env, nprow_p || npcol_p || myrow_p || mycol_p, DC_ERR_ARG,
               "nprow_p, npcol_p, myrow_p and mycol_p are all NULL");
    if (nprow_p)
        *nprow_p = grid->nprow;
    if (npcol_p)
        *npcol_p = grid->npcol;
    if (myrow_p)
        *myrow_p = grid->myrow;
    if (mycol_p)
        *mycol_p = grid->mycol;
    return DC_SUCCESS;
}

int dc_grid_get_rank(const dc_grid_t *grid, int row, int col, int *rank_p)
{
    DC_VALIDATE(grid, DCI_CLASS_GRID);
    DC_REQUIRE(grid->hdr.env, rank_p != NULL, DC_ERR_ARG, "rank_p is NULL");
    DC_REQUIRE(grid->hdr.env, row >= 0 && row < grid->nprow && col >= 0 && col < grid->npcol,
               DC_ERR_ARG, "position (%d, %d) outside the %d x %d grid", row, col, grid->nprow,
               grid->npcol);
    *rank_p = row * grid->npcol + col;
    return DC_SUCCESS;
}

int dc_grid_get_comms(const dc_grid_t *grid, MPI_Comm *row_comm_p, MPI_Comm *col_comm_p)
{
    DC_VALIDATE(grid, DCI_CLASS_GRID);
    DC_REQUIRE(grid->hdr.env, row_comm_p != NULL || col_comm_p != NULL, DC_ERR_ARG,
               "row_comm_p and col_comm_p are both NULL");
    if (row_comm_p)
        *row_comm_p = grid->row_comm;
    if (col_comm_p)
        *col_comm_p = grid->col_comm;
    return DC_SUCCESS;
}
