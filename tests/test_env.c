/*
 * Tests of the env (dc_env.h) and error reporting (dc_error.h): creation on any communicator
 * (world, split halves, MPI_COMM_SELF, a freed application communicator), the private duplicate
 * and its error handler, options from params and DC_* variables (read on rank 0), agreement of
 * every rank on a failure, bad input on every entry point, and lifetime by reference.
 */
#include "dc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Saved value of an environment variable, restored after a test changes it. */
typedef struct {
    const char *name;
    char *value; /* NULL: was unset */
} saved_var_t;

static saved_var_t var_save(const char *name)
{
    saved_var_t s;
    const char *v = getenv(name);

    s.name = name;
    s.value = v ? strdup(v) : NULL;
    return s;
}

static void var_restore(saved_var_t *s)
{
    if (s->value) {
        setenv(s->name, s->value, 1);
        free(s->value);
        s->value = NULL;
    } else {
        unsetenv(s->name);
    }
}

/* dc_options_view of env into a string (caller frees). */
static char *options_text(const dc_env_t *env)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (f == NULL)
        return NULL;
    if (dc_options_view(env, f) != DC_SUCCESS) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    return buf;
}

/* 1 if the options text shows `name ... current "value"` on the line of name. */
static int options_show(const char *text, const char *name, const char *value)
{
    char want[96];
    const char *line;
    const char *eol;

    if (text == NULL)
        return 0;
    for (line = text; line != NULL && *line; line = eol ? eol + 1 : NULL) {
        eol = strchr(line, '\n');
        if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == ' ') {
            snprintf(want, sizeof(want), "current \"%s\"", value);
            return strstr(line, want) != NULL && (eol == NULL || strstr(line, want) < eol);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- allocation failure */

/*
 * Must be the first test of the binary: the library reads DC_TEST_FAIL_ALLOC once, at its first
 * allocation, and nothing before this test allocates. Rank 0 alone fails its first allocation
 * (the env itself in dc_env_create); every rank must return DC_ERR_NOMEM, and nobody hangs.
 */
static void test_first_alloc_fails_on_rank0(void)
{
    dc_env_t *env = (dc_env_t *)&env; /* sentinel: must stay untouched */
    dc_env_t *const sentinel = env;
    saved_var_t sv = var_save("DC_TEST_FAIL_ALLOC");
    int preset = sv.value != NULL, rc;

    if (!dct_all(!preset)) {
        /* the user runs a sweep of their own: this test would interfere */
        var_restore(&sv);
        return;
    }
    if (dct_rank == 0)
        setenv("DC_TEST_FAIL_ALLOC", "1", 1);
    rc = dc_env_create(MPI_COMM_WORLD, NULL, &env);
    var_restore(&sv);
    DCT_ASSERT_ALL(rc == DC_ERR_NOMEM);
    DCT_ASSERT_ALL(env == sentinel);
    DCT_ASSERT_ALL(strlen(dc_env_last_error(NULL)) > 0);
    if (rc == DC_SUCCESS && env != sentinel)
        dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- creation */

static void test_create_world(void)
{
    dc_env_t *env = dct_env_create();
    MPI_Comm c = MPI_COMM_NULL;
    int rank = -1, size = -1, cmp = MPI_UNEQUAL, rc;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    CU_ASSERT_EQUAL(dc_env_get_rank(env, &rank, &size), DC_SUCCESS);
    CU_ASSERT_EQUAL(rank, dct_rank);
    CU_ASSERT_EQUAL(size, dct_size);
    rank = size = -1;
    CU_ASSERT_EQUAL(dc_env_get_rank(env, &rank, NULL), DC_SUCCESS);
    CU_ASSERT_EQUAL(rank, dct_rank);
    CU_ASSERT_EQUAL(dc_env_get_rank(env, NULL, &size), DC_SUCCESS);
    CU_ASSERT_EQUAL(size, dct_size);

    /* a private duplicate: same group and order, different context */
    rc = dc_env_get_comm(env, &c);
    CU_ASSERT_EQUAL(rc, DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        MPI_Comm_compare(c, MPI_COMM_WORLD, &cmp);
        CU_ASSERT_EQUAL(cmp, MPI_CONGRUENT);
        CU_ASSERT(c != MPI_COMM_WORLD);
    }
    rc = dc_env_destroy(&env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT_PTR_NULL(env);
}

/* The error handler is set on the duplicate only; the application's stays as it was. */
static void test_errhandler_on_dup_only(void)
{
    MPI_Comm app, c = MPI_COMM_NULL;
    MPI_Errhandler before, after, lib;
    dc_env_t *env = NULL;
    int rc;

    MPI_Comm_dup(MPI_COMM_WORLD, &app);
    MPI_Comm_set_errhandler(app, MPI_ERRORS_ARE_FATAL);
    rc = dc_env_create(app, NULL, &env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        MPI_Comm_get_errhandler(app, &after);
        CU_ASSERT(after == MPI_ERRORS_ARE_FATAL);
        MPI_Errhandler_free(&after);
        CU_ASSERT_EQUAL(dc_env_get_comm(env, &c), DC_SUCCESS);
        if (c != MPI_COMM_NULL) {
            MPI_Comm_get_errhandler(c, &lib);
            CU_ASSERT(lib == MPI_ERRORS_RETURN);
            MPI_Errhandler_free(&lib);
        }
        dc_env_destroy(&env);
    }
    MPI_Comm_free(&app);

    /* same with MPI_ERRORS_RETURN chosen by the app on a communicator: it stays */
    MPI_Comm_dup(MPI_COMM_WORLD, &app);
    MPI_Comm_get_errhandler(app, &before);
    rc = dc_env_create(app, NULL, &env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    MPI_Comm_get_errhandler(app, &after);
    CU_ASSERT(before == after);
    MPI_Errhandler_free(&before);
    MPI_Errhandler_free(&after);
    dc_env_destroy(&env);
    MPI_Comm_free(&app);
}

/*
 * Messages of the application with the same tag on its own communicator do not mix with the
 * library's: both are in flight across a library collective, each arrives on its own comm.
 */
static void test_no_interference(void)
{
    MPI_Comm app, c = MPI_COMM_NULL;
    MPI_Request req[2];
    dc_env_t *env = NULL;
    int to = (dct_rank + 1) % dct_size, from = (dct_rank + dct_size - 1) % dct_size;
    int a_out = 1000 + dct_rank, l_out = 2000 + dct_rank, a_in = -1, l_in = -1, rc;
    const int tag = 7;

    MPI_Comm_dup(MPI_COMM_WORLD, &app);
    rc = dc_env_create(app, NULL, &env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc != DC_SUCCESS) {
        MPI_Comm_free(&app);
        return;
    }
    dc_env_get_comm(env, &c);
    MPI_Isend(&a_out, 1, MPI_INT, to, tag, app, &req[0]);
    MPI_Isend(&l_out, 1, MPI_INT, to, tag, c, &req[1]);
    /* a library collective while both messages are pending */
    CU_ASSERT_EQUAL(dc_env_set_repro(env, DC_REPRO_BINNED), DC_SUCCESS);
    /* receive in the "wrong" order on purpose: each comm must deliver its own message */
    MPI_Recv(&l_in, 1, MPI_INT, MPI_ANY_SOURCE, tag, c, MPI_STATUS_IGNORE);
    MPI_Recv(&a_in, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, app, MPI_STATUS_IGNORE);
    MPI_Waitall(2, req, MPI_STATUSES_IGNORE);
    CU_ASSERT_EQUAL(a_in, 1000 + from);
    CU_ASSERT_EQUAL(l_in, 2000 + from);
    CU_ASSERT_EQUAL(dc_env_set_repro(env, DC_REPRO_OFF), DC_SUCCESS);
    dc_env_destroy(&env);
    MPI_Comm_free(&app);
}

/* The communicator passed in may be freed right after dc_env_create (doc: not used after). */
static void test_app_comm_freed(void)
{
    MPI_Comm app;
    dc_env_t *env = NULL;
    dc_repro_t m = DC_REPRO_DEFAULT;
    int rc, size = -1;

    MPI_Comm_dup(MPI_COMM_WORLD, &app);
    rc = dc_env_create(app, NULL, &env);
    MPI_Comm_free(&app);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc != DC_SUCCESS)
        return;
    CU_ASSERT_EQUAL(dc_env_set_repro(env, DC_REPRO_EXACT), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
    CU_ASSERT_EQUAL(m, DC_REPRO_EXACT);
    CU_ASSERT_EQUAL(dc_env_get_rank(env, NULL, &size), DC_SUCCESS);
    CU_ASSERT_EQUAL(size, dct_size);
    dc_env_destroy(&env);
}

/* Two envs on the even and odd halves, and one on the world, all alive at once. */
static void test_split_envs(void)
{
    MPI_Comm half;
    dc_env_t *world = NULL, *env = NULL;
    dc_layout_t *l = NULL;
    int color = dct_rank % 2, hrank, hsize, rank = -1, size = -1, rc, cmp = MPI_UNEQUAL;
    dc_repro_t m = DC_REPRO_DEFAULT, mw = DC_REPRO_DEFAULT;
    const dc_repro_t mine = color ? DC_REPRO_EXACT : DC_REPRO_BINNED;
    const dc_gidx_t n = 11;
    MPI_Comm c = MPI_COMM_NULL;

    MPI_Comm_split(MPI_COMM_WORLD, color, dct_rank, &half);
    MPI_Comm_rank(half, &hrank);
    MPI_Comm_size(half, &hsize);
    world = dct_env_create();
    rc = dc_env_create(half, NULL, &env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && world != NULL);
    if (rc != DC_SUCCESS || world == NULL) {
        dc_env_destroy(&env);
        dc_env_destroy(&world);
        MPI_Comm_free(&half);
        return;
    }
    CU_ASSERT_EQUAL(dc_env_get_rank(env, &rank, &size), DC_SUCCESS);
    CU_ASSERT_EQUAL(rank, hrank);
    CU_ASSERT_EQUAL(size, hsize);
    CU_ASSERT_EQUAL(dc_env_get_comm(env, &c), DC_SUCCESS);
    MPI_Comm_compare(c, half, &cmp);
    CU_ASSERT_EQUAL(cmp, MPI_CONGRUENT);

    /* each half agrees within itself on its own value: no cross-talk between the envs */
    CU_ASSERT_EQUAL(dc_env_set_repro(env, mine), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
    CU_ASSERT_EQUAL(m, mine);
    CU_ASSERT_EQUAL(dc_env_get_repro(world, &mw), DC_SUCCESS);
    CU_ASSERT_EQUAL(mw, DC_REPRO_OFF);

    /* a layout on the half: block counts of n over hsize ranks (serial reference) */
    rc = dc_layout_create_block(env, n, &l);
    CU_ASSERT_EQUAL(rc, DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        size_t nl = 0;
        size_t want = (size_t)(n / hsize + (hrank < n % hsize ? 1 : 0));
        CU_ASSERT_EQUAL(dc_layout_get_local_size(l, &nl), DC_SUCCESS);
        CU_ASSERT_EQUAL(nl, want);
        dc_layout_destroy(&l);
    }
    /* the world env still works while the halves exist */
    CU_ASSERT_EQUAL(dc_env_set_repro(world, DC_REPRO_BINNED), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_env_destroy(&env), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_env_destroy(&world), DC_SUCCESS);
    MPI_Comm_free(&half);
}

/* One env per process on MPI_COMM_SELF: each agrees with itself only. */
static void test_comm_self(void)
{
    dc_env_t *env = NULL;
    int rank = -1, size = -1, rc;
    dc_repro_t m = DC_REPRO_DEFAULT;
    const dc_repro_t mine = (dc_repro_t)(dct_rank % 3);

    rc = dc_env_create(MPI_COMM_SELF, NULL, &env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc != DC_SUCCESS)
        return;
    CU_ASSERT_EQUAL(dc_env_get_rank(env, &rank, &size), DC_SUCCESS);
    CU_ASSERT_EQUAL(rank, 0);
    CU_ASSERT_EQUAL(size, 1);
    /* differs across processes, but each env has one rank: must succeed */
    CU_ASSERT_EQUAL(dc_env_set_repro(env, mine), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
    CU_ASSERT_EQUAL(m, mine);
    dc_env_destroy(&env);
}

static void test_create_bad_args(void)
{
    dc_env_t *env = (dc_env_t *)&env;
    dc_env_t *const sentinel = env;
    int rc;

    rc = dc_env_create(MPI_COMM_NULL, NULL, &env);
    DCT_ASSERT_ALL(rc == DC_ERR_COMM);
    CU_ASSERT_PTR_EQUAL(env, sentinel);
    CU_ASSERT(strlen(dc_env_last_error(NULL)) > 0);

    /* env_p NULL on every rank: DC_ERR_ARG everywhere (documented), no crash */
    rc = dc_env_create(MPI_COMM_WORLD, NULL, NULL);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(NULL), "env_p") != NULL);
    {
        /* the message is kept as it was, not wrapped in a second "func (file:line): code:" */
        const char *msg = dc_env_last_error(NULL), *code = dc_strerror(DC_ERR_ARG);
        const char *first = strstr(msg, code);

        CU_ASSERT(first != NULL && strstr(first + strlen(code), code) == NULL);
    }

    /* env_p NULL on the last rank only: the others must not keep an env */
    if (dct_size > 1) {
        dc_env_t *e = NULL;
        rc = dc_env_create(MPI_COMM_WORLD, NULL, dct_rank == dct_size - 1 ? NULL : &e);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        CU_ASSERT_PTR_NULL(e);
        if (e != NULL)
            dc_env_destroy(&e);
    }
}

/* ---------------------------------------------------------------- options */

/* params with the field bit set win over the variable; without the bit the variable wins. */
static void test_params_override_env(void)
{
    saved_var_t sv = var_save("DC_REPRO");
    dc_env_params_t p;
    dc_env_t *env = NULL;
    dc_repro_t m = DC_REPRO_DEFAULT;

    setenv("DC_REPRO", "binned", 1);
    memset(&p, 0, sizeof(p));
    p.field_mask = DC_ENV_PARAM_REPRO;
    p.repro = DC_REPRO_EXACT;
    env = dct_env_create_params(&p);
    DCT_ASSERT_ALL(env != NULL);
    if (env) {
        CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
        CU_ASSERT_EQUAL(m, DC_REPRO_EXACT);
        dc_env_destroy(&env);
    }
    /* same struct, bit cleared: the field is ignored */
    p.field_mask = 0;
    env = dct_env_create_params(&p);
    DCT_ASSERT_ALL(env != NULL);
    if (env) {
        CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
        CU_ASSERT_EQUAL(m, DC_REPRO_BINNED);
        dc_env_destroy(&env);
    }
    /* params NULL: the variable, then the default */
    env = dct_env_create();
    if (env) {
        CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
        CU_ASSERT_EQUAL(m, DC_REPRO_BINNED);
        dc_env_destroy(&env);
    }
    unsetenv("DC_REPRO");
    env = dct_env_create();
    if (env) {
        CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
        CU_ASSERT_EQUAL(m, DC_REPRO_OFF);
        dc_env_destroy(&env);
    }
    var_restore(&sv);
}

/* Rank 0 reads the environment and broadcasts: a variable set on rank 0 only reaches all. */
static void test_env_var_rank0_only(void)
{
    saved_var_t sv = var_save("DC_REPRO"), sa = var_save("DC_ALLREDUCE");
    dc_env_t *env = NULL;
    dc_repro_t m = DC_REPRO_DEFAULT;
    char *text;

    if (dct_rank == 0) {
        setenv("DC_REPRO", "exact", 1);
        setenv("DC_ALLREDUCE", "node", 1);
    } else {
        /* and what the other ranks hold is ignored, even an invalid value */
        setenv("DC_REPRO", "nonsense", 1);
        unsetenv("DC_ALLREDUCE");
    }
    env = dct_env_create();
    DCT_ASSERT_ALL(env != NULL);
    if (env) {
        CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
        CU_ASSERT_EQUAL(m, DC_REPRO_EXACT);
        text = options_text(env);
        CU_ASSERT_PTR_NOT_NULL(text);
        CU_ASSERT(options_show(text, "DC_REPRO", "exact"));
        CU_ASSERT(options_show(text, "DC_ALLREDUCE", "node"));
        free(text);
        dc_env_destroy(&env);
    }
    var_restore(&sv);
    var_restore(&sa);
}

/* An invalid value fails on every rank, with a message naming the variable. */
static void test_env_var_invalid(void)
{
    static const char *const cases[][2] = {
        {"DC_REPRO", "bogus"},    {"DC_REPRO", "2"},         {"DC_BIND", "sideways"},
        {"DC_BLAS_THREADS", "x"}, {"DC_BLAS_THREADS", "-3"}, {"DC_DEBUG", "maybe"},
        {"DC_ALLREDUCE", "ring"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        saved_var_t sv = var_save(cases[i][0]);
        dc_env_t *env = (dc_env_t *)&env;
        dc_env_t *const sentinel = env;
        const char *msg;
        int rc;

        /* on rank 0 only: the others must fail too */
        if (dct_rank == 0)
            setenv(cases[i][0], cases[i][1], 1);
        else
            unsetenv(cases[i][0]);
        rc = dc_env_create(MPI_COMM_WORLD, NULL, &env);
        var_restore(&sv);
        msg = dc_env_last_error(NULL);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        CU_ASSERT_PTR_EQUAL(env, sentinel);
        CU_ASSERT(strstr(msg, cases[i][0]) != NULL);
        CU_ASSERT(strstr(msg, "dc_env_create") != NULL);
        if (strstr(msg, cases[i][0]) == NULL)
            fprintf(stderr, "[rank %d] message for %s=%s: \"%s\"\n", dct_rank, cases[i][0],
                    cases[i][1], msg);
        if (rc == DC_SUCCESS && env != sentinel)
            dc_env_destroy(&env);
    }
}

/* An invalid enum value's message lists the allowed values, on every rank. */
static void test_env_var_enum_list(void)
{
    static const char *const cases[][3] = {
        {"DC_REPRO", "fast", "DC_REPRO=\"fast\": not one of off, binned, exact"},
        {"DC_BIND", "tight", "DC_BIND=\"tight\": not one of auto, compact, spread, none"},
        {"DC_ALLREDUCE", "ring", "DC_ALLREDUCE=\"ring\": not one of flat, node"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        saved_var_t sv = var_save(cases[i][0]);
        dc_env_t *env = NULL;
        const char *msg;
        int rc;

        setenv(cases[i][0], cases[i][1], 1);
        rc = dc_env_create(MPI_COMM_WORLD, NULL, &env);
        var_restore(&sv);
        msg = dc_env_last_error(NULL);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        CU_ASSERT(strstr(msg, cases[i][2]) != NULL);
        if (strstr(msg, cases[i][2]) == NULL)
            fprintf(stderr, "[rank %d] message: \"%s\", expected \"%s\" in it\n", dct_rank, msg,
                    cases[i][2]);
        if (rc == DC_SUCCESS)
            dc_env_destroy(&env);
    }
}

/* dc_env_create with this rank's stderr captured: the text written to it (caller frees). */
static char *create_capturing_stderr(dc_env_t **env_p, int *rc_p)
{
    FILE *tmp = tmpfile();
    int saved = -1;
    char *text = NULL;
    long len;

    fflush(stderr);
    if (tmp != NULL) {
        saved = dup(2);
        if (saved >= 0)
            dup2(fileno(tmp), 2);
    }
    *rc_p = dc_env_create(MPI_COMM_WORLD, NULL, env_p); /* collective: every rank calls it */
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
    }
    if (tmp == NULL)
        return NULL;
    len = ftell(tmp);
    text = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
    if (text != NULL && len > 0) {
        rewind(tmp);
        if (fread(text, 1, (size_t)len, tmp) != (size_t)len)
            text[0] = '\0';
    }
    fclose(tmp);
    return text;
}

/* Occurrences of needle in text. */
static int count_of(const char *text, const char *needle)
{
    int n = 0;

    while (text != NULL && (text = strstr(text, needle)) != NULL) {
        n++;
        text += strlen(needle);
    }
    return n;
}

/* One create with the variables set as given; returns rank 0's (or this rank's) stderr. */
static char *create_with(int *ok_p)
{
    dc_env_t *env = NULL;
    int rc = DC_ERR_INTERNAL;
    char *text = create_capturing_stderr(&env, &rc);

    *ok_p = rc == DC_SUCCESS && text != NULL;
    if (env != NULL)
        dc_env_destroy(&env);
    return text;
}

/*
 * An unknown DC_* variable (a typo) gets one warning on rank 0's stderr naming it and the
 * closest option, once per process; the project's own variables (DC_NP, DC_TEST_*) never;
 * DC_WARN_UNKNOWN=0 silences it; a name far from every option gets no suggestion.
 */
static void test_unknown_var_warning(void)
{
    static const char *const names[] = {
        "DC_PROFIL",      "DC_REPROO", "DC_ZQXWVKJYUT", "DC_NP", "DC_TEST_SOMETHING_ELSE",
        "DC_WARN_UNKNOWN"};
    saved_var_t sv[6];
    const char *w_profil = "unknown environment variable DC_PROFIL (did you mean DC_PROFILE?)";
    const char *w_reproo = "unknown environment variable DC_REPROO (did you mean DC_REPRO?)";
    const char *w_far = "unknown environment variable DC_ZQXWVKJYUT (not a libdcompute option";
    char *t;
    int i, ok, me0 = dct_rank == 0;

    for (i = 0; i < 6; i++)
        sv[i] = var_save(names[i]);
    /* 1. a typo, next to variables of the project's scripts */
    setenv("DC_PROFIL", "1", 1);
    setenv("DC_NP", "3", 1);
    setenv("DC_TEST_SOMETHING_ELSE", "x", 1);
    unsetenv("DC_WARN_UNKNOWN");
    t = create_with(&ok);
    DCT_ASSERT_ALL(ok);
    CU_ASSERT_EQUAL(count_of(t, w_profil), me0 ? 1 : 0);
    CU_ASSERT_EQUAL(count_of(t, "DC_NP"), 0);
    CU_ASSERT_EQUAL(count_of(t, "DC_TEST_SOMETHING_ELSE"), 0);
    if (me0 && count_of(t, w_profil) != 1)
        fprintf(stderr, "rank 0 stderr at create: \"%s\"\n", t ? t : "(none)");
    free(t);
    /* 2. the same typo again in this process: already said */
    t = create_with(&ok);
    DCT_ASSERT_ALL(ok);
    CU_ASSERT_EQUAL(count_of(t, "DC_PROFIL"), 0);
    free(t);
    /* 3. silenced by DC_WARN_UNKNOWN=0 (itself an option: no warning about it either) */
    setenv("DC_REPROO", "binned", 1);
    setenv("DC_WARN_UNKNOWN", "0", 1);
    t = create_with(&ok);
    DCT_ASSERT_ALL(ok);
    CU_ASSERT_EQUAL(count_of(t, "DC_REPROO"), 0);
    CU_ASSERT_EQUAL(count_of(t, "DC_WARN_UNKNOWN"), 0);
    free(t);
    /* 4. ... and said once the option allows it again; a far name without a suggestion */
    unsetenv("DC_WARN_UNKNOWN");
    setenv("DC_ZQXWVKJYUT", "1", 1);
    t = create_with(&ok);
    DCT_ASSERT_ALL(ok);
    CU_ASSERT_EQUAL(count_of(t, w_reproo), me0 ? 1 : 0);
    CU_ASSERT_EQUAL(count_of(t, w_far), me0 ? 1 : 0);
    CU_ASSERT_EQUAL(count_of(t, "DC_ZQXWVKJYUT (did you mean"), 0);
    free(t);
    unsetenv("DC_PROFIL");
    unsetenv("DC_REPROO");
    unsetenv("DC_ZQXWVKJYUT");
    for (i = 0; i < 6; i++)
        var_restore(&sv[i]);
}

/* Values outside the enums: DC_ERR_ARG on all ranks, also when only one rank passes them. */
static void test_params_invalid(void)
{
    dc_env_params_t p;
    int k, one;

    for (one = 0; one <= (dct_size > 1); one++) {
        for (k = 0; k < 5; k++) {
            dc_env_t *env = (dc_env_t *)&env;
            dc_env_t *const sentinel = env;
            int bad = !one || dct_rank == dct_size - 1, rc;

            memset(&p, 0, sizeof(p));
            if (bad) {
                switch (k) {
                case 0:
                    p.field_mask = DC_ENV_PARAM_BIND;
                    p.bind = (dc_bind_t)99;
                    break;
                case 1:
                    p.field_mask = DC_ENV_PARAM_REPRO;
                    p.repro = (dc_repro_t)7;
                    break;
                case 2:
                    p.field_mask = DC_ENV_PARAM_REPRO;
                    p.repro = DC_REPRO_DEFAULT;
                    break;
                case 3:
                    p.field_mask = DC_ENV_PARAM_ALLREDUCE;
                    p.allreduce = (dc_allreduce_algo_t)-3;
                    break;
                default:
                    p.field_mask = DC_ENV_PARAM_BLAS_THREADS;
                    p.blas_threads = -1;
                    break;
                }
            }
            rc = dc_env_create(MPI_COMM_WORLD, &p, &env);
            DCT_ASSERT_ALL(rc == DC_ERR_ARG);
            CU_ASSERT_PTR_EQUAL(env, sentinel);
            CU_ASSERT(strlen(dc_env_last_error(NULL)) > 0);
            if (rc == DC_SUCCESS && env != sentinel)
                dc_env_destroy(&env);
        }
    }
    /* the same bad values with their bits cleared are ignored */
    memset(&p, 0, sizeof(p));
    p.bind = (dc_bind_t)99;
    p.repro = (dc_repro_t)7;
    p.blas_threads = -1;
    p.field_mask = DC_ENV_PARAM_DEBUG;
    p.debug = 1;
    {
        dc_env_t *env = dct_env_create_params(&p);
        DCT_ASSERT_ALL(env != NULL);
        dc_env_destroy(&env);
    }
}

/* Valid params that differ on one rank: the same error on all ranks. */
static void test_params_differ(void)
{
    dc_env_params_t p;
    int k;

    if (dct_size == 1)
        return; /* nothing can differ */
    for (k = 0; k < 4; k++) {
        dc_env_t *env = (dc_env_t *)&env;
        dc_env_t *const sentinel = env;
        int last = dct_rank == dct_size - 1, rc;

        memset(&p, 0, sizeof(p));
        switch (k) {
        case 0:
            p.field_mask = DC_ENV_PARAM_REPRO;
            p.repro = last ? DC_REPRO_EXACT : DC_REPRO_OFF;
            break;
        case 1:
            p.field_mask = DC_ENV_PARAM_DEBUG;
            p.debug = last;
            break;
        case 2:
            p.field_mask = DC_ENV_PARAM_ALLREDUCE;
            p.allreduce = last ? DC_ALLREDUCE_NODE : DC_ALLREDUCE_FLAT;
            break;
        default:
            /* the bit set on one rank only, with a value other than the default */
            p.field_mask = last ? DC_ENV_PARAM_PROFILE : 0;
            p.profile = 1;
            break;
        }
        rc = dc_env_create(MPI_COMM_WORLD, &p, &env);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        CU_ASSERT_PTR_EQUAL(env, sentinel);
        CU_ASSERT(strlen(dc_env_last_error(NULL)) > 0);
        if (rc == DC_SUCCESS && env != sentinel)
            dc_env_destroy(&env);
    }
}

/* ---------------------------------------------------------------- setters */

static void test_set_repro_debug(void)
{
    dc_env_t *env = dct_env_create();
    dc_repro_t m = DC_REPRO_DEFAULT;
    int rc;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
    CU_ASSERT_EQUAL(m, DC_REPRO_OFF);
    for (int k = DC_REPRO_OFF; k <= DC_REPRO_EXACT; k++) {
        rc = dc_env_set_repro(env, (dc_repro_t)k);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
        CU_ASSERT_EQUAL(m, (dc_repro_t)k);
    }
    /* invalid modes fail everywhere and leave the mode as it was */
    rc = dc_env_set_repro(env, (dc_repro_t)3);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    rc = dc_env_set_repro(env, DC_REPRO_DEFAULT);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(env), "dc_env_set_repro") != NULL);
    /* invalid on one rank only */
    rc = dc_env_set_repro(env, dct_rank == dct_size - 1 ? (dc_repro_t)42 : DC_REPRO_OFF);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
    CU_ASSERT_EQUAL(m, DC_REPRO_EXACT);
    if (dct_size > 1) {
        /* valid but different on one rank */
        rc = dc_env_set_repro(env, dct_rank == dct_size - 1 ? DC_REPRO_BINNED : DC_REPRO_OFF);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        CU_ASSERT(strlen(dc_env_last_error(env)) > 0);
        CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
        CU_ASSERT_EQUAL(m, DC_REPRO_EXACT);
    }

    rc = dc_env_set_debug(env, 1);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    rc = dc_env_set_debug(env, 0);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    /* nonzero means on: 1 on some ranks and 5 on others is the same request */
    rc = dc_env_set_debug(env, dct_rank % 2 ? 5 : 1);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (dct_size > 1) {
        rc = dc_env_set_debug(env, dct_rank == dct_size - 1);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        CU_ASSERT(strlen(dc_env_last_error(env)) > 0);
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- bad input, errors */

/* NULL handles and NULL outputs on every entry point of dc_env.h and dc_error.h. */
static void test_null_args(void)
{
    dc_env_t *env = dct_env_create();
    dc_env_t *nenv = NULL;
    MPI_Comm c;
    dc_placement_t pl;
    dc_repro_t m;
    int r, s;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    /* NULL env: fails at once on every rank (all pass NULL), message in the no-env buffer */
    CU_ASSERT_EQUAL(dc_env_get_comm(NULL, &c), DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(NULL), "dc_env_get_comm") != NULL);
    CU_ASSERT_EQUAL(dc_env_get_rank(NULL, &r, &s), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_env_get_placement(NULL, &pl), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_env_set_repro(NULL, DC_REPRO_OFF), DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(NULL), "dc_env_set_repro") != NULL);
    CU_ASSERT_EQUAL(dc_env_get_repro(NULL, &m), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_env_set_debug(NULL, 1), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_env_view(NULL, NULL), DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(NULL), "dc_env_view") != NULL);
    CU_ASSERT_PTR_NOT_NULL(dc_env_last_error(NULL));
    /* destroy of NULL and of *p == NULL: no-ops */
    CU_ASSERT_EQUAL(dc_env_destroy(NULL), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_env_destroy(&nenv), DC_SUCCESS);
    CU_ASSERT_PTR_NULL(nenv);

    /* dc_options_view with a NULL env prints the defaults, with no "current" column */
    f = open_memstream(&buf, &len);
    if (f) {
        CU_ASSERT_EQUAL(dc_options_view(NULL, f), DC_SUCCESS);
        fclose(f);
        CU_ASSERT(buf != NULL && strstr(buf, "DC_REPRO") != NULL);
        CU_ASSERT(buf != NULL && strstr(buf, "current") == NULL);
        free(buf);
    }

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    /* NULL outputs: DC_ERR_ARG, message in the env naming the function */
    CU_ASSERT_EQUAL(dc_env_get_comm(env, NULL), DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(env), "dc_env_get_comm") != NULL);
    CU_ASSERT_EQUAL(dc_env_get_rank(env, NULL, NULL), DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(env), "dc_env_get_rank") != NULL);
    CU_ASSERT_EQUAL(dc_env_get_placement(env, NULL), DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(env), "dc_env_get_placement") != NULL);
    CU_ASSERT_EQUAL(dc_env_get_repro(env, NULL), DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(env), "dc_env_get_repro") != NULL);
    /* a failure is no state: the env keeps working */
    CU_ASSERT_EQUAL(dc_env_get_repro(env, &m), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_env_get_placement(env, &pl), DC_SUCCESS);
    /* f NULL means stdout for the views (collective) */
    fflush(stdout);
    CU_ASSERT_EQUAL(dc_options_view(env, NULL), DC_SUCCESS);
    DCT_ASSERT_ALL(dc_env_view(env, NULL) == DC_SUCCESS);
    fflush(stdout);
    dc_env_destroy(&env);
}

static void test_env_view(void)
{
    dc_env_t *env = dct_env_create();
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    int rc;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    f = open_memstream(&buf, &len);
    rc = dc_env_view(env, f);
    if (f)
        fclose(f);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    /* the table is printed on rank 0 only: one line per rank at least */
    if (dct_rank == 0) {
        int lines = 0;
        for (size_t i = 0; buf && i < len; i++)
            lines += buf[i] == '\n';
        CU_ASSERT(lines >= dct_size);
    } else {
        CU_ASSERT_EQUAL(len, 0);
    }
    free(buf);
    dc_env_destroy(&env);
}

static void test_strerror(void)
{
    static const int codes[] = {
        DC_SUCCESS,  DC_INPROGRESS, DC_ERR_ARG,      DC_ERR_NOMEM, DC_ERR_STATE,
        DC_ERR_SIZE, DC_ERR_COMM,   DC_ERR_MPI,      DC_ERR_TOPO,  DC_ERR_BLAS,
        DC_ERR_IO,   DC_ERR_NOTSUP, DC_ERR_INTERNAL,
    };
    const size_t n = sizeof(codes) / sizeof(codes[0]);
    const char *unknown = dc_strerror(-12345);
    size_t i, j;

    CU_ASSERT_PTR_NOT_NULL(unknown);
    CU_ASSERT_PTR_NOT_NULL(dc_strerror(12345));
    for (i = 0; i < n; i++) {
        const char *s = dc_strerror(codes[i]);
        CU_ASSERT(s != NULL && s[0] != '\0');
        if (s == NULL)
            continue;
        CU_ASSERT(unknown == NULL || strcmp(s, unknown) != 0);
        for (j = 0; j < i; j++) {
            const char *t = dc_strerror(codes[j]);
            CU_ASSERT(t == NULL || strcmp(s, t) != 0);
        }
    }
}

/* ---------------------------------------------------------------- lifetime */

/* A layout keeps its env alive after the caller destroys the env handle. */
static void test_objects_keep_env(void)
{
    dc_env_t *env = dct_env_create(), *lenv = NULL;
    dc_layout_t *l = NULL;
    const dc_gidx_t n = 13;
    size_t nl = 0, want = (size_t)(n / dct_size + (dct_rank < n % dct_size ? 1 : 0));
    int rc, size = -1;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    rc = dc_layout_create_block(env, n, &l);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_env_destroy(&env), DC_SUCCESS);
    CU_ASSERT_PTR_NULL(env);
    if (rc != DC_SUCCESS)
        return;
    CU_ASSERT_EQUAL(dc_layout_get_local_size(l, &nl), DC_SUCCESS);
    CU_ASSERT_EQUAL(nl, want);
    CU_ASSERT_EQUAL(dc_layout_get_env(l, &lenv), DC_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL(lenv);
    if (lenv != NULL) {
        CU_ASSERT_EQUAL(dc_env_get_rank(lenv, NULL, &size), DC_SUCCESS);
        CU_ASSERT_EQUAL(size, dct_size);
    }
    /* a second layout on the living env is still possible (collective on its comm) */
    if (lenv != NULL) {
        dc_layout_t *l2 = NULL;
        rc = dc_layout_create_cyclic(lenv, n, &l2);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        dc_layout_destroy(&l2);
    }
    CU_ASSERT_EQUAL(dc_layout_destroy(&l), DC_SUCCESS);
    CU_ASSERT_PTR_NULL(l);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("env", NULL, NULL);

    /* first: see the comment of the test */
    CU_add_test(s, "first allocation fails on rank 0", test_first_alloc_fails_on_rank0);
    CU_add_test(s, "create on MPI_COMM_WORLD", test_create_world);
    CU_add_test(s, "error handler on the duplicate only", test_errhandler_on_dup_only);
    CU_add_test(s, "no interference with the application", test_no_interference);
    CU_add_test(s, "application comm freed after create", test_app_comm_freed);
    CU_add_test(s, "envs on split communicators", test_split_envs);
    CU_add_test(s, "env on MPI_COMM_SELF", test_comm_self);
    CU_add_test(s, "create: bad arguments", test_create_bad_args);
    CU_add_test(s, "params override DC_* variables", test_params_override_env);
    CU_add_test(s, "variables read on rank 0", test_env_var_rank0_only);
    CU_add_test(s, "invalid variables fail on all ranks", test_env_var_invalid);
    CU_add_test(s, "invalid enum value: the allowed values", test_env_var_enum_list);
    CU_add_test(s, "unknown DC_* variable: one warning", test_unknown_var_warning);
    CU_add_test(s, "invalid params", test_params_invalid);
    CU_add_test(s, "params differing on one rank", test_params_differ);
    CU_add_test(s, "set/get repro, set debug", test_set_repro_debug);
    CU_add_test(s, "NULL handles and outputs", test_null_args);
    CU_add_test(s, "view", test_env_view);
    CU_add_test(s, "strerror", test_strerror);
    CU_add_test(s, "objects keep the env alive", test_objects_keep_env);
}
