/* Test runner: runs every registered test (or those whose "group.name"
 * contains argv[1]), then checks that every op of the table has a test and
 * every differentiable op a gradient test (group grad_<op>). */
#include "harness.h"
#include "grad_pending.h"

#include <stdarg.h>
#include <stdlib.h>

typedef struct {
    const char *group, *name, *file;
    ct_test_fn fn;
} test_case;

static test_case *tests;
static int ntests, captests;
static int current_failed;

void ct_test_register(const char *group, const char *name, ct_test_fn fn, const char *file) {
    if (ntests == captests) {
        captests = captests ? captests * 2 : 256;
        tests = realloc(tests, sizeof *tests * (size_t)captests);
    }
    tests[ntests++] = (test_case){group, name, file, fn};
}

void ct_test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stdout, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    current_failed = 1;
}

int ct_test_failed(void) { return current_failed; }

ct_tensor *tt_tensor(const double *vals, const int64_t *shape, int ndim, ct_dtype dt) {
    ct_tensor *t = ct_empty(shape, ndim, dt);
    if (!t) return NULL;
    for (int64_t i = 0; i < t->numel; i++) {
        char *p = (char *)ct_data_ptr(t) + i * (int64_t)ct_dtype_size(dt);
        switch (dt) {
        case CT_FLOAT32: *(float *)p = (float)vals[i]; break;
        case CT_FLOAT64: *(double *)p = vals[i]; break;
        case CT_INT64: *(int64_t *)p = (int64_t)vals[i]; break;
        case CT_INT32: *(int32_t *)p = (int32_t)vals[i]; break;
        case CT_INT16: *(int16_t *)p = (int16_t)vals[i]; break;
        case CT_INT8: *(int8_t *)p = (int8_t)vals[i]; break;
        case CT_UINT8: *(uint8_t *)p = (uint8_t)vals[i]; break;
        case CT_BOOL: *(bool *)p = vals[i] != 0; break;
        case CT_FLOAT16: *(uint16_t *)p = ct_float_to_half((float)vals[i]); break;
        case CT_BFLOAT16: *(uint16_t *)p = ct_float_to_bf16((float)vals[i]); break;
        default: break;
        }
    }
    return t;
}

ct_tensor *tt_rand(const int64_t *shape, int ndim, ct_dtype dt, double lo, double hi,
                   unsigned seed) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    for (int64_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0;
        v[i] = lo + (hi - lo) * u;
        if (!ct_dtype_is_floating(dt)) v[i] = floor(v[i]);
    }
    ct_tensor *t = tt_tensor(v, shape, ndim, dt);
    free(v);
    return t;
}

double *tt_values(const ct_tensor *t) {
    double *v = malloc(sizeof(double) * (size_t)(t->numel ? t->numel : 1));
    for (int64_t i = 0; i < t->numel; i++) v[i] = ct_item_at(t, i);
    return v;
}

int tt_expect(const char *file, int line, const ct_tensor *t, const int64_t *shape, int ndim,
              const double *expected, double tol) {
    if (!t) {
        ct_test_fail(file, line, "tensor is NULL: %s", ct_last_error());
        return -1;
    }
    if (t->ndim != ndim) {
        ct_test_fail(file, line, "ndim %d, expected %d", t->ndim, ndim);
        return -1;
    }
    for (int i = 0; i < ndim; i++)
        if (t->sizes[i] != shape[i]) {
            char a[160], b[160];
            ct_test_fail(file, line, "shape %s, expected %s", ct_shape_str(t->sizes, t->ndim, a, 160),
                         ct_shape_str(shape, ndim, b, 160));
            return -1;
        }
    for (int64_t i = 0; i < t->numel; i++) {
        double a = ct_item_at(t, i), b = expected[i];
        if (isnan(a) && isnan(b)) continue;
        if (a == b) continue;
        if (!(fabs(a - b) <= tol * (1 + fabs(b)))) {
            ct_test_fail(file, line, "element %lld is %.17g, expected %.17g", (long long)i, a, b);
            return -1;
        }
    }
    return 0;
}

static int has_group(const char *g) {
    for (int i = 0; i < ntests; i++)
        if (strcmp(tests[i].group, g) == 0) return 1;
    return 0;
}

/* filter: comma-separated substrings, any of which selects a test */
static int matches(const char *full, const char *filter) {
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", filter);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
        if (strstr(full, tok)) return 1;
    return 0;
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        char full[256];
        snprintf(full, sizeof full, "%s.%s", tests[i].group, tests[i].name);
        if (filter && !matches(full, filter)) continue;
        current_failed = 0;
        ct_clear_error();
        ct_scope s = ct_scope_begin();
        tests[i].fn();
        ct_scope_end(s);
        if (current_failed) {
            printf("FAIL %s\n", full);
            failed++;
        } else {
            if (getenv("CT_TEST_VERBOSE")) printf("ok   %s\n", full);
            passed++;
        }
    }
    /* Op coverage: every op of the table has a test group named after it. */
    if (!filter) {
        for (int i = 0; i < CT_NUM_OPS; i++) {
            if (!has_group(ct_op_table[i].name)) {
                printf("FAIL op_coverage: op '%s' has no TEST(%s, ...)\n", ct_op_table[i].name,
                       ct_op_table[i].name);
                failed++;
            }
        }
        /* Gradient coverage: every differentiable op has a TEST(grad_<op>, ...)
         * (gradcheck/gradgradcheck of its derivative). */
        for (int i = 0; i < CT_NUM_OPS; i++) {
            char g[160];
            snprintf(g, sizeof g, "grad_%s", ct_op_table[i].name);
            bool pending = false;
            for (size_t k = 0; k < sizeof grad_pending / sizeof *grad_pending; k++)
                pending |= strcmp(grad_pending[k], ct_op_table[i].name) == 0;
            bool tested = has_group(g);
            if (pending && tested) {
                printf("FAIL grad_coverage: '%s' is tested now: remove it from grad_pending.h\n",
                       ct_op_table[i].name);
                failed++;
            } else if (pending) {
                printf("PENDING grad_coverage: derivative of '%s' not implemented or untested\n",
                       ct_op_table[i].name);
            } else if ((ct_op_table[i].flags & CT_F_DIFF) && !tested) {
                printf("FAIL grad_coverage: differentiable op '%s' has no TEST(%s, ...)\n",
                       ct_op_table[i].name, g);
                failed++;
            }
        }
        passed++; /* the coverage checks themselves */
    }
    free(tests);
    printf("C tests: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
