/*
 * The profiling events, one per public operation, in one list: dc_impl.h expands it into the
 * enum dci_event_t (DCI_EV_<ID>) and lib/prof.c into the table of names printed in the profile.
 * Add an event here only. Each line is DCI_EVENT(ID, "name in the profile"); the name is the
 * public function's own name, so that every operation can be found by the name the user calls.
 * Getters, setters and borrows that do no work (no MPI, no loop over the data) have no event.
 * The one internal event, dc_mg_vcycle, is a stage of the multigrid preconditioner. The
 * solvers' operator applications count as dc_op_apply (as PETSc's MatMult inside KSPSolve);
 * dc_ckpt_write_solver and dc_ckpt_read_solver have no event of their own: they show as the
 * dc_ckpt_write_* / dc_ckpt_read_* calls they make.
 * No include guard: included once per expansion with DCI_EVENT defined.
 *
 * A public operation that calls another public one counts that call too (times are inclusive;
 * bytes and flops go to the innermost open operation); aliases that only forward (dc_mat_gemm
 * to dc_mat_gemm_ex, dc_mesh_global_to_local to its _begin/_end, dc_mesh_create_global to
 * dc_vec_create) and the objects a create builds for itself (dc_mesh_create's layouts,
 * dc_solver_create's work vectors) share a body under the caller's event instead, so that the
 * user's call is the one counted.
 *
 * What the counters hold (filled at the call sites in lib/ through the hooks of dc_impl.h):
 * - communication: bytes the library passes to MPI where it calls MPI. A point-to-point message
 *   counts its payload once as sent (on the sender, towards the receiver's rank of the env) and
 *   once as received; a collective call counts this rank's send and receive buffer sizes, one
 *   message each way; a collective with per-peer counts (alltoallv, gatherv, scatterv) counts
 *   each peer's part as a point-to-point message to or from that peer (they are in the
 *   communication matrix), the rank's own part excluded. Nonblocking messages count when
 *   posted, their wait counts as communication time. Agreement traffic (dci_agree) belongs to
 *   the operation that agrees. One-sided atomics (the dynamic schedule's global counter) count
 *   as the operation's bytes but not in the matrix (the target posts no receive). Not
 *   counted: the options' broadcast (before the profiler starts), the hang watchdog's entry
 *   records and the profiler's own barrier at collective entry (instrumentation), file I/O
 *   (checkpoints).
 * - flops: floating-point operations of the kernels this rank runs, counted by the operation's
 *   mathematics, not by the algorithm (the reproducible accumulators and Blue's scaled norm do
 *   more work and count the same), a multiply and an add 1 each, absolute values and square
 *   roots 0, n the local length:
 *     scal n, axpy 2n, axpby 3n, dot 2n, nrm2 2n, sum and asum n - 1 (n > 0), copy/fill 0;
 *     what MPI adds inside a reduction is not visible (not counted);
 *     GEMV 2*m*n over the local block; GEMM 2*m*n*k over every local DGEMM call (so the sum
 *     over ranks of one dc_mat_gemm is 2*M*N*K);
 *     stencil application 2 * npoints - 1 per owned point and dof (a multiply per coefficient,
 *     the adds between them), plus the operator's own vector updates;
 *     multigrid through what it runs: operator applications, smoothing sweeps, residuals,
 *     restriction and interpolation, counted where they run, and the coarse banded solve
 *     (2 n + 4 per band term, per component);
 *     solvers: their fused vector updates and dots as the BLAS-1 counts of what they compute
 *     (CG's r update with its dots 4n, or 7n with Jacobi's z; pipelined CG 16n, or 22n + n),
 *     the Jacobi preconditioner n.
 */
DCI_EVENT(ENV_CREATE, "dc_env_create")
DCI_EVENT(ENV_SET_REPRO, "dc_env_set_repro")
DCI_EVENT(ENV_SET_DEBUG, "dc_env_set_debug")
DCI_EVENT(ENV_VIEW, "dc_env_view")
DCI_EVENT(LAYOUT_CREATE_BLOCK, "dc_layout_create_block")
DCI_EVENT(LAYOUT_CREATE_CYCLIC, "dc_layout_create_cyclic")
DCI_EVENT(LAYOUT_CREATE_BLOCK_CYCLIC, "dc_layout_create_block_cyclic")
DCI_EVENT(LAYOUT_CREATE_WEIGHTED, "dc_layout_create_weighted")
DCI_EVENT(LAYOUT_CREATE_EXPLICIT, "dc_layout_create_explicit")
DCI_EVENT(GRID_CREATE, "dc_grid_create")
DCI_EVENT(VEC_CREATE, "dc_vec_create")
DCI_EVENT(VEC_DUP, "dc_vec_dup")
DCI_EVENT(VEC_SET_ALL, "dc_vec_set_all")
DCI_EVENT(VEC_FILL, "dc_vec_fill")
DCI_EVENT(VEC_SCATTER, "dc_vec_scatter")
DCI_EVENT(VEC_GATHER, "dc_vec_gather")
DCI_EVENT(VEC_REDISTRIBUTE, "dc_vec_redistribute")
DCI_EVENT(VEC_COPY, "dc_vec_copy")
DCI_EVENT(VEC_SCAL, "dc_vec_scal")
DCI_EVENT(VEC_AXPY, "dc_vec_axpy")
DCI_EVENT(VEC_AXPBY, "dc_vec_axpby")
DCI_EVENT(VEC_DOT, "dc_vec_dot")
DCI_EVENT(VEC_NRM2, "dc_vec_nrm2")
DCI_EVENT(VEC_ASUM, "dc_vec_asum")
DCI_EVENT(VEC_SUM, "dc_vec_sum")
DCI_EVENT(VEC_DOT_REPRO, "dc_vec_dot_repro")
DCI_EVENT(VEC_NRM2_REPRO, "dc_vec_nrm2_repro")
DCI_EVENT(VEC_ASUM_REPRO, "dc_vec_asum_repro")
DCI_EVENT(VEC_SUM_REPRO, "dc_vec_sum_repro")
DCI_EVENT(VEC_MAX, "dc_vec_max")
DCI_EVENT(VEC_MIN, "dc_vec_min")
DCI_EVENT(ALLREDUCE, "dc_allreduce")
DCI_EVENT(REDUCE, "dc_reduce")
DCI_EVENT(SCAN, "dc_scan")
DCI_EVENT(EXSCAN, "dc_exscan")
DCI_EVENT(IALLREDUCE, "dc_iallreduce")
DCI_EVENT(IREDUCE, "dc_ireduce")
DCI_EVENT(ISCAN, "dc_iscan")
DCI_EVENT(IEXSCAN, "dc_iexscan")
DCI_EVENT(REQUEST_TEST, "dc_request_test")
DCI_EVENT(REQUEST_WAIT, "dc_request_wait")
DCI_EVENT(SUM, "dc_sum")
DCI_EVENT(ASUM, "dc_asum")
DCI_EVENT(DOT, "dc_dot")
DCI_EVENT(NRM2, "dc_nrm2")
DCI_EVENT(SCHED_CREATE, "dc_sched_create")
DCI_EVENT(SCHED_SETUP, "dc_sched_setup")
DCI_EVENT(SCHED_RUN, "dc_sched_run")
DCI_EVENT(SCHED_RUN_TASKS, "dc_sched_run_tasks")
DCI_EVENT(MAT_CREATE, "dc_mat_create")
DCI_EVENT(MAT_CREATE_DIST, "dc_mat_create_dist")
DCI_EVENT(MAT_CREATE_VIEW, "dc_mat_create_view")
DCI_EVENT(MAT_DUP, "dc_mat_dup")
DCI_EVENT(MAT_SET_ALL, "dc_mat_set_all")
DCI_EVENT(MAT_FILL, "dc_mat_fill")
DCI_EVENT(MAT_SCATTER, "dc_mat_scatter")
DCI_EVENT(MAT_GATHER, "dc_mat_gather")
DCI_EVENT(MAT_REDISTRIBUTE, "dc_mat_redistribute")
DCI_EVENT(MAT_TRANSPOSE, "dc_mat_transpose")
DCI_EVENT(MAT_GEMV, "dc_mat_gemv")
DCI_EVENT(MAT_GEMM, "dc_mat_gemm")
DCI_EVENT(MAT_GEMM_EX, "dc_mat_gemm_ex")
DCI_EVENT(MAT_GEMM_PLAN, "dc_mat_gemm_plan")
DCI_EVENT(MESH_CREATE, "dc_mesh_create")
DCI_EVENT(MESH_CREATE_GLOBAL, "dc_mesh_create_global")
DCI_EVENT(MESH_CREATE_LOCAL, "dc_mesh_create_local")
DCI_EVENT(MESH_FILL, "dc_mesh_fill")
DCI_EVENT(MESH_G2L, "dc_mesh_global_to_local")
DCI_EVENT(MESH_G2L_BEGIN, "dc_mesh_global_to_local_begin")
DCI_EVENT(MESH_G2L_END, "dc_mesh_global_to_local_end")
DCI_EVENT(MESH_L2G, "dc_mesh_local_to_global")
DCI_EVENT(MESH_GATHER_NATURAL, "dc_mesh_gather_natural")
DCI_EVENT(MESH_SCATTER_NATURAL, "dc_mesh_scatter_natural")
DCI_EVENT(MESH_GLOBAL_TO_NATURAL, "dc_mesh_global_to_natural")
DCI_EVENT(MESH_NATURAL_TO_GLOBAL, "dc_mesh_natural_to_global")
DCI_EVENT(MESH_OP_CREATE_STENCIL, "dc_mesh_op_create_stencil")
DCI_EVENT(MESH_OP_CREATE_POINTWISE, "dc_mesh_op_create_pointwise")
DCI_EVENT(OP_CREATE_SHELL, "dc_op_create_shell")
DCI_EVENT(OP_APPLY, "dc_op_apply")
DCI_EVENT(OP_GET_DIAGONAL, "dc_op_get_diagonal")
DCI_EVENT(SOLVER_CREATE, "dc_solver_create")
DCI_EVENT(SOLVER_SOLVE, "dc_solver_solve")
DCI_EVENT(MG_VCYCLE, "dc_mg_vcycle")
DCI_EVENT(CKPT_CREATE, "dc_ckpt_create")
DCI_EVENT(CKPT_LATEST, "dc_ckpt_latest")
DCI_EVENT(CKPT_WRITE_BEGIN, "dc_ckpt_write_begin")
DCI_EVENT(CKPT_WRITE_VEC, "dc_ckpt_write_vec")
DCI_EVENT(CKPT_WRITE_MAT, "dc_ckpt_write_mat")
DCI_EVENT(CKPT_WRITE_MESH_FIELD, "dc_ckpt_write_mesh_field")
DCI_EVENT(CKPT_WRITE_LAYOUT, "dc_ckpt_write_layout")
DCI_EVENT(CKPT_WRITE_DATA, "dc_ckpt_write_data")
DCI_EVENT(CKPT_WRITE_BLOB, "dc_ckpt_write_blob")
DCI_EVENT(CKPT_WRITE_END, "dc_ckpt_write_end")
DCI_EVENT(CKPT_READ_BEGIN, "dc_ckpt_read_begin")
DCI_EVENT(CKPT_HAS, "dc_ckpt_has")
DCI_EVENT(CKPT_READ_VEC, "dc_ckpt_read_vec")
DCI_EVENT(CKPT_READ_MAT, "dc_ckpt_read_mat")
DCI_EVENT(CKPT_READ_MESH_FIELD, "dc_ckpt_read_mesh_field")
DCI_EVENT(CKPT_READ_LAYOUT, "dc_ckpt_read_layout")
DCI_EVENT(CKPT_READ_DATA, "dc_ckpt_read_data")
DCI_EVENT(CKPT_READ_BLOB, "dc_ckpt_read_blob")
DCI_EVENT(CKPT_READ_END, "dc_ckpt_read_end")
