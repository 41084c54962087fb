/*
 * Private to the mesh files (mesh.c: lifecycle, fields, halo exchange, natural ordering;
 * mesh_stencil.c and mg.c build on it): the mesh structure, every rank's box, and the halo
 * exchange on raw ghosted arrays for kernels that keep their own work arrays.
 *
 * Invariants: every rank knows every rank's box (offs tables); rank r sits at coordinates
 * c0 + procs[0] * (c1 + procs[1] * c2) = r; a local array holds the ghosted box of this rank,
 * lexicographic with dof fastest, then x, y, z, and strides as dc_mesh_local_index().
 */
#ifndef DC_MESH_IMPL_H
#define DC_MESH_IMPL_H

#include "dc_impl.h"

/* One sub-box of a local (ghosted) array: the run of ex[0] * dof contiguous doubles that starts
 * at off, repeated ex[1] times with stride sy and ex[2] times with stride sz (in doubles). */
typedef struct dci_mesh_region {
    size_t off;   /* in the local array */
    size_t goff;  /* regions of the owned box: the same point's offset in a global field's part */
    size_t ex[3]; /* extents in points */
} dci_mesh_region_t;

/*
 * A halo pattern (the forward exchange; the reverse one, local_to_global ADD, runs it
 * backwards): for each peer rank (increasing rank order, this rank excluded), the regions of
 * this rank's owned box it sends and the ghost regions it receives, each message the
 * concatenation of its regions in list order. The order of the regions of one (sender,
 * receiver) pair is the same on both sides: the receiver's ghost pieces in a fixed order
 * (direction z, y, x from low to high, STAR: faces only), each intersected with the sender's box
 * and its periodic images (shifts -1, 0, +1 per periodic dimension, z slowest). A rank that is
 * its own periodic neighbour copies locally (self regions, same order).
 */
typedef struct dci_mesh_halo {
    int npeers;
    int *peer;                  /* npeers ranks, increasing */
    size_t *soff, *roff;        /* npeers + 1 prefix offsets (in doubles) into sbuf, rbuf */
    int *sreg, *rreg;           /* npeers + 1 prefix offsets into sregion, rregion */
    dci_mesh_region_t *sregion; /* owned sub-boxes sent, per peer */
    dci_mesh_region_t *rregion; /* ghost sub-boxes received, per peer */
    int nself;
    dci_mesh_region_t *self_src, *self_dst; /* local wrap-around copies */
    double *sbuf, *rbuf;
    MPI_Request *req; /* forward: nfrecv receives, then sends (nfwd in all) */
    MPI_Request *rev; /* reverse: nrrecv receives, then sends (nrev in all); inside req */
    int nfrecv, nfwd, nrrecv, nrev;
    size_t nvalues; /* doubles sent + received per exchange (profiling) */
} dci_mesh_halo_t;

enum { DCI_MESH_IDLE = 0, DCI_MESH_FWD = 1, DCI_MESH_REV = 2 };

struct dc_mesh {
    dci_obj_t hdr;
    dc_mesh_info_t info; /* this rank's view */
    int nranks;
    dc_gidx_t *offs[3];   /* offs[d][c]: first index of slab c of dimension d, procs[d] + 1 */
    dc_layout_t *layout;  /* global fields (held; user reference given up) */
    dc_layout_t *llayout; /* local fields */
    MPI_Comm comm;        /* private duplicate of the env's: halo messages match nothing else */
    size_t sy, sz;        /* strides of a local array, in doubles */
    dci_mesh_halo_t halo;
    int state;              /* DCI_MESH_IDLE, _FWD between begin and end */
    const void *cur_global; /* the fields of the exchange under way */
    const void *cur_local;
};

/* Rank r's coordinates and owned box ([start, start + count) per dimension; 0 / 1 beyond dim).
 * No checks. */
void dci_mesh_rank_coords(const dc_mesh_t *m, int r, int coord[3]);
void dci_mesh_rank_box(const dc_mesh_t *m, int r, dc_gidx_t start[3], dc_gidx_t count[3]);

/*
 * Halo exchange on a raw local (ghosted) array of this rank (info.nghosted doubles, owned values
 * already in place): begin packs and starts the persistent requests and does the local periodic
 * copies; end waits and unpacks. The ghosts outside non-periodic edges are not written. Collective
 * on the mesh's env, no checks besides the state (DC_ERR_STATE when an exchange is under way or,
 * for end, when none is or 'local' differs from begin's), no agreement: the caller passes the
 * same kind of array on every rank. A rank with an empty box receives no ghosts.
 */
int dci_mesh_halo_begin(dc_mesh_t *m, double *local);
int dci_mesh_halo_end(dc_mesh_t *m, double *local);
/* The same begin with the values sent read from a global field's part 'owned' (info.nlocal
 * doubles) instead of local's owned box, which is neither read nor written (a kernel that reads
 * owned values from the global field and only ghosts from 'local' needs no owned copy; else copy
 * with dci_mesh_owned_to_local() after this call, overlapping the messages). End as above. */
int dci_mesh_halo_begin_owned(dc_mesh_t *m, const double *owned, double *local);

/* Copy the owned values between a global field's local part (info.nlocal doubles) and the
 * owned box of a local array. Local. */
void dci_mesh_owned_to_local(const dc_mesh_t *m, const double *global, double *local);
void dci_mesh_local_to_owned(const dc_mesh_t *m, const double *local, double *global);

#endif /* DC_MESH_IMPL_H */
