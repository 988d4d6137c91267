/* Thread-local error state: errors are values, never prints or aborts. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char err_msg[2048];
static _Thread_local ct_error_kind err_kind;

const char *ct_last_error(void) { return err_msg; }
ct_error_kind ct_last_error_kind(void) { return err_kind; }
void ct_clear_error(void) {
    err_msg[0] = 0;
    err_kind = CT_OK;
}

void ct_set_error(ct_error_kind kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    err_kind = kind;
}

char *ct_shape_str(const int64_t *sizes, int ndim, char *buf, size_t len) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, len - n, "[");
    for (int i = 0; i < ndim && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, i ? ", %lld" : "%lld", (long long)sizes[i]);
    if (n < len) snprintf(buf + n, len - n, "]");
    return buf;
}

const char *ct__shp(const ct_tensor *t) {
    static _Thread_local char ring[8][160];
    static _Thread_local unsigned next;
    char *b = ring[next++ & 7];
    if (!t) return "[null]";
    return ct_shape_str(t->sizes, t->ndim, b, 160);
}

int ct_wrap_dim(const char *op, int dim, int ndim) {
    int n = ndim > 0 ? ndim : 1; /* 0-d tensors accept dim 0 and -1 */
    if (dim < -n || dim >= n) {
        ct_set_error(CT_ERR_INDEX,
                     "%s: Dimension out of range (expected to be in range of [%d, %d], but got %d)",
                     op, -n, n - 1, dim);
        return -1;
    }
    return dim < 0 ? dim + n : dim;
}

int ct_broadcast_shapes(const char *op, const int64_t *a, int na, const int64_t *b, int nb,
                        int64_t *out) {
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int ia = na - n + i, ib = nb - n + i;
        int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
        if (sa == sb || sb == 1) out[i] = sa;
        else if (sa == 1) out[i] = sb;
        else {
            char ba[160], bb[160];
            ct_set_error(CT_ERR_RUNTIME,
                         "%s: The size of tensor a (%lld) must match the size of tensor b (%lld) "
                         "at non-singleton dimension %d (shapes %s and %s)",
                         op, (long long)sa, (long long)sb, i, ct_shape_str(a, na, ba, 160),
                         ct_shape_str(b, nb, bb, 160));
            return -1;
        }
    }
    return n;
}
