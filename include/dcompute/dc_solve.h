/**
 * \file dc_solve.h
 * \defgroup dc_solve Linear operators and Krylov solvers (CG, pipelined CG, multigrid)
 * A dc_op_t is a linear operator y = A x on the dc_vec_t of one layout: a stencil on a mesh
 * (dc_mesh_op_create_stencil(), dc_mesh_op_create_pointwise() in dc_mesh.h) or any user code
 * (dc_op_create_shell()). A dc_solver_t solves A x = b for symmetric positive definite A with
 * conjugate gradients (CG) or pipelined CG (Ghysels & Vanroose: one non-blocking reduction per
 * iteration, overlapped with the operator and the preconditioner), preconditioned by nothing,
 * Jacobi, geometric multigrid (a V-cycle on the mesh of a stencil operator), or the caller's
 * own (DC_PC_SHELL).
 *
 * Convergence: the unpreconditioned residual 2-norm, ||r_k|| <= max(rtol ||b||, atol). In
 * reproducible mode (the env's DC_REPRO, or dc_solver_params_t::repro = BINNED or EXACT) every
 * reduction is a reproducible sum, and with a mesh operator the iteration count and the solution
 * are bitwise identical for any rank count.
 * @{
 */
#ifndef DC_SOLVE_H
#define DC_SOLVE_H

#include <dcompute/dc_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ operators */

/** Shell operator: y = A x (x and y on the operator's layout). Return 0 or a DC_ERR_* code;
 * any other non-zero value is reported as DC_ERR_ARG. Called collectively. */
typedef int (*dc_op_apply_fn)(const dc_vec_t *x, dc_vec_t *y, void *ctx);
/** Shell operator's diagonal: d = diag(A) (for Jacobi). Same return rule. */
typedef int (*dc_op_diag_fn)(dc_vec_t *d, void *ctx);

/**
 * \brief An operator given by the caller's code. Collective on the layout's env.
 * \param[in]  layout  the layout of x and y (referenced)
 * \param[in]  apply   y = A x
 * \param[in]  diag    diag(A), or NULL (then DC_PC_JACOBI is not available: DC_ERR_NOTSUP)
 * \param[in]  ctx     passed unchanged
 * \param[out] op_p    the new operator, set only on success
 * \return DC_SUCCESS, DC_ERR_ARG (invalid layout: at once on that rank; apply or op_p NULL;
 *         diag NULL on some ranks only), DC_ERR_NOMEM, DC_ERR_MPI; DC_ERR_TIMEOUT (DC_TIMEOUT
 *         expired waiting for another rank)
 */
DC_API int dc_op_create_shell(dc_layout_t *layout, dc_op_apply_fn apply, dc_op_diag_fn diag,
                              void *ctx, dc_op_t **op_p);
/**
 * \brief y = A x. Collective on the operator's env (x must be the same vector on every rank).
 * \param[in]  op  the operator
 * \param[in]  x   the input vector, on the operator's layout (not borrowed read-write)
 * \param[out] y   the result, on the operator's layout (not borrowed; not x)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, x or y not on the operator's layout, x == y,
 *         the callback failed), DC_ERR_STATE (a vector borrowed), DC_ERR_MPI, DC_ERR_TIMEOUT
 *         (DC_TIMEOUT expired waiting for another rank); a shell callback's own error code
 */
DC_API int dc_op_apply(dc_op_t *op, const dc_vec_t *x, dc_vec_t *y);
/**
 * \brief d = diag(A). Collective on the operator's env.
 * \param[in]  op  the operator
 * \param[out] d   the diagonal, a vector on the operator's layout (not borrowed)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, d not on the operator's layout),
 *         DC_ERR_NOTSUP (a shell or point operator without diag), DC_ERR_STATE (d borrowed),
 *         DC_ERR_MPI, DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_op_get_diagonal(dc_op_t *op, dc_vec_t *d);
/**
 * \brief The layout of the operator's vectors (lent). Local.
 * \param[in]  op        the operator
 * \param[out] layout_p  the layout, lent: usable while the operator lives, not the caller's to
 *                       destroy
 * \return DC_SUCCESS, DC_ERR_ARG (invalid or destroyed operator, layout_p NULL)
 */
DC_API int dc_op_get_layout(const dc_op_t *op, dc_layout_t **layout_p);
/**
 * \brief Release the caller's reference and set *op_p = NULL. Local; NULL is a no-op.
 * \param[in,out] op_p  the caller's handle
 * \return DC_SUCCESS, DC_ERR_ARG (not an operator, or destroyed before)
 */
DC_API int dc_op_destroy(dc_op_t **op_p);

/* ------------------------------------------------------------------ solvers */

/** Krylov method (dc_solver_params_t::type). */
typedef enum {
    DC_SOLVER_CG = 0,    /**< preconditioned conjugate gradients (two reductions/iteration) */
    DC_SOLVER_PIPECG = 1 /**< pipelined CG: one non-blocking reduction per iteration,
                              overlapped with A and the preconditioner; more vector work. Its
                              recurrences drift from the true residual faster than CG's: when
                              they claim convergence, or break down after the first step since
                              the last start, it restarts from the true residual b - A x (one
                              more A and reduction; the iteration count goes on), so it stops on
                              the true residual */
} dc_solver_type_t;

/** Preconditioner (dc_solver_params_t::pc). */
typedef enum {
    DC_PC_NONE = 0,   /**< none */
    DC_PC_JACOBI = 1, /**< z = r / diag(A) */
    DC_PC_MG = 2,     /**< one geometric multigrid V-cycle; the operator must be a
                           dc_stencil_laplacian() stencil operator with Dirichlet boundaries
                           (any dof: each component on its own), and the coarsest level (mg_levels,
                           mg_coarse_size) small enough for its banded factor (at most 2^27
                           values; 9/27 points: equal spacings on every level), else
                           DC_ERR_NOTSUP. Coarse levels rediscretise the
                           stencil (n_c = (n - 1) / 2 per dimension, vertex-centred), transfer
                           by linear interpolation and its scaled transpose, and give the same
                           bits for any rank count */
    DC_PC_SHELL = 3   /**< the caller's: dc_solver_params_t::pc_apply */
} dc_pc_type_t;

/** Multigrid smoother (dc_solver_params_t::mg_smoother). */
typedef enum {
    DC_MG_CHEBYSHEV = 0, /**< Chebyshev polynomial of degree mg_smooth_steps in D^-1 A on
                              [0.2 lmax, lmax], lmax the stencil's symbol at the highest
                              frequency (a bound of the spectrum for these stencils, the
                              Gershgorin bound for 3/5/7 points): no eigenvalue estimate */
    DC_MG_JACOBI = 1     /**< weighted Jacobi, weight mg_jacobi_weight */
} dc_mg_smoother_t;

/** Why a solve stopped (dc_solve_result_t::reason): > 0 converged, < 0 diverged. */
typedef enum {
    DC_SOLVE_ITERATING = 0,           /**< not solved yet */
    DC_SOLVE_CONVERGED_RTOL = 1,      /**< ||r|| <= rtol ||b|| */
    DC_SOLVE_CONVERGED_ATOL = 2,      /**< ||r|| <= atol */
    DC_SOLVE_DIVERGED_MAXIT = -1,     /**< max_it iterations without convergence */
    DC_SOLVE_DIVERGED_BREAKDOWN = -2, /**< p'Ap <= 0 or r'z <= 0: A or the preconditioner is
                                           not positive definite */
    DC_SOLVE_DIVERGED_NAN = -3        /**< a NaN or Inf appeared in a residual or coefficient */
} dc_solve_reason_t;

/** Bits of dc_solver_params_t::field_mask: only fields whose bit is set are read. */
enum {
    DC_SOLVER_PARAM_TYPE = 1u << 0,     /**< type */
    DC_SOLVER_PARAM_PC = 1u << 1,       /**< pc */
    DC_SOLVER_PARAM_RTOL = 1u << 2,     /**< rtol */
    DC_SOLVER_PARAM_ATOL = 1u << 3,     /**< atol */
    DC_SOLVER_PARAM_MAX_IT = 1u << 4,   /**< max_it */
    DC_SOLVER_PARAM_GUESS = 1u << 5,    /**< guess_nonzero */
    DC_SOLVER_PARAM_REPRO = 1u << 6,    /**< repro */
    DC_SOLVER_PARAM_PC_SHELL = 1u << 7, /**< pc_apply and pc_ctx */
    DC_SOLVER_PARAM_MG = 1u << 8        /**< all mg_* fields */
};

/** Preconditioner callback for DC_PC_SHELL: z = M^-1 r (M symmetric positive definite).
 * Return 0 or a DC_ERR_* code; any other non-zero value is reported as DC_ERR_ARG. */
typedef int (*dc_pc_apply_fn)(const dc_vec_t *r, dc_vec_t *z, void *ctx);

/** Settings of a solver. Defaults: CG, no preconditioner, rtol 1e-8, atol 1e-50, max_it
 * 10000, zero initial guess, the env's reproducibility mode, MG as documented per field. */
typedef struct dc_solver_params {
    uint64_t field_mask;     /**< DC_SOLVER_PARAM_* bits of the fields set */
    dc_solver_type_t type;   /**< DC_SOLVER_CG (default) or DC_SOLVER_PIPECG */
    dc_pc_type_t pc;         /**< preconditioner (default DC_PC_NONE) */
    double rtol;             /**< relative tolerance, in [0, 1) */
    double atol;             /**< absolute tolerance, >= 0 */
    int max_it;              /**< >= 0 */
    int guess_nonzero;       /**< 1: start from the x passed to dc_solver_solve() */
    dc_repro_t repro;        /**< DC_REPRO_DEFAULT: the env's */
    dc_pc_apply_fn pc_apply; /**< DC_PC_SHELL's z = M^-1 r */
    void *pc_ctx;            /**< passed to pc_apply unchanged */
    /* geometric multigrid */
    int mg_levels;                /**< 0: coarsen until the coarsest grid has <= mg_coarse_size
                                       points (default); else at most this many levels */
    int mg_coarse_size;           /**< >= 0; default (and 0) 4096 points: solved directly
                                       (banded Cholesky) */
    dc_mg_smoother_t mg_smoother; /**< default DC_MG_CHEBYSHEV */
    int mg_smooth_steps;          /**< pre- and post-smoothing steps (Chebyshev degree), >= 0;
                                       default (and 0) 2: a zeroed struct with
                                       DC_SOLVER_PARAM_MG gives every default except
                                       mg_agglomerate (0: never) */
    double mg_jacobi_weight;      /**< in [0, 1]; default 2/3 (1-D, 2-D) or 6/7 (3-D); 0: default.
                                       The V-cycle is positive definite only while weight x
                                       lmax(D^-1 A) < 2 (lmax 2 for 3/5/7 points, 1.6 for 9,
                                       1.44 for 27): weight 1 on a 3/5/7-point stencil is at that
                                       edge and CG may stall or break down */
    int mg_agglomerate;           /**< coarse levels with fewer than this many points per rank move
                                       to fewer ranks (default 4096; 0: never) */
} dc_solver_params_t;

/** Outcome of the last dc_solver_solve() (a value type). */
typedef struct dc_solve_result {
    dc_solve_reason_t reason; /**< why it stopped (dc_solve_reason_string() names it) */
    int iterations;           /**< iterations done */
    double rnorm;             /**< ||b - A x|| as the recurrence gives it at the end */
    double rnorm0;            /**< ||b - A x0|| */
    double bnorm;             /**< ||b|| */
    double setup_time;        /**< seconds in dc_solver_create() (MG hierarchy), this rank */
    double solve_time;        /**< seconds in the last dc_solver_solve(), this rank */
    double reduce_wait;       /**< seconds this rank waited for reductions in the last solve (for
                                   pipelined CG: what the overlap did not hide) */
    int mg_levels;            /**< levels of the MG hierarchy (0 without MG) */
} dc_solve_result_t;

/**
 * \brief Create a solver for operator \p op and set it up (the MG hierarchy and its coarse
 * factorisation are built here). Collective on the operator's env; params must match (agreed
 * like a create).
 * \param[in]  op      the operator (referenced)
 * \param[in]  params  settings, or NULL for the defaults
 * \param[out] solver_p the solver, set only on success
 * \return DC_SUCCESS; DC_ERR_ARG (invalid op: at once on that rank; solver_p NULL; unknown
 *         field_mask bits; a params field out of range or differing between ranks; DC_PC_SHELL
 *         without pc_apply; DC_PC_JACOBI with a diagonal entry that is not positive and finite;
 *         a diag callback that failed); DC_ERR_NOTSUP (Jacobi on a shell or point operator
 *         without diag; MG on an operator it cannot coarsen); DC_ERR_NOMEM; DC_ERR_MPI;
 *         DC_ERR_TIMEOUT (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_solver_create(dc_op_t *op, const dc_solver_params_t *params, dc_solver_t **solver_p);
/**
 * \brief Solve A x = b. Collective. A solve that stops without converging is not an error:
 * it returns DC_SUCCESS and the reason (dc_solver_get_result()) says why.
 * \param[in]     solver  the solver
 * \param[in]     b  right-hand side, on the operator's layout
 * \param[in,out] x  solution; read as the initial guess when guess_nonzero
 * \return DC_SUCCESS; DC_ERR_ARG (invalid handle, b or x not on the operator's layout, b == x);
 *         a callback's or the monitor's failure on any rank: its code (by the callbacks' return
 *         rule) on every rank, with that rank's message; DC_ERR_STATE (a vector borrowed;
 *         called from the solver's own monitor); DC_ERR_NOMEM; DC_ERR_MPI; DC_ERR_TIMEOUT
 *         (DC_TIMEOUT expired waiting for another rank)
 */
DC_API int dc_solver_solve(dc_solver_t *solver, const dc_vec_t *b, dc_vec_t *x);
/**
 * \brief Outcome of the last solve. Local.
 * \param[in]  solver    the solver
 * \param[out] result_p  filled (a copy): reason, iterations, norms, times
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, result_p NULL)
 */
DC_API int dc_solver_get_result(const dc_solver_t *solver, dc_solve_result_t *result_p);
/**
 * \brief Residual norms of the last solve: rnorms[0] = ||r_0||, ..., rnorms[its] (the array
 * belongs to the solver, valid until the next solve or destroy). Local.
 * \param[in]  solver    the solver
 * \param[out] rnorms_p  the array of norms, borrowed from the solver
 * \param[out] n_p       its length (iterations + 1; 0 before the first solve)
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, rnorms_p or n_p NULL)
 */
DC_API int dc_solver_get_history(const dc_solver_t *solver, const double **rnorms_p, int *n_p);
/**
 * Monitor of a running solve (dc_solver_set_monitor()): called on every rank after iteration
 * \p it (it = 0: before the first) with ||r_it|| as the recurrence gives it, while the solver's
 * state is that of iteration it (dc_ckpt_write_solver() may store it): the x passed to
 * dc_solver_solve() holds x_it, dc_solver_get_history() ends with ||r_it||, and
 * dc_solver_get_result() says iterations = it. It may call collectives (not dc_solver_solve() on
 * the same solver: DC_ERR_STATE). Return 0 to go on, or a DC_ERR_* code: the solve stops there
 * (x = x_it) and returns that code on every rank (agreed; any other non-zero value is reported
 * as DC_ERR_ARG). Calling it does not change the solve's bits.
 */
typedef int (*dc_solver_monitor_fn)(dc_solver_t *solver, int it, double rnorm, void *ctx);
/**
 * \brief Call \p fn every \p every iterations (it = 0, every, 2 every, ... up to the last
 * iteration; not for b = 0) of each following solve; fn NULL removes the monitor. A solve that
 * continues a loaded state (dc_ckpt_read_solver()) calls it from the next multiple of \p every
 * after the loaded iteration. Collective in spirit: every rank must set the same
 * monitor and period (not checked; a mismatch deadlocks a monitor that communicates). Local.
 * \param[in] solver  the solver
 * \param[in] every   the period in iterations (>= 1; ignored when fn is NULL)
 * \param[in] fn      the monitor (see dc_solver_monitor_fn), or NULL for none
 * \param[in] ctx     passed to fn unchanged
 * \return DC_SUCCESS, DC_ERR_ARG (invalid handle, every < 1 with fn not NULL)
 */
DC_API int dc_solver_set_monitor(dc_solver_t *solver, int every, dc_solver_monitor_fn fn,
                                 void *ctx);
/**
 * \brief Static name of a reason ("converged: rtol", "diverged: breakdown", ...). Local.
 * \param[in] reason  a dc_solve_reason_t value (dc_solve_result_t::reason)
 * \return never NULL ("unknown reason" for values not in dc_solve_reason_t)
 */
DC_API const char *dc_solve_reason_string(int reason);
/**
 * \brief Destroy a solver and set *solver_p = NULL. Local; NULL is a no-op.
 * \param[in,out] solver_p  the caller's handle
 * \return DC_SUCCESS, DC_ERR_ARG (not a solver, or destroyed before)
 */
DC_API int dc_solver_destroy(dc_solver_t **solver_p);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* DC_SOLVE_H */
