/**
 * \file dcompute.h
 * libdcompute: make an MPI job compute as one unit. Umbrella header: includes every module.
 */
#ifndef DCOMPUTE_H
#define DCOMPUTE_H

#include <dcompute/dc_version.h>
#include <dcompute/dc_types.h>
#include <dcompute/dc_error.h>
#include <dcompute/dc_env.h>
#include <dcompute/dc_layout.h>
#include <dcompute/dc_vec.h>
#include <dcompute/dc_mat.h>
#include <dcompute/dc_reduce.h>
#include <dcompute/dc_sched.h>
#include <dcompute/dc_mesh.h>
#include <dcompute/dc_solve.h>
#include <dcompute/dc_ckpt.h>
#include <dcompute/dc_prof.h>

#endif /* DCOMPUTE_H */
