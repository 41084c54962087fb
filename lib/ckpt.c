/*
 * Checkpoint directory and files: the handle, the commit protocol (temporary file, flush, fsync
 * on every rank, rename and directory sync on rank 0, keep the last K) and the array I/O that
 * every object goes through (collective hyperslab writes and reads on a parallel HDF5 file,
 * zlib crc32 per rank block combined in rank order). HDF5's own error printing is off while a
 * call runs; its errors become DC_ERR_IO or DC_ERR_CORRUPT with HDF5's text in the message.
 */
#define _GNU_SOURCE /* fallocate */
#include "ckpt_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef DC_HAVE_ISAL
#include <isa-l/crc.h>
#endif

/* ---------------------------------------------------------------- types */

static const struct {
    const char *name;
    size_t size;
} ck_types[DCI_CK_NTYPES] = {
    {"double", sizeof(double)}, {"float", sizeof(float)}, {"int32", 4}, {"int64", 8}, {"uint8", 1}};

const char *dci_ck_type_name(int t)
{
    return ck_types[t].name;
}

size_t dci_ck_type_size(int t)
{
    return ck_types[t].size;
}

hid_t dci_ck_type_h5(int t)
{
    switch (t) {
    case DCI_CK_DOUBLE: return H5T_NATIVE_DOUBLE;
    case DCI_CK_FLOAT: return H5T_NATIVE_FLOAT;
    case DCI_CK_INT32: return H5T_NATIVE_INT32;
    case DCI_CK_INT64: return H5T_NATIVE_INT64;
    default: return H5T_NATIVE_UINT8;
    }
}

static int ck_type_code(const char *name)
{
    int t;

    for (t = 0; t < DCI_CK_NTYPES; t++)
        if (strcmp(name, ck_types[t].name) == 0)
            return t;
    return -1;
}

/* ---------------------------------------------------------------- errors */

void dci_ck_enter(dc_ckpt_t *ck)
{
    H5Eget_auto2(H5E_DEFAULT, &ck->efunc, &ck->edata);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void dci_ck_leave(dc_ckpt_t *ck)
{
    H5Eclear2(H5E_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, ck->efunc, ck->edata);
}

typedef struct ck_h5msg {
    char api[64];
    char desc[200];
} ck_h5msg_t;

/* The stack from the API call down: the first entry names the API function, the last says
 * what went wrong at the bottom. */
static herr_t ck_h5_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    ck_h5msg_t *m = data;

    if (n == 0)
        snprintf(m->api, sizeof(m->api), "%s", e->func_name ? e->func_name : "?");
    snprintf(m->desc, sizeof(m->desc), "%s", e->desc ? e->desc : "");
    return 0;
}

/* Record code with the caller's text and HDF5's (or errno's, when no HDF5 error is pending). */
static int ck_fail(dc_ckpt_t *ck, int code, int use_errno, const char *func, int line,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int ck_fail(dc_ckpt_t *ck, int code, int use_errno, const char *func, int line,
                   const char *fmt, ...)
{
    char what[400];
    ck_h5msg_t m;
    va_list ap;
    int err = errno;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (use_errno)
        return dci_error_set(ck->hdr.env, code, func, __FILE__, line, "%s: %s", what,
                             strerror(err));
    m.api[0] = m.desc[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, ck_h5_walk, &m);
    H5Eclear2(H5E_DEFAULT);
    if (m.api[0] == '\0')
        return dci_error_set(ck->hdr.env, code, func, __FILE__, line, "%s", what);
    return dci_error_set(ck->hdr.env, code, func, __FILE__, line, "%s (HDF5: %s: %s)", what, m.api,
                         m.desc);
}

#define CK_H5ERR(ck, code, ...)  ck_fail((ck), (code), 0, __func__, __LINE__, __VA_ARGS__)
#define CK_SYSERR(ck, code, ...) ck_fail((ck), (code), 1, __func__, __LINE__, __VA_ARGS__)

/* ---------------------------------------------------------------- names and files */

int64_t dci_ck_name_hash(const char *name)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; name != NULL && *name; name++)
        h = (h ^ (unsigned char)*name) * 1099511628211ULL;
    return (int64_t)h;
}

/* Letters, digits, '_', '-', '.' in components separated by single '/'; no leading or trailing
 * '/', no "." or ".." component. */
static int ck_name_ok(const char *name)
{
    const char *p, *c;
    size_t n;

    if (name == NULL || name[0] == '\0' || name[0] == '/' || strlen(name) > 255)
        return 0;
    for (p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.' || *p == '/'))
            return 0;
    for (c = name;;) {
        p = strchr(c, '/');
        n = p ? (size_t)(p - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        if (p == NULL)
            return 1;
        c = p + 1;
    }
}

static int ck_prefix_ok(const char *prefix)
{
    const char *p;

    if (prefix == NULL || prefix[0] == '\0' || strlen(prefix) > 64)
        return 0;
    for (p = prefix; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/*
 * Whether the path name exists in the file: 1 (and *is_group_p), 0, or 0 with *under_p set
 * when a leading part of it is a dataset (nothing can live under it). Local.
 */
static int ck_lookup(hid_t file, const char *name, int *is_group_p, int *under_p)
{
    char buf[256];
    size_t i, n = strlen(name);
    htri_t e;
    H5O_info_t info;

    *under_p = 0;
    *is_group_p = 0;
    memcpy(buf, name, n + 1);
    for (i = 0; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        e = H5Lexists(file, buf, H5P_DEFAULT);
        if (e <= 0)
            return 0;
        if (H5Oget_info_by_name(file, buf, &info, H5P_DEFAULT) < 0)
            return 0;
        if (i == n) {
            *is_group_p = info.type == H5O_TYPE_GROUP;
            return 1;
        }
        if (info.type != H5O_TYPE_GROUP) {
            *under_p = 1;
            return 0;
        }
        buf[i] = '/';
    }
    return 0;
}

/* "<dir>/<prefix>.<step>.h5[.tmp]" in a new string. */
static int ck_file_name(dc_ckpt_t *ck, int64_t step, int tmp, char **path_p)
{
    size_t len = strlen(ck->dir) + strlen(ck->prefix) + 40;
    char *p;

    DC_CHECK(dci_malloc(ck->hdr.env, len, (void **)&p));
    snprintf(p, len, "%s/%s.%012lld.h5%s", ck->dir, ck->prefix, (long long)step, tmp ? ".tmp" : "");
    *path_p = p;
    return DC_SUCCESS;
}

/* Step of a committed file name "<prefix>.<12 digits>.h5" (tmp = 0) or of a temporary
 * "<prefix>.<12 digits>.h5.tmp" (tmp = 1); -1 if name is neither. */
static int64_t ck_parse_name(const char *prefix, const char *name, int tmp)
{
    size_t lp = strlen(prefix), i;
    const char *s = name + lp + 1;
    int64_t step = 0;

    if (strncmp(name, prefix, lp) != 0 || name[lp] != '.')
        return -1;
    for (i = 0; i < 12; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        step = step * 10 + (s[i] - '0');
    }
    if (strcmp(s + 12, tmp ? ".h5.tmp" : ".h5") != 0)
        return -1;
    return step;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/*
 * Rank 0 only: the committed steps in the directory, sorted (*steps_p allocated, may be NULL
 * when *n_p = 0); with remove_tmp, temporaries are deleted on the way.
 */
static int ck_scan(dc_ckpt_t *ck, int remove_tmp, int64_t **steps_p, int *n_p)
{
    DIR *d;
    struct dirent *e;
    int64_t *steps = NULL, *grown, s;
    int n = 0, cap = 0, rc = DC_SUCCESS;

    *steps_p = NULL;
    *n_p = 0;
    d = opendir(ck->dir);
    if (d == NULL)
        return CK_SYSERR(ck, DC_ERR_IO, "cannot read checkpoint directory '%s'", ck->dir);
    while ((e = readdir(d)) != NULL) {
        if (remove_tmp && ck_parse_name(ck->prefix, e->d_name, 1) >= 0) {
            char path[4352];
            snprintf(path, sizeof(path), "%s/%s", ck->dir, e->d_name);
            /* where nothing can be removed (read-only), the temporary stays: it is never read */
            if (unlink(path) != 0 && errno != ENOENT && errno != EROFS && errno != EACCES &&
                errno != EPERM) {
                rc = CK_SYSERR(ck, DC_ERR_IO, "cannot remove the stale temporary '%s'", path);
                break;
            }
            continue;
        }
        s = ck_parse_name(ck->prefix, e->d_name, 0);
        if (s < 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            rc = dci_malloc(ck->hdr.env, (size_t)cap * sizeof(*steps), (void **)&grown);
            if (rc != DC_SUCCESS)
                break;
            if (n)
                memcpy(grown, steps, (size_t)n * sizeof(*steps));
            dci_free(steps);
            steps = grown;
        }
        steps[n++] = s;
    }
    closedir(d);
    if (rc != DC_SUCCESS) {
        dci_free(steps);
        return rc;
    }
    if (n > 1)
        qsort(steps, (size_t)n, sizeof(*steps), cmp_i64);
    *steps_p = steps;
    *n_p = n;
    return DC_SUCCESS;
}

/* fsync of a file (every rank) or a directory (rank 0 after the rename). */
static int ck_fsync_path(dc_ckpt_t *ck, const char *path, int is_dir)
{
    int fd = open(path, O_RDONLY | (is_dir ? O_DIRECTORY : 0));

    if (fd < 0)
        return CK_SYSERR(ck, DC_ERR_IO, "cannot open '%s' to sync it", path);
    if (fsync(fd) != 0) {
        int rc = CK_SYSERR(ck, DC_ERR_IO, "fsync of '%s' failed", path);
        close(fd);
        return rc;
    }
    if (close(fd) != 0)
        return CK_SYSERR(ck, DC_ERR_IO, "close of '%s' failed", path);
    return DC_SUCCESS;
}

/* mkdir -p on rank 0 (the directory is shared by every rank). */
static int ck_mkdir_p(dc_ckpt_t *ck, const char *dir)
{
    char buf[4096];
    size_t i, n = strlen(dir);
    struct stat st;

    if (n >= sizeof(buf))
        return DC_ERR(ck->hdr.env, DC_ERR_ARG, "directory name too long (%zu characters)", n);
    memcpy(buf, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return CK_SYSERR(ck, DC_ERR_IO, "cannot create checkpoint directory '%s'", buf);
        buf[i] = i == n ? '\0' : '/';
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return CK_SYSERR(ck, DC_ERR_IO, "'%s' is not a directory", dir);
    /* a directory that is not writable (a read-only file system) still opens for reading;
     * dc_ckpt_write_begin fails there */
    if (access(dir, R_OK | X_OK) != 0)
        return CK_SYSERR(ck, DC_ERR_IO, "checkpoint directory '%s' is not readable", dir);
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- HDF5 attributes */

static int ck_attr_write(hid_t obj, const char *name, hid_t type, int rank, hsize_t len,
                         const void *data)
{
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &len, NULL);
    hid_t a = H5I_INVALID_HID;
    int ok = 0;

    if (space >= 0)
        a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0)
        ok = H5Awrite(a, type, data) >= 0;
    if (a >= 0)
        ok &= H5Aclose(a) >= 0;
    if (space >= 0)
        H5Sclose(space);
    return ok ? 0 : -1;
}

static int ck_attr_str(hid_t obj, const char *name, const char *s)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    size_t n = strlen(s);
    int r = -1;

    if (t < 0)
        return -1;
    if (H5Tset_size(t, n > 0 ? n : 1) >= 0 && H5Tset_strpad(t, H5T_STR_NULLTERM) >= 0)
        r = ck_attr_write(obj, name, t, 0, 1, n > 0 ? s : "");
    H5Tclose(t);
    return r;
}

/* Read attribute name of obj: exactly len values of native type (rank 0 for a scalar). */
static int ck_attr_read(hid_t obj, const char *name, hid_t type, hsize_t len, void *data)
{
    hid_t a, space;
    hssize_t np;
    int ok = 0;

    if (H5Aexists(obj, name) <= 0)
        return -1;
    a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    space = H5Aget_space(a);
    np = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (np == (hssize_t)len)
        ok = H5Aread(a, type, data) >= 0;
    if (space >= 0)
        H5Sclose(space);
    H5Aclose(a);
    return ok ? 0 : -1;
}

/* Number of values of attribute name, or -1. */
static hssize_t ck_attr_len(hid_t obj, const char *name)
{
    hid_t a, space;
    hssize_t np = -1;

    if (H5Aexists(obj, name) <= 0)
        return -1;
    a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    space = H5Aget_space(a);
    if (space >= 0) {
        np = H5Sget_simple_extent_npoints(space);
        H5Sclose(space);
    }
    H5Aclose(a);
    return np;
}

static int ck_attr_read_str(hid_t obj, const char *name, char *buf, size_t len)
{
    hid_t a, ft, mt = H5I_INVALID_HID;
    size_t sz;
    int ok = 0;

    if (H5Aexists(obj, name) <= 0)
        return -1;
    a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    ft = H5Aget_type(a);
    if (ft >= 0 && H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft)) {
        sz = H5Tget_size(ft);
        if (sz > 0 && sz < len && (mt = H5Tcopy(H5T_C_S1)) >= 0 && H5Tset_size(mt, sz) >= 0 &&
            H5Tset_strpad(mt, H5T_STR_NULLTERM) >= 0) {
            memset(buf, 0, len);
            ok = H5Aread(a, mt, buf) >= 0;
            buf[sz] = '\0';
        }
    }
    if (mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    H5Aclose(a);
    return ok ? 0 : -1;
}

/* ---------------------------------------------------------------- checksums */

/* zlib's crc32 takes at most UINT_MAX bytes per call. With ISA-L, its crc32_gzip_refl: the same
 * CRC-32 (configure checks that the values agree) at 11-17 GB/s instead of zlib's 1.5-2.3 here,
 * which at 1 GiB was a third of a checkpoint's read time. */
static uint32_t ck_crc(const void *buf, size_t n)
{
#ifdef DC_HAVE_ISAL
    return crc32_gzip_refl(0, buf, (uint64_t)n);
#else
    const unsigned char *p = buf;
    uLong c = crc32(0L, Z_NULL, 0);

    while (n > 0) {
        size_t k = n > (1u << 30) ? (1u << 30) : n;
        c = crc32(c, p, (uInt)k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
#endif
}

/*
 * Transfer of an object's data: a collective HDF5 call (every rank enters, as the metadata
 * needs) whose file I/O is independent: each rank's rows are one contiguous run of the file,
 * which it writes or reads itself with no two-phase aggregation through other ranks' buffers
 * (OMPIO's copies and exchanges), and an I/O error reaches the rank that had it.
 */
static herr_t ck_dxpl(hid_t dxpl)
{
    if (H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) < 0)
        return -1;
    return H5Pset_dxpl_mpio_collective_opt(dxpl, H5FD_MPIO_INDIVIDUAL_IO);
}

static hsize_t total_elems(const hsize_t *dims, int ndims)
{
    hsize_t t = 1;
    int i;

    for (i = 0; i < ndims; i++)
        t *= dims[i];
    return t;
}

void dci_ck_split(int64_t n, int P, int r, int64_t *row0_p, int64_t *nrows_p)
{
    int64_t q = n / P, e = n % P;

    *nrows_p = q + (r < e ? 1 : 0);
    *row0_p = r * q + (r < e ? r : e);
}

/* ---------------------------------------------------------------- the handle */

static void ck_free(dc_ckpt_t *ck)
{
    int finalized = 0;

    if (ck == NULL)
        return;
    MPI_Finalized(&finalized);
    if (!finalized && ck->comm != MPI_COMM_NULL)
        MPI_Comm_free(&ck->comm);
    dci_free(ck->dir);
    dci_free(ck->prefix);
    dci_free(ck->path);
    ck->hdr.magic = DCI_CLASS_DEAD;
    dci_free(ck);
}

static void ck_free_obj(dci_obj_t *hdr)
{
    dc_env_t *env = hdr->env;

    ck_free((dc_ckpt_t *)hdr);
    dci_env_unref(env);
}

static int ck_strdup(dc_env_t *env, const char *s, size_t n, char **out_p)
{
    char *p;

    DC_CHECK(dci_malloc(env, n + 1, (void **)&p));
    memcpy(p, s, n);
    p[n] = '\0';
    *out_p = p;
    return DC_SUCCESS;
}

int dc_ckpt_create(dc_env_t *env, const char *dir, const dc_ckpt_params_t *params,
                   dc_ckpt_t **ckpt_p)
{
    dc_ckpt_t *ck = NULL;
    int rc = DC_SUCCESS, keep = 2, nargs = 0, mpirc;
    const char *prefix = "ckpt";
    size_t dlen = 0;
    dci_arg_t args[3];

    DC_VALIDATE(env, DCI_CLASS_ENV);
    dci_prof_begin(env, DCI_EV_CKPT_CREATE);
    DC_REQUIRE_GOTO(env, ckpt_p != NULL, DC_ERR_ARG, out, "ckpt_p is NULL");
    DC_REQUIRE_GOTO(env, dir != NULL && dir[0] != '\0', DC_ERR_ARG, out, "dir is NULL or empty");
    if (params != NULL && (params->field_mask & DC_CKPT_PARAM_KEEP))
        keep = params->keep;
    if (params != NULL && (params->field_mask & DC_CKPT_PARAM_PREFIX))
        prefix = params->prefix;
    DC_REQUIRE_GOTO(env, keep >= 1, DC_ERR_ARG, out, "keep is %d, must be >= 1", keep);
    DC_REQUIRE_GOTO(env, ck_prefix_ok(prefix), DC_ERR_ARG, out,
                    "prefix '%s' is invalid: 1 to 64 letters, digits, '-' or '_'",
                    prefix ? prefix : "(null)");
    dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    DC_CHECK_GOTO(dci_calloc(env, 1, sizeof(*ck), (void **)&ck), out);
    dci_obj_init(&ck->hdr, DCI_CLASS_CKPT, env, NULL);
    ck->comm = MPI_COMM_NULL;
    ck->file = H5I_INVALID_HID;
    ck->keep = keep;
    DC_CHECK_GOTO(ck_strdup(env, dir, dlen, &ck->dir), out);
    DC_CHECK_GOTO(ck_strdup(env, prefix, strlen(prefix), &ck->prefix), out);
out:
    args[nargs++] = dci_arg_int("dir", dci_ck_name_hash(dir), DC_ERR_ARG);
    args[nargs++] = dci_arg_int("keep", keep, DC_ERR_ARG);
    args[nargs++] = dci_arg_int("prefix", dci_ck_name_hash(prefix), DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, nargs, __func__);
    if (rc == DC_SUCCESS) {
        mpirc = MPI_Comm_dup(env->comm, &ck->comm);
        if (mpirc != MPI_SUCCESS)
            rc = DC_ERR_MPI_RC(env, mpirc, "MPI_Comm_dup");
        else if (env->rank == 0) {
            int64_t *steps = NULL;
            int n;
            rc = ck_mkdir_p(ck, ck->dir);
            if (rc == DC_SUCCESS)
                rc = ck_scan(ck, 1, &steps, &n); /* removes stale temporaries */
            dci_free(steps);
        }
        rc = dci_agree(env, rc);
    }
    if (rc != DC_SUCCESS) {
        ck_free(ck);
        dci_prof_end(env, DCI_EV_CKPT_CREATE, 0);
        return rc;
    }
    ck->hdr.free_fn = ck_free_obj;
    dci_env_ref(env);
    *ckpt_p = ck;
    dci_prof_end(env, DCI_EV_CKPT_CREATE, 0);
    return DC_SUCCESS;
}

/* Close the open file (collective) and, for an abandoned write, remove the temporary (rank 0).
 * The handle is idle afterwards whatever happens; returns the first local failure. */
static int ck_close_file(dc_ckpt_t *ck, int remove)
{
    int rc = DC_SUCCESS;

    if (ck->file >= 0 && H5Fclose(ck->file) < 0)
        rc = CK_H5ERR(ck, DC_ERR_IO, "closing checkpoint file '%s' failed", ck->path);
    ck->file = H5I_INVALID_HID;
    if (remove && ck->hdr.env->rank == 0 && ck->path != NULL && access(ck->path, F_OK) == 0 &&
        unlink(ck->path) != 0 && errno != ENOENT && rc == DC_SUCCESS)
        rc = CK_SYSERR(ck, DC_ERR_IO, "cannot remove the temporary '%s'", ck->path);
    dci_free(ck->path);
    ck->path = NULL;
    ck->mode = DCI_CKPT_IDLE;
    ck->failed = 0;
    return rc;
}

int dc_ckpt_destroy(dc_ckpt_t **ckpt_p)
{
    dc_ckpt_t *ck;
    int rc = DC_SUCCESS;

    if (ckpt_p == NULL || *ckpt_p == NULL)
        return DC_SUCCESS;
    DC_VALIDATE_OWNED(*ckpt_p, DCI_CLASS_CKPT);
    ck = *ckpt_p;
    *ckpt_p = NULL;
    dci_ck_enter(ck);
    if (ck->mode != DCI_CKPT_IDLE) {
        rc = ck_close_file(ck, ck->mode == DCI_CKPT_WRITE);
        if (rc != DC_SUCCESS)
            dci_log(ck->hdr.env, 1, "dc_ckpt_destroy: %s\n", dc_env_last_error(ck->hdr.env));
    }
    dci_ck_leave(ck);
    dci_obj_release(&ck->hdr, "ckpt_p", __func__);
    return rc;
}

/* Rank 0 finds the newest step (-1: none); the result and any error reach every rank. */
static int ck_latest(dc_ckpt_t *ck, int64_t *step_p)
{
    dc_env_t *env = ck->hdr.env;
    int64_t buf[2] = {DC_SUCCESS, -1}, *steps = NULL;
    int n = 0, mpirc;
    double t;

    if (env->rank == 0) {
        buf[0] = ck_scan(ck, 0, &steps, &n);
        if (buf[0] == DC_SUCCESS && n > 0)
            buf[1] = steps[n - 1];
        dci_free(steps);
    }
    t = dci_prof_mpi_begin(env); /* MPI traffic only: file I/O is not communication */
    mpirc = MPI_Bcast(buf, 2, MPI_INT64_T, 0, env->comm);
    dci_prof_coll_end(env, t, env->rank == 0 ? sizeof(buf) : 0, env->rank == 0 ? 0 : sizeof(buf));
    if (mpirc != MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, mpirc, "MPI_Bcast");
    if (buf[0] != DC_SUCCESS)
        return dci_agree(env, (int)buf[0]); /* every rank has the code: copies rank 0's text */
    *step_p = buf[1];
    return DC_SUCCESS;
}

int dc_ckpt_latest(dc_ckpt_t *ckpt, int64_t *step_p)
{
    int rc;
    int64_t step = -1;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    dci_prof_begin(ckpt->hdr.env, DCI_EV_CKPT_LATEST);
    rc = step_p == NULL ? DC_ERR(ckpt->hdr.env, DC_ERR_ARG, "step_p is NULL") : DC_SUCCESS;
    rc = dci_agree(ckpt->hdr.env, rc);
    if (rc == DC_SUCCESS)
        rc = ck_latest(ckpt, &step);
    if (rc == DC_SUCCESS)
        *step_p = step;
    dci_prof_end(ckpt->hdr.env, DCI_EV_CKPT_LATEST, 0);
    return rc;
}

/* ---------------------------------------------------------------- writing */

static hid_t ck_fapl(dc_ckpt_t *ck)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);

    if (fapl < 0)
        return fapl;
    /* dense attribute storage (per-block checksums of many ranks exceed 64 KiB) needs the
     * 1.8 format or later; metadata written collectively by one rank, not by all */
    if (H5Pset_fapl_mpio(fapl, ck->comm, MPI_INFO_NULL) < 0 ||
        H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST) < 0 ||
        H5Pset_coll_metadata_write(fapl, 1) < 0) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
    return fapl;
}

/* The root attributes: what a reader checks before anything else. */
static int ck_root_attrs(dc_ckpt_t *ck, int64_t step)
{
    dc_env_t *env = ck->hdr.env;
    int32_t ver = DCI_CKPT_FORMAT_VERSION, np = env->size;
    char mpi[MPI_MAX_LIBRARY_VERSION_STRING], *nl;
    int len = 0;

    mpi[0] = '\0';
    MPI_Get_library_version(mpi, &len);
    nl = strchr(mpi, '\n');
    if (nl)
        *nl = '\0';
    mpi[120] = '\0';
    if (ck_attr_str(ck->file, "format", DCI_CKPT_FORMAT_NAME) < 0 ||
        ck_attr_write(ck->file, "format_version", H5T_NATIVE_INT32, 0, 1, &ver) < 0 ||
        ck_attr_str(ck->file, "library_version", DC_VERSION_STRING) < 0 ||
        ck_attr_write(ck->file, "step", H5T_NATIVE_INT64, 0, 1, &step) < 0 ||
        ck_attr_write(ck->file, "nranks", H5T_NATIVE_INT32, 0, 1, &np) < 0 ||
        ck_attr_str(ck->file, "mpi", mpi) < 0)
        return CK_H5ERR(ck, DC_ERR_IO, "writing the root attributes of '%s' failed", ck->path);
    return DC_SUCCESS;
}

int dc_ckpt_write_begin(dc_ckpt_t *ckpt, int64_t step)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    int rc = DC_SUCCESS;
    hid_t fapl = H5I_INVALID_HID;
    dci_arg_t arg;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_WRITE_BEGIN);
    DC_REQUIRE_GOTO(env, step >= 0, DC_ERR_ARG, out, "step %lld is negative", (long long)step);
    DC_REQUIRE_GOTO(env, ck->mode == DCI_CKPT_IDLE, DC_ERR_STATE, out, "a %s is open",
                    ck->mode == DCI_CKPT_WRITE ? "write" : "read");
    DC_CHECK_GOTO(ck_file_name(ck, step, 1, &ck->path), out);
out:
    arg = dci_arg_int("step", step, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, &arg, 1, __func__);
    if (rc != DC_SUCCESS) {
        if (ck->mode == DCI_CKPT_IDLE) {
            dci_free(ck->path);
            ck->path = NULL;
        }
        goto done;
    }
    fapl = ck_fapl(ck);
    if (fapl < 0)
        rc = CK_H5ERR(ck, DC_ERR_IO, "cannot set up MPI-IO file access");
    else {
        ck->file = H5Fcreate(ck->path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        if (ck->file < 0)
            rc = CK_H5ERR(ck, DC_ERR_IO, "cannot create checkpoint file '%s'", ck->path);
        H5Pclose(fapl);
    }
    if (rc == DC_SUCCESS)
        rc = ck_root_attrs(ck, step);
    rc = dci_agree(env, rc);
    ck->mode = DCI_CKPT_WRITE;
    if (rc != DC_SUCCESS) {
        ck_close_file(ck, 1);
        goto done;
    }
    ck->step = step;
    ck->failed = 0;
done:
    dci_prof_end(env, DCI_EV_CKPT_WRITE_BEGIN, 0);
    dci_ck_leave(ck);
    return rc;
}

int dci_ck_check_write(dc_ckpt_t *ck, const char *name, const char *func)
{
    dc_env_t *env = ck->hdr.env;

    if (ck->mode != DCI_CKPT_WRITE)
        return dci_error_set(env, DC_ERR_STATE, func, __FILE__, __LINE__, "no write is open%s",
                             ck->mode == DCI_CKPT_READ ? " (a read is)" : "");
    if (ck->failed)
        return dci_error_set(env, ck->failed, func, __FILE__, __LINE__,
                             "an earlier write of this checkpoint failed: call "
                             "dc_ckpt_write_end (which removes the temporary)");
    if (!ck_name_ok(name))
        return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                             "name '%s' is invalid: components of letters, digits, '_', '-' "
                             "or '.' separated by '/', no leading '/', at most 255 characters",
                             name ? name : "(null)");
    return DC_SUCCESS;
}

int dci_ck_check_read(dc_ckpt_t *ck, const char *name, const char *func)
{
    dc_env_t *env = ck->hdr.env;

    if (ck->mode != DCI_CKPT_READ)
        return dci_error_set(env, DC_ERR_STATE, func, __FILE__, __LINE__, "no read is open%s",
                             ck->mode == DCI_CKPT_WRITE ? " (a write is)" : "");
    if (!ck_name_ok(name))
        return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__, "name '%s' is invalid",
                             name ? name : "(null)");
    return DC_SUCCESS;
}

/* fallocate, first keeping the file's size (HDF5 sets it at close), else extending it; 0, or
 * -1 with errno (EOPNOTSUPP: the file system reserves nothing ahead). */
static int ck_fallocate(int fd, off_t off, off_t len)
{
    if (len <= 0)
        return 0;
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, off, len) == 0)
        return 0;
    if (errno != EOPNOTSUPP)
        return -1;
    return fallocate(fd, 0, off, len);
}

/* Metadata HDF5 places after a dataset's data (its attributes): reserved with the data. */
#define CK_META_SLACK ((hsize_t)1 << 20)

/*
 * Rank 0: reserve the file's blocks up to the end of this dataset's data and some metadata after
 * it, before any data goes in. A full file system then fails here, on one rank and agreed,
 * instead of inside the write: there an MPI-IO aggregator can lose the error (Open MPI 4.1's
 * OMPIO at 4 ranks committed a 16 MiB checkpoint to an 8 MiB tmpfs), and HDF5's close after a
 * failed collective write hangs. When the data does not fit, the metadata before and after it
 * is still reserved, so that closing the abandoned file succeeds. File systems without
 * fallocate reserve nothing. (H5Fget_filesize cannot give the end: the MPI-IO driver forgets
 * the file's end after a write.)
 */
static int ck_reserve(dc_ckpt_t *ck, hid_t dset, const char *name)
{
    hsize_t dsz = H5Dget_storage_size(dset);
    haddr_t off = H5Dget_offset(dset);
    int fd, rc = DC_SUCCESS, err;

    if (off == HADDR_UNDEF || dsz == 0)
        return DC_SUCCESS;
    fd = open(ck->path, O_WRONLY);
    if (fd < 0)
        return CK_SYSERR(ck, DC_ERR_IO, "cannot open '%s' to reserve its space", ck->path);
    if (ck_fallocate(fd, 0, (off_t)(off + dsz + CK_META_SLACK)) != 0 && errno != EOPNOTSUPP &&
        errno != ENOSYS) {
        err = errno;
        (void)ck_fallocate(fd, 0, (off_t)off);
        (void)ck_fallocate(fd, (off_t)(off + dsz), (off_t)CK_META_SLACK);
        errno = err;
        rc = CK_SYSERR(ck, DC_ERR_IO, "no room for object '%s' (%llu bytes) in '%s'", name,
                       (unsigned long long)dsz, ck->path);
    }
    if (close(fd) != 0 && rc == DC_SUCCESS)
        rc = CK_SYSERR(ck, DC_ERR_IO, "close of '%s' failed", ck->path);
    return rc;
}

int dci_ck_write_array(dc_ckpt_t *ck, const dci_ck_array_t *a, const void *buf, const char *func)
{
    dc_env_t *env = ck->hdr.env;
    int P = env->size, rc = DC_SUCCESS, i, nb = 0, mpirc, is_group, under;
    size_t esz = dci_ck_type_size(a->type);
    hsize_t rowlen = 1, start[4] = {0}, count[4], nloc;
    int64_t mine[3], *all = NULL, *boff = NULL, shape[4];
    uint32_t *bcrc = NULL, crc;
    int32_t *brank = NULL;
    hid_t space = H5I_INVALID_HID, lcpl = H5I_INVALID_HID, dset = H5I_INVALID_HID;
    hid_t mspace = H5I_INVALID_HID, fspace = H5I_INVALID_HID, dxpl = H5I_INVALID_HID;
    uLong total;
    double dummy = 0;

    for (i = 1; i < a->ndims; i++)
        rowlen *= a->dims[i];
    nloc = a->nrows * rowlen;
    mine[0] = (int64_t)(a->row0 * rowlen);
    mine[1] = (int64_t)nloc;
    mine[2] = ck_crc(buf, (size_t)nloc * esz);
    DC_CHECK_GOTO(dci_malloc(env, (size_t)P * 3 * sizeof(int64_t), (void **)&all), agree);
    DC_CHECK_GOTO(dci_malloc(env, (size_t)(P + 1) * sizeof(int64_t), (void **)&boff), agree);
    DC_CHECK_GOTO(dci_malloc(env, (size_t)P * sizeof(uint32_t), (void **)&bcrc), agree);
    DC_CHECK_GOTO(dci_malloc(env, (size_t)P * sizeof(int32_t), (void **)&brank), agree);
    if (ck_lookup(ck->file, a->name, &is_group, &under))
        rc = DC_ERR(env, DC_ERR_ARG, "name '%s' is taken in this checkpoint", a->name);
    else if (under)
        rc = DC_ERR(env, DC_ERR_ARG, "name '%s' lies under a stored object", a->name);
agree:
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    {
        double t = dci_prof_mpi_begin(env);
        mpirc = MPI_Allgather(mine, 3, MPI_INT64_T, all, 3, MPI_INT64_T, env->comm);
        dci_prof_coll_end(env, t, sizeof(mine), (size_t)P * sizeof(mine));
    }
    if (mpirc != MPI_SUCCESS) {
        rc = DC_ERR_MPI_RC(env, mpirc, "MPI_Allgather");
        goto fail;
    }
    /* the object's checksum: the ranks' blocks in natural order, combined in rank order */
    total = crc32(0L, Z_NULL, 0);
    for (i = 0; i < P; i++) {
        total =
            crc32_combine(total, (uLong)all[3 * i + 2], (z_off_t)(all[3 * i + 1] * (int64_t)esz));
        if (all[3 * i + 1] > 0 || (i == P - 1 && nb == 0)) {
            boff[nb] = all[3 * i];
            boff[nb + 1] = all[3 * i] + all[3 * i + 1];
            bcrc[nb] = (uint32_t)all[3 * i + 2];
            brank[nb] = i;
            nb++;
        }
    }
    crc = (uint32_t)total;
    for (i = 0; i < a->ndims; i++)
        shape[i] = (int64_t)a->dims[i];
    space = H5Screate_simple(a->ndims, a->dims, NULL);
    lcpl = H5Pcreate(H5P_LINK_CREATE);
    if (space < 0 || lcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0) {
        rc = CK_H5ERR(ck, DC_ERR_IO, "cannot describe object '%s'", a->name);
        goto fail;
    }
    dset = H5Dcreate2(ck->file, a->name, dci_ck_type_h5(a->type), space, lcpl, H5P_DEFAULT,
                      H5P_DEFAULT);
    if (dset < 0) {
        rc = CK_H5ERR(ck, DC_ERR_IO, "cannot create dataset '%s' in '%s'", a->name, ck->path);
        goto fail;
    }
    if (ck_attr_str(dset, "kind", a->kind) < 0 ||
        ck_attr_str(dset, "type", dci_ck_type_name(a->type)) < 0 ||
        ck_attr_write(dset, "shape", H5T_NATIVE_INT64, 1, (hsize_t)a->ndims, shape) < 0 ||
        ck_attr_str(dset, "layout", a->layout ? a->layout : "") < 0 ||
        ck_attr_write(dset, "crc32", H5T_NATIVE_UINT32, 0, 1, &crc) < 0 ||
        ck_attr_write(dset, "block_offsets", H5T_NATIVE_INT64, 1, (hsize_t)nb + 1, boff) < 0 ||
        ck_attr_write(dset, "block_crc32", H5T_NATIVE_UINT32, 1, (hsize_t)nb, bcrc) < 0 ||
        ck_attr_write(dset, "block_rank", H5T_NATIVE_INT32, 1, (hsize_t)nb, brank) < 0) {
        rc = CK_H5ERR(ck, DC_ERR_IO, "cannot write the attributes of '%s'", a->name);
        goto fail;
    }
    for (i = 0; i < a->nextra; i++)
        if (ck_attr_write(dset, a->extra_name[i], H5T_NATIVE_INT64, 0, 1, &a->extra_val[i]) < 0) {
            rc = CK_H5ERR(ck, DC_ERR_IO, "cannot write attribute %s of '%s'", a->extra_name[i],
                          a->name);
            goto fail;
        }
    if (a->extra_str_name != NULL && ck_attr_str(dset, a->extra_str_name, a->extra_str) < 0) {
        rc = CK_H5ERR(ck, DC_ERR_IO, "cannot write attribute %s of '%s'", a->extra_str_name,
                      a->name);
        goto fail;
    }
    /* the space first, agreed: a full file system fails here, with nothing written */
    if (env->rank == 0)
        rc = ck_reserve(ck, dset, a->name);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto fail;
    /* this rank's rows: one hyperslab of the file, one contiguous run in memory */
    fspace = H5Dget_space(dset);
    mspace = H5Screate_simple(1, &nloc, NULL);
    dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (fspace < 0 || mspace < 0 || dxpl < 0 || ck_dxpl(dxpl) < 0) {
        rc = CK_H5ERR(ck, DC_ERR_IO, "cannot set up the write of '%s'", a->name);
        goto fail;
    }
    if (nloc > 0) {
        start[0] = a->row0;
        count[0] = a->nrows;
        for (i = 1; i < a->ndims; i++)
            count[i] = a->dims[i];
        if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
            rc = CK_H5ERR(ck, DC_ERR_IO, "cannot select rows of '%s'", a->name);
    } else if (H5Sselect_none(fspace) < 0 || H5Sselect_none(mspace) < 0)
        rc = CK_H5ERR(ck, DC_ERR_IO, "cannot select rows of '%s'", a->name);
    /* a failed selection joins the collective write with nothing selected */
    if (rc != DC_SUCCESS) {
        H5Sselect_none(fspace);
        H5Sselect_none(mspace);
    }
    /* an empty dataset has no storage to write to (every rank knows the shape) */
    if (total_elems(a->dims, a->ndims) > 0 &&
        H5Dwrite(dset, dci_ck_type_h5(a->type), mspace, fspace, dxpl, nloc > 0 ? buf : &dummy) <
            0 &&
        rc == DC_SUCCESS)
        rc = CK_H5ERR(ck, DC_ERR_IO, "writing '%s' to '%s' failed", a->name, ck->path);
fail:
    if (dxpl >= 0)
        H5Pclose(dxpl);
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    if (dset >= 0 && H5Dclose(dset) < 0 && rc == DC_SUCCESS)
        rc = CK_H5ERR(ck, DC_ERR_IO, "closing '%s' failed", a->name);
    if (lcpl >= 0)
        H5Pclose(lcpl);
    if (space >= 0)
        H5Sclose(space);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        ck->failed = rc;
out:
    dci_free(all);
    dci_free(boff);
    dci_free(bcrc);
    dci_free(brank);
    (void)func;
    return rc;
}

/* Rank 0, after the commit of step: delete the oldest of the committed checkpoints listed
 * before it (steps, n) so that keep remain with the new one. A failure leaves extra files and
 * is only logged: the new checkpoint is committed already. */
static void ck_prune(dc_ckpt_t *ck, const int64_t *steps, int n, int64_t step)
{
    char path[4352];
    int i, others = 0, del;

    for (i = 0; i < n; i++)
        others += steps[i] != step;
    del = others - (ck->keep - 1);
    for (i = 0; i < n && del > 0; i++) {
        if (steps[i] == step)
            continue;
        snprintf(path, sizeof(path), "%s/%s.%012lld.h5", ck->dir, ck->prefix, (long long)steps[i]);
        if (unlink(path) != 0 && errno != ENOENT)
            dci_log(ck->hdr.env, 1, "dc_ckpt_write_end: cannot remove '%s': %s\n", path,
                    strerror(errno));
        del--;
    }
}

int dc_ckpt_write_end(dc_ckpt_t *ckpt)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    int rc = DC_SUCCESS, rc2, nsteps = 0;
    char *final = NULL;
    int64_t *steps = NULL;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_WRITE_END);
    if (ck->mode != DCI_CKPT_WRITE)
        rc = DC_ERR(env, DC_ERR_STATE, "no write is open%s",
                    ck->mode == DCI_CKPT_READ ? " (a read is)" : "");
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto done;
    if (ck->failed) {
        rc = ck->failed;
        ck_close_file(ck, 1);
        rc = dci_agree(env, DC_ERR(env, rc,
                                   "the checkpoint of step %lld was not committed: an "
                                   "earlier write failed; the temporary is removed",
                                   (long long)ck->step));
        goto done;
    }
    /* 1. every rank's data reaches the file, the file is closed */
    if (H5Fflush(ck->file, H5F_SCOPE_GLOBAL) < 0)
        rc = CK_H5ERR(ck, DC_ERR_IO, "flushing '%s' failed", ck->path);
    if (H5Fclose(ck->file) < 0 && rc == DC_SUCCESS)
        rc = CK_H5ERR(ck, DC_ERR_IO, "closing '%s' failed", ck->path);
    ck->file = H5I_INVALID_HID;
    /* 2. every rank syncs what it wrote */
    if (rc == DC_SUCCESS)
        rc = ck_fsync_path(ck, ck->path, 0);
    if (rc == DC_SUCCESS)
        rc = ck_file_name(ck, ck->step, 0, &final);
    /* the committed ones now, listed before the rename: nothing can fail after it */
    if (rc == DC_SUCCESS && env->rank == 0)
        rc = ck_scan(ck, 0, &steps, &nsteps);
    rc = dci_agree(env, rc);
    /* 3. all have: rank 0 makes it current and syncs the directory, then removes old ones */
    if (rc == DC_SUCCESS && env->rank == 0) {
        if (rename(ck->path, final) != 0)
            rc = CK_SYSERR(ck, DC_ERR_IO, "cannot rename '%s' to '%s'", ck->path, final);
        else {
            rc = ck_fsync_path(ck, ck->dir, 1);
            if (rc == DC_SUCCESS)
                ck_prune(ck, steps, nsteps, ck->step);
        }
    }
    rc = dci_agree(env, rc);
    /* on failure the temporary goes (rank 0): the previous checkpoint stays current */
    rc2 = ck_close_file(ck, rc != DC_SUCCESS);
    if (rc != DC_SUCCESS && rc2 != DC_SUCCESS)
        dci_log(env, 1, "dc_ckpt_write_end: %s\n", dc_env_last_error(env));
done:
    dci_free(final);
    dci_free(steps);
    dci_prof_end(env, DCI_EV_CKPT_WRITE_END, 0);
    dci_ck_leave(ck);
    return rc;
}

/* ---------------------------------------------------------------- reading */

/* The root attributes say this is a checkpoint of a format this library reads. Local. */
static int ck_check_root(dc_ckpt_t *ck)
{
    char fmt[64];
    int32_t ver = 0;

    if (ck_attr_read_str(ck->file, "format", fmt, sizeof(fmt)) < 0 ||
        strcmp(fmt, DCI_CKPT_FORMAT_NAME) != 0)
        return CK_H5ERR(ck, DC_ERR_CORRUPT,
                        "'%s' is not a checkpoint of libdcompute (root attribute format missing "
                        "or not '%s')",
                        ck->path, DCI_CKPT_FORMAT_NAME);
    if (ck_attr_read(ck->file, "format_version", H5T_NATIVE_INT32, 1, &ver) < 0)
        return CK_H5ERR(ck, DC_ERR_CORRUPT, "'%s': root attribute format_version missing",
                        ck->path);
    if (ver < 1 || ver > DCI_CKPT_FORMAT_VERSION)
        return DC_ERR(ck->hdr.env, DC_ERR_CORRUPT,
                      "'%s' has format version %d; this library reads 1 to %d", ck->path, (int)ver,
                      DCI_CKPT_FORMAT_VERSION);
    return DC_SUCCESS;
}

int dc_ckpt_read_begin(dc_ckpt_t *ckpt, int64_t step, int64_t *step_p)
{
    dc_ckpt_t *ck = ckpt;
    dc_env_t *env;
    int rc = DC_SUCCESS;
    int64_t s = step;
    hid_t fapl;
    dci_arg_t arg;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    env = ck->hdr.env;
    dci_ck_enter(ck);
    dci_prof_begin(env, DCI_EV_CKPT_READ_BEGIN);
    DC_REQUIRE_GOTO(env, step >= 0 || step == DC_CKPT_LATEST, DC_ERR_ARG, out,
                    "step %lld is invalid (>= 0 or DC_CKPT_LATEST)", (long long)step);
    DC_REQUIRE_GOTO(env, ck->mode == DCI_CKPT_IDLE, DC_ERR_STATE, out, "a %s is open",
                    ck->mode == DCI_CKPT_WRITE ? "write" : "read");
out:
    arg = dci_arg_int("step", step, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, &arg, 1, __func__);
    if (rc != DC_SUCCESS)
        goto done;
    if (step == DC_CKPT_LATEST) {
        rc = ck_latest(ck, &s);
        if (rc != DC_SUCCESS)
            goto done;
        if (s < 0) {
            rc = dci_agree(env, DC_ERR(env, DC_ERR_ARG, "no committed checkpoint '%s.*.h5' in '%s'",
                                       ck->prefix, ck->dir));
            goto done;
        }
    }
    rc = ck_file_name(ck, s, 0, &ck->path);
    if (rc == DC_SUCCESS && env->rank == 0) {
        if (access(ck->path, F_OK) != 0)
            rc = DC_ERR(env, DC_ERR_ARG, "no checkpoint of step %lld ('%s')", (long long)s,
                        ck->path);
        else if (access(ck->path, R_OK) != 0)
            rc = CK_SYSERR(ck, DC_ERR_IO, "cannot read '%s'", ck->path);
    }
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto fail;
    fapl = ck_fapl(ck);
    if (fapl < 0)
        rc = CK_H5ERR(ck, DC_ERR_IO, "cannot set up MPI-IO file access");
    else {
        ck->file = H5Fopen(ck->path, H5F_ACC_RDONLY, fapl);
        if (ck->file < 0)
            rc = CK_H5ERR(ck, DC_ERR_CORRUPT,
                          "'%s' is not a readable HDF5 file (truncated or damaged)", ck->path);
        H5Pclose(fapl);
    }
    if (rc == DC_SUCCESS)
        rc = ck_check_root(ck);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto fail;
    ck->mode = DCI_CKPT_READ;
    ck->step = s;
    if (step_p != NULL)
        *step_p = s;
    goto done;
fail:
    ck_close_file(ck, 0);
done:
    dci_prof_end(env, DCI_EV_CKPT_READ_BEGIN, 0);
    dci_ck_leave(ck);
    return rc;
}

int dc_ckpt_read_end(dc_ckpt_t *ckpt)
{
    dc_ckpt_t *ck = ckpt;
    int rc = DC_SUCCESS;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    dci_prof_begin(ck->hdr.env, DCI_EV_CKPT_READ_END);
    dci_ck_enter(ck);
    if (ck->mode != DCI_CKPT_READ)
        rc = DC_ERR(ck->hdr.env, DC_ERR_STATE, "no read is open%s",
                    ck->mode == DCI_CKPT_WRITE ? " (a write is)" : "");
    rc = dci_agree(ck->hdr.env, rc);
    if (rc == DC_SUCCESS)
        rc = dci_agree(ck->hdr.env, ck_close_file(ck, 0));
    dci_ck_leave(ck);
    dci_prof_end(ck->hdr.env, DCI_EV_CKPT_READ_END, 0);
    return rc;
}

int dc_ckpt_has(dc_ckpt_t *ckpt, const char *name, int *has_p)
{
    dc_ckpt_t *ck = ckpt;
    int rc, is_group = 0, under = 0, has = 0;
    dci_arg_t arg;

    DC_VALIDATE(ckpt, DCI_CLASS_CKPT);
    dci_prof_begin(ck->hdr.env, DCI_EV_CKPT_HAS);
    dci_ck_enter(ck);
    rc = dci_ck_check_read(ck, name, __func__);
    if (rc == DC_SUCCESS && has_p == NULL)
        rc = DC_ERR(ck->hdr.env, DC_ERR_ARG, "has_p is NULL");
    if (rc == DC_SUCCESS)
        has = ck_lookup(ck->file, name, &is_group, &under);
    arg = dci_arg_int("name", dci_ck_name_hash(name), DC_ERR_ARG);
    rc = dci_agree_args(ck->hdr.env, rc, &arg, 1, __func__);
    if (rc == DC_SUCCESS)
        *has_p = has;
    dci_ck_leave(ck);
    dci_prof_end(ck->hdr.env, DCI_EV_CKPT_HAS, 0);
    return rc;
}

/* The element type every object of a kind has (-1: any, for user data). */
static int ck_kind_type(const char *kind)
{
    if (strcmp(kind, "vec") == 0 || strcmp(kind, "mat") == 0 || strcmp(kind, "mesh_field") == 0)
        return DCI_CK_DOUBLE;
    if (strcmp(kind, "layout") == 0)
        return DCI_CK_INT64;
    if (strcmp(kind, "blob") == 0)
        return DCI_CK_UINT8;
    return -1;
}

int dci_ck_open_obj(dc_ckpt_t *ck, const char *name, const char *kind, dci_ck_obj_t *o,
                    const char *func)
{
    dc_env_t *env = ck->hdr.env;
    int rc = DC_SUCCESS, is_group = 0, under = 0, i;
    char k[32], t[32];
    int64_t shape[4];
    hssize_t ns;
    hid_t space = H5I_INVALID_HID;

    memset(o, 0, sizeof(*o));
    o->dset = H5I_INVALID_HID;
    if (!ck_lookup(ck->file, name, &is_group, &under) || is_group) {
        rc = dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                           "no object '%s' in checkpoint '%s'%s", name, ck->path,
                           is_group ? " (a group of that name)" : "");
        goto out;
    }
    o->dset = H5Dopen2(ck->file, name, H5P_DEFAULT);
    if (o->dset < 0) {
        rc = CK_H5ERR(ck, DC_ERR_CORRUPT, "object '%s' of '%s' cannot be opened", name, ck->path);
        goto out;
    }
    if (ck_attr_read_str(o->dset, "kind", k, sizeof(k)) < 0 ||
        ck_attr_read_str(o->dset, "type", t, sizeof(t)) < 0 || (o->type = ck_type_code(t)) < 0 ||
        (ns = ck_attr_len(o->dset, "shape")) < 1 || ns > 4 ||
        ck_attr_read(o->dset, "shape", H5T_NATIVE_INT64, (hsize_t)ns, shape) < 0 ||
        ck_attr_len(o->dset, "crc32") != 1 || ck_attr_len(o->dset, "block_offsets") < 2 ||
        ck_attr_read_str(o->dset, "layout", o->layout, sizeof(o->layout)) < 0) {
        rc = CK_H5ERR(ck, DC_ERR_CORRUPT,
                      "object '%s' of '%s': attributes missing or unreadable (kind, type, shape, "
                      "layout, crc32, block_offsets)",
                      name, ck->path);
        goto out;
    }
    o->ndims = (int)ns;
    space = H5Dget_space(o->dset);
    if (space < 0 || H5Sget_simple_extent_ndims(space) != o->ndims ||
        H5Sget_simple_extent_dims(space, o->dims, NULL) < 0) {
        rc = CK_H5ERR(ck, DC_ERR_CORRUPT, "object '%s' of '%s': dataspace unreadable", name,
                      ck->path);
        goto out;
    }
    for (i = 0; i < o->ndims; i++)
        if (shape[i] < 0 || (hsize_t)shape[i] != o->dims[i]) {
            rc = DC_ERR(env, DC_ERR_CORRUPT,
                        "object '%s' of '%s': attribute shape does not match the dataset", name,
                        ck->path);
            goto out;
        }
    if (kind != NULL && strcmp(k, kind) != 0)
        rc = dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                           "object '%s' is a %s, not a %s", name, k, kind);
    else if (ck_kind_type(k) >= 0 && ck_kind_type(k) != o->type)
        rc = DC_ERR(env, DC_ERR_CORRUPT, "object '%s' of '%s': a %s stored as %s values", name,
                    ck->path, k, dci_ck_type_name(o->type));
out:
    if (space >= 0)
        H5Sclose(space);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        dci_ck_close_obj(o);
    return rc;
}

void dci_ck_close_obj(dci_ck_obj_t *o)
{
    if (o->dset >= 0)
        H5Dclose(o->dset);
    o->dset = H5I_INVALID_HID;
}

int dci_ck_obj_attr_i64(dc_ckpt_t *ck, const dci_ck_obj_t *o, const char *name, const char *attr,
                        int64_t *v_p)
{
    if (ck_attr_read(o->dset, attr, H5T_NATIVE_INT64, 1, v_p) < 0)
        return CK_H5ERR(ck, DC_ERR_CORRUPT, "object '%s' of '%s': attribute %s missing", name,
                        ck->path, attr);
    return DC_SUCCESS;
}

int dci_ck_obj_attr_str(dc_ckpt_t *ck, const dci_ck_obj_t *o, const char *name, const char *attr,
                        char *buf, size_t len)
{
    if (ck_attr_read_str(o->dset, attr, buf, len) < 0)
        return CK_H5ERR(ck, DC_ERR_CORRUPT, "object '%s' of '%s': attribute %s missing", name,
                        ck->path, attr);
    return DC_SUCCESS;
}

/* Rank 0: compare the readers' checksums (info: P x {offset, count, crc, rc}) with the stored
 * ones; DC_ERR_CORRUPT naming the object, and the writer's block when the blocks coincide. */
static int ck_verify(dc_ckpt_t *ck, const char *name, const dci_ck_obj_t *o, const int64_t *info,
                     size_t esz)
{
    dc_env_t *env = ck->hdr.env;
    int P = env->size, i, j, nb, nr = 0, rc = DC_SUCCESS;
    uLong total = crc32(0L, Z_NULL, 0);
    uint32_t stored;
    int64_t *boff = NULL;
    uint32_t *bcrc = NULL;
    int32_t *brank = NULL;
    hssize_t n;

    for (i = 0; i < P; i++)
        total =
            crc32_combine(total, (uLong)info[4 * i + 2], (z_off_t)(info[4 * i + 1] * (int64_t)esz));
    n = ck_attr_len(o->dset, "block_offsets");
    nb = (int)n - 1;
    if (ck_attr_read(o->dset, "crc32", H5T_NATIVE_UINT32, 1, &stored) < 0 || nb < 1)
        return CK_H5ERR(ck, DC_ERR_CORRUPT, "object '%s' of '%s': checksum attributes unreadable",
                        name, ck->path);
    if ((uint32_t)total == stored)
        return DC_SUCCESS;
    /* which block: possible when the readers' non-empty blocks are the writer's */
    DC_CHECK_GOTO(dci_malloc(env, (size_t)(nb + 1) * sizeof(int64_t), (void **)&boff), out);
    DC_CHECK_GOTO(dci_malloc(env, (size_t)nb * sizeof(uint32_t), (void **)&bcrc), out);
    DC_CHECK_GOTO(dci_malloc(env, (size_t)nb * sizeof(int32_t), (void **)&brank), out);
    if (ck_attr_read(o->dset, "block_offsets", H5T_NATIVE_INT64, (hsize_t)nb + 1, boff) == 0 &&
        ck_attr_read(o->dset, "block_crc32", H5T_NATIVE_UINT32, (hsize_t)nb, bcrc) == 0 &&
        ck_attr_read(o->dset, "block_rank", H5T_NATIVE_INT32, (hsize_t)nb, brank) == 0) {
        int same = 1;
        for (i = 0, j = 0; i < P && same; i++) {
            if (info[4 * i + 1] == 0)
                continue;
            same = j < nb && info[4 * i] == boff[j] && info[4 * i] + info[4 * i + 1] == boff[j + 1];
            j++;
        }
        nr = j;
        if (same && nr == nb) {
            for (i = 0, j = 0; i < P; i++) {
                if (info[4 * i + 1] == 0)
                    continue;
                if ((uint32_t)info[4 * i + 2] != bcrc[j]) {
                    rc = DC_ERR(env, DC_ERR_CORRUPT,
                                "checkpoint '%s': object '%s' is corrupt: checksum mismatch in "
                                "block %d (elements [%lld, %lld), written by rank %d)",
                                ck->path, name, j, (long long)boff[j], (long long)boff[j + 1],
                                (int)brank[j]);
                    goto out;
                }
                j++;
            }
        }
    }
    rc = DC_ERR(env, DC_ERR_CORRUPT,
                "checkpoint '%s': object '%s' is corrupt: checksum mismatch (stored crc32 "
                "0x%08x, data 0x%08x)",
                ck->path, name, (unsigned)stored, (unsigned)total);
out:
    dci_free(boff);
    dci_free(bcrc);
    dci_free(brank);
    return rc;
}

int dci_ck_read_rows(dc_ckpt_t *ck, const char *name, const dci_ck_obj_t *o, hsize_t row0,
                     hsize_t nrows, void *buf, const char *func)
{
    dc_env_t *env = ck->hdr.env;
    int rc = DC_SUCCESS, i, mpirc;
    size_t esz = dci_ck_type_size(o->type);
    hsize_t rowlen = 1, start[4] = {0}, count[4], nloc;
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID, dxpl = H5I_INVALID_HID;
    int64_t mine[4], *info = NULL;
    double dummy;

    for (i = 1; i < o->ndims; i++)
        rowlen *= o->dims[i];
    nloc = nrows * rowlen;
    if (env->rank == 0)
        rc = dci_malloc(env, (size_t)env->size * 4 * sizeof(int64_t), (void **)&info);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        return rc;
    fspace = H5Dget_space(o->dset);
    mspace = H5Screate_simple(1, &nloc, NULL);
    dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (fspace < 0 || mspace < 0 || dxpl < 0 || ck_dxpl(dxpl) < 0)
        rc = CK_H5ERR(ck, DC_ERR_IO, "cannot set up the read of '%s'", name);
    else if (nloc > 0) {
        start[0] = row0;
        count[0] = nrows;
        for (i = 1; i < o->ndims; i++)
            count[i] = o->dims[i];
        if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
            rc = CK_H5ERR(ck, DC_ERR_IO, "cannot select rows of '%s'", name);
    } else if (H5Sselect_none(fspace) < 0 || H5Sselect_none(mspace) < 0)
        rc = CK_H5ERR(ck, DC_ERR_IO, "cannot select rows of '%s'", name);
    if (rc != DC_SUCCESS && fspace >= 0 && mspace >= 0) {
        H5Sselect_none(fspace);
        H5Sselect_none(mspace);
    }
    if (fspace >= 0 && mspace >= 0 && dxpl >= 0 && total_elems(o->dims, o->ndims) > 0 &&
        H5Dread(o->dset, dci_ck_type_h5(o->type), mspace, fspace, dxpl, nloc > 0 ? buf : &dummy) <
            0 &&
        rc == DC_SUCCESS)
        rc = CK_H5ERR(ck, DC_ERR_CORRUPT, "checkpoint '%s': object '%s' cannot be read", ck->path,
                      name);
    mine[0] = (int64_t)(row0 * rowlen);
    mine[1] = (int64_t)nloc;
    mine[2] = rc == DC_SUCCESS ? ck_crc(buf, (size_t)nloc * esz) : 0;
    mine[3] = rc;
    {
        double t = dci_prof_mpi_begin(env);
        mpirc = MPI_Gather(mine, 4, MPI_INT64_T, info, 4, MPI_INT64_T, 0, env->comm);
        dci_prof_coll_end(env, t, sizeof(mine),
                          env->rank == 0 ? (size_t)env->size * sizeof(mine) : 0);
    }
    if (mpirc != MPI_SUCCESS && rc == DC_SUCCESS)
        rc = DC_ERR_MPI_RC(env, mpirc, "MPI_Gather");
    if (rc == DC_SUCCESS && env->rank == 0) {
        int bad = 0;
        for (i = 0; i < env->size; i++)
            bad |= info[4 * i + 3] != DC_SUCCESS;
        if (!bad)
            rc = ck_verify(ck, name, o, info, esz);
    }
    if (dxpl >= 0)
        H5Pclose(dxpl);
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    dci_free(info);
    (void)func;
    return dci_agree(env, rc);
}
