/*
 * Private to the checkpoint files (ckpt.c: the handle, directory, commit protocol and the
 * array I/O with checksums; ckpt_obj.c: the objects stored through it). Every object is a
 * dataset whose first dimension is cut into contiguous row ranges, one per rank, in rank order:
 * a rank's rows are one block of the natural order, checksummed on its own (zlib crc32) and
 * combined in rank order (crc32_combine) into the object's checksum.
 */
#ifndef DC_CKPT_IMPL_H
#define DC_CKPT_IMPL_H

#include "dc_impl.h"

#include <hdf5.h>

enum { DCI_CKPT_IDLE = 0, DCI_CKPT_WRITE = 1, DCI_CKPT_READ = 2 };

/* Version of the file format (root attribute format_version); a reader refuses newer ones. */
#define DCI_CKPT_FORMAT_VERSION 1
#define DCI_CKPT_FORMAT_NAME    "libdcompute-checkpoint"

struct dc_ckpt {
    dci_obj_t hdr;
    MPI_Comm comm; /* duplicate of the env's, given to HDF5's MPI-IO driver */
    char *dir;     /* without trailing '/' */
    char *prefix;
    int keep;
    int mode;          /* DCI_CKPT_IDLE, _WRITE, _READ */
    int failed;        /* a write's I/O failed (agreed code): write_end removes the temporary */
    int64_t step;      /* of the file open */
    hid_t file;        /* H5I_INVALID_HID when none */
    char *path;        /* the file open (the temporary while writing) */
    H5E_auto2_t efunc; /* HDF5's error printer, saved while a call runs with it off */
    void *edata;
};

/* Element types of stored arrays: dc_dtype_t's plain types, then bytes (blobs). */
enum { DCI_CK_DOUBLE = 0, DCI_CK_FLOAT, DCI_CK_INT32, DCI_CK_INT64, DCI_CK_UINT8, DCI_CK_NTYPES };

/* Name of a type code in the file ("double", ...), its size and HDF5 native type. */
const char *dci_ck_type_name(int t);
size_t dci_ck_type_size(int t);
hid_t dci_ck_type_h5(int t);

/* One stored array: a dataset of ndims dimensions (dims[0] rows of rowlen elements) of which
 * this rank holds rows [row0, row0 + nrows) in natural order. Rank order must be row order. */
typedef struct dci_ck_array {
    const char *name; /* path in the file */
    const char *kind; /* "vec", "mat", "mesh_field", "layout", "data", "blob" */
    int type;         /* DCI_CK_* */
    int ndims;
    hsize_t dims[4];
    hsize_t row0, nrows;
    const char *layout; /* the writer's layout, in words (attribute "layout") */
    /* extra int64 attributes (layouts, meshes): name and value */
    int nextra;
    const char *extra_name[6];
    int64_t extra_val[6];
    const char *extra_str_name; /* one extra string attribute, or NULL */
    const char *extra_str;
} dci_ck_array_t;

/* Entry and exit of every public function of a handle: HDF5's error printing off, then
 * restored. */
void dci_ck_enter(dc_ckpt_t *ck);
void dci_ck_leave(dc_ckpt_t *ck);

/* Local checks of a write or read call: the mode (DC_ERR_STATE), an earlier failed write (its
 * code), the name (DC_ERR_ARG). */
int dci_ck_check_write(dc_ckpt_t *ck, const char *name, const char *func);
int dci_ck_check_read(dc_ckpt_t *ck, const char *name, const char *func);
/* Fingerprint of a name, for dci_agree_args. */
int64_t dci_ck_name_hash(const char *name);

/*
 * Write array a from buf (this rank's rows, a->nrows * rowlen elements). Collective; called
 * after the caller's agreement, so every rank enters. Returns the agreed code; on an I/O
 * failure the write is marked failed (write_end removes the temporary). DC_ERR_ARG when the
 * name is taken.
 */
int dci_ck_write_array(dc_ckpt_t *ck, const dci_ck_array_t *a, const void *buf, const char *func);

/* An object opened for reading: its dataset and shape. */
typedef struct dci_ck_obj {
    hid_t dset;
    int type;
    int ndims;
    hsize_t dims[4];
    char layout[256]; /* the writer's layout attribute */
} dci_ck_obj_t;

/*
 * Open object name of kind (NULL: any) for reading. Collective, agreed: DC_ERR_ARG (no such
 * object, another kind), DC_ERR_CORRUPT (attributes missing or unreadable). On success the
 * caller closes it with dci_ck_close_obj.
 */
int dci_ck_open_obj(dc_ckpt_t *ck, const char *name, const char *kind, dci_ck_obj_t *o,
                    const char *func);
void dci_ck_close_obj(dci_ck_obj_t *o);
/* Read an int64 attribute of the object (DC_ERR_CORRUPT when missing). Local. */
int dci_ck_obj_attr_i64(dc_ckpt_t *ck, const dci_ck_obj_t *o, const char *name, const char *attr,
                        int64_t *v_p);
/* Read a string attribute of the object (DC_ERR_CORRUPT when missing). Local. */
int dci_ck_obj_attr_str(dc_ckpt_t *ck, const dci_ck_obj_t *o, const char *name, const char *attr,
                        char *buf, size_t len);
/*
 * Read rows [row0, row0 + nrows) of the object into buf (nrows * rowlen elements) and verify
 * the object's checksum over all ranks' rows (which must tile the first dimension in rank
 * order). Collective, agreed: DC_ERR_CORRUPT naming the object (and the writer's block when
 * the readers' blocks are the writer's) on every rank.
 */
int dci_ck_read_rows(dc_ckpt_t *ck, const char *name, const dci_ck_obj_t *o, hsize_t row0,
                     hsize_t nrows, void *buf, const char *func);

/* Balanced split of n rows over P ranks (the first n % P get one more): rank r's first row and
 * count. */
void dci_ck_split(int64_t n, int P, int r, int64_t *row0_p, int64_t *nrows_p);

#endif /* DC_CKPT_IMPL_H */
