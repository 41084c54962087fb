/*
 * Placement (MINIMAL VERSION, being replaced): groups ranks by node and fills the node fields
 * of env->place. hwloc discovery, binding and BLAS thread sizing come with the full version.
 */
#include "dc_impl.h"

#include <stdio.h>
#include <string.h>

int dci_topo_setup(dc_env_t *env)
{
    int len = 0, rc = DC_SUCCESS, is_leader;

    DC_CHECK_MPI(env, MPI_Comm_split_type(env->comm, MPI_COMM_TYPE_SHARED, env->rank,
                                          MPI_INFO_NULL, &env->node_comm));
    MPI_Comm_rank(env->node_comm, &env->place.node_rank);
    MPI_Comm_size(env->node_comm, &env->place.node_size);
    is_leader = env->place.node_rank == 0;
    DC_CHECK_MPI(env, MPI_Comm_split(env->comm, is_leader ? 0 : MPI_UNDEFINED, env->rank,
                                     &env->leader_comm));
    if (is_leader) {
        MPI_Comm_rank(env->leader_comm, &env->place.node_id);
        MPI_Comm_size(env->leader_comm, &env->place.nnodes);
    }
    MPI_Bcast(&env->place.node_id, 1, MPI_INT, 0, env->node_comm);
    MPI_Bcast(&env->place.nnodes, 1, MPI_INT, 0, env->node_comm);
    MPI_Get_processor_name(env->place.node_name, &len);
    env->place.ncores = 1;
    env->place.blas_threads = dci_blas_get_threads();
    return rc;
}

void dci_topo_free(dc_env_t *env)
{
    (void)env;
}

int dci_topo_view(dc_env_t *env, FILE *f)
{
    (void)env;
    (void)f;
    return DC_SUCCESS;
}
