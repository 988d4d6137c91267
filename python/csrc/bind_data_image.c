/* Bindings of the C data layer's images, folders, CSV, image functions,
 * transforms and distributed sampler (include/ctorch/data.h), as private
 * ctorch._C functions for ctorch.vision / ctorch.utils.data and the tests:
 *
 *   _image_read(path, mode=3) / _image_decode(data: bytes, mode=3)
 *       -> uint8 [H, W, C]; mode numbered like torchvision.io.ImageReadMode
 *   _image_folder(root, extensions=None) -> (classes, [(path, target), ...])
 *   _csv_read(path, delimiter=',', header=False) -> float32 [rows, cols]
 *   _vision_resize(img, size, interpolation='bilinear', antialias=False)
 *   _vision_crop(img, top, left, height, width) / _vision_center_crop(img, size)
 *   _vision_pad(img, padding, fill=0, padding_mode='constant')
 *   _vision_hflip(img) / _vision_vflip(img)
 *   _vision_adjust_{brightness,contrast,saturation,hue}(img, factor)
 *   _vision_rgb_to_grayscale(img, num_output_channels=1)
 *       torchvision.transforms.functional on tensors [..., C, H, W]
 *   _transform_resize(img, size, interpolation='bilinear', max_size=None, antialias=False)
 *   _transform_random_crop(img, size, padding=None, pad_if_needed=False, fill=0,
 *                          padding_mode='constant')
 *   _transform_random_resized_crop(img, size, scale=(0.08, 1.0), ratio=(3/4, 4/3),
 *                                  interpolation='bilinear', antialias=False)
 *   _transform_random_horizontal_flip(img, p=0.5) / _transform_random_vertical_flip(img, p=0.5)
 *   _transform_color_jitter(img, brightness=None, contrast=None, saturation=None, hue=None)
 *       the torchvision transform applied once, drawing from the default
 *       generator (torch.manual_seed's) exactly as torchvision draws
 *   _distributed_sampler_indices(n, num_replicas, rank, shuffle=True, seed=0,
 *                                drop_last=False, epoch=0) -> [int]
 */
#include "bind.h"

#include "ctorch/data.h"

#define FAST(nm, fn) {nm, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, NULL}

static int opt_mode(const char *f, PyObject *o, ct_image_mode *mode) {
    int64_t v;
    if (ctpy_opt_int(f, "mode", o, CT_IMAGE_RGB, &v) < 0) return -1;
    /* torchvision.io.ImageReadMode members are enums with .value */
    *mode = (ct_image_mode)v;
    return 0;
}

static PyObject *f_image_read(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"path", "mode", NULL};
    PyObject *a[2];
    if (ctpy_parse("_image_read", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    const char *path;
    ct_image_mode mode;
    if (ctpy_opt_str("_image_read", "path", a[0], &path) < 0 || opt_mode("_image_read", a[1], &mode) < 0)
        return NULL;
    if (!path) return PyErr_Format(PyExc_TypeError, "_image_read() missing required argument 'path'");
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    Py_BEGIN_ALLOW_THREADS r = ct_image_read(path, mode);
    Py_END_ALLOW_THREADS
    return ctpy_finish(sc, r);
}

static PyObject *f_image_decode(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"data", "mode", NULL};
    PyObject *a[2];
    if (ctpy_parse("_image_decode", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    ct_image_mode mode;
    if (opt_mode("_image_decode", a[1], &mode) < 0) return NULL;
    Py_buffer buf;
    if (!a[0] || PyObject_GetBuffer(a[0], &buf, PyBUF_SIMPLE) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "_image_decode(): data must be bytes");
        return NULL;
    }
    ct_scope sc = ct_scope_begin();
    ct_tensor *r;
    Py_BEGIN_ALLOW_THREADS r = ct_image_decode(buf.buf, (size_t)buf.len, mode, "<bytes>");
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    return ctpy_finish(sc, r);
}

static PyObject *f_image_folder(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"root", "extensions", NULL};
    PyObject *a[2];
    if (ctpy_parse("_image_folder", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    const char *root;
    if (ctpy_opt_str("_image_folder", "root", a[0], &root) < 0) return NULL;
    if (!root) return PyErr_Format(PyExc_TypeError, "_image_folder() missing required argument 'root'");
    const char *exts[64];
    int next = 0;
    PyObject *seq = NULL;
    if (!CTPY_NOARG(a[1])) {
        if (PyUnicode_Check(a[1])) {
            exts[next++] = PyUnicode_AsUTF8(a[1]);
        } else {
            seq = PySequence_Fast(a[1], "_image_folder(): extensions must be a str or a sequence of str");
            if (!seq) return NULL;
            Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
            for (Py_ssize_t i = 0; i < k && next < 64; i++) {
                const char *s = PyUnicode_Check(PySequence_Fast_GET_ITEM(seq, i))
                                    ? PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i))
                                    : NULL;
                if (!s) {
                    Py_DECREF(seq);
                    return PyErr_Format(PyExc_TypeError, "_image_folder(): extensions must be str");
                }
                exts[next++] = s;
            }
        }
    }
    ct_dataset *ds = ct_image_folder(root, next ? exts : NULL, next, CT_IMAGE_RGB,
                                     (ct_transform){NULL, NULL, NULL});
    Py_XDECREF(seq);
    if (!ds) {
        /* torchvision raises FileNotFoundError for a missing root, no class
         * or an empty class */
        PyErr_SetString(PyExc_FileNotFoundError, ct_last_error());
        return NULL;
    }
    int64_t nc = ct_image_folder_num_classes(ds), ns = ct_dataset_length(ds);
    PyObject *classes = PyList_New(nc), *samples = PyList_New(ns);
    for (int64_t i = 0; classes && i < nc; i++)
        PyList_SET_ITEM(classes, i, PyUnicode_DecodeFSDefault(ct_image_folder_class(ds, i)));
    for (int64_t i = 0; samples && i < ns; i++)
        PyList_SET_ITEM(samples, i, Py_BuildValue("(NL)", PyUnicode_DecodeFSDefault(ct_image_folder_path(ds, i)),
                                                  (long long)ct_image_folder_target(ds, i)));
    ct_dataset_free(ds);
    if (!classes || !samples || PyErr_Occurred()) {
        Py_XDECREF(classes);
        Py_XDECREF(samples);
        return NULL;
    }
    return Py_BuildValue("(NN)", classes, samples);
}

static PyObject *f_csv_read(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"path", "delimiter", "header", NULL};
    PyObject *a[3];
    if (ctpy_parse("_csv_read", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    const char *path, *delim;
    bool header;
    if (ctpy_opt_str("_csv_read", "path", a[0], &path) < 0 ||
        ctpy_opt_str("_csv_read", "delimiter", a[1], &delim) < 0 || ctpy_opt_bool(a[2], false, &header) < 0)
        return NULL;
    if (!path) return PyErr_Format(PyExc_TypeError, "_csv_read() missing required argument 'path'");
    ct_scope sc = ct_scope_begin();
    return ctpy_finish(sc, ct_csv_read(path, delim && delim[0] ? delim[0] : ',', header));
}

/* ---------------------------------------------------------------- argument helpers */
/* size: int or sequence of 1 or 2 ints (n = 1 or 2). */
static int size_arg(const char *f, PyObject *o, int64_t out[2], int *n) {
    if (!o) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'size'", f);
        return -1;
    }
    int64_t v[CT_MAX_DIMS];
    if (ctpy_intlist(f, o, NULL, v, n) < 0) return -1;
    if (*n != 1 && *n != 2) {
        PyErr_Format(PyExc_ValueError, "Size must be an int or a 1 or 2 element tuple/list, not a %d element tuple/list", *n);
        return -1;
    }
    out[0] = v[0];
    out[1] = *n == 2 ? v[1] : v[0];
    return 0;
}

static int interp_arg(const char *f, PyObject *o, ct_interp *it) {
    const char *s;
    *it = CT_INTERP_BILINEAR;
    if (CTPY_NOARG(o)) return 0;
    PyObject *val = NULL;
    if (!PyUnicode_Check(o)) { /* an InterpolationMode enum: its .value */
        val = PyObject_GetAttrString(o, "value");
        if (!val) return -1;
        o = val;
    }
    int rc = ctpy_opt_str(f, "interpolation", o, &s);
    if (rc == 0) {
        if (!strcmp(s, "bilinear")) *it = CT_INTERP_BILINEAR;
        else if (!strcmp(s, "nearest")) *it = CT_INTERP_NEAREST;
        else {
            PyErr_Format(PyExc_NotImplementedError, "%s(): interpolation '%s' is not implemented (bilinear, nearest)", f, s);
            rc = -1;
        }
    }
    Py_XDECREF(val);
    return rc;
}

static int pad_mode_arg(const char *f, PyObject *o, ct_padding_mode *m) {
    const char *s;
    *m = CT_PAD_CONSTANT;
    if (ctpy_opt_str(f, "padding_mode", o, &s) < 0) return -1;
    if (!s || !strcmp(s, "constant")) return 0;
    if (!strcmp(s, "edge")) *m = CT_PAD_EDGE;
    else if (!strcmp(s, "reflect")) *m = CT_PAD_REFLECT;
    else if (!strcmp(s, "symmetric")) *m = CT_PAD_SYMMETRIC;
    else {
        PyErr_SetString(PyExc_ValueError, "Padding mode should be either constant, edge, reflect or symmetric");
        return -1;
    }
    return 0;
}

/* A pair of floats, or NULL/None (given = false). */
static int pair_arg(const char *f, const char *nm, PyObject *o, double out[2], bool *given) {
    *given = false;
    if (CTPY_NOARG(o)) return 0;
    PyObject *seq = PySequence_Fast(o, "");
    if (!seq || PySequence_Fast_GET_SIZE(seq) != 2) {
        Py_XDECREF(seq);
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s(): %s must be a pair of numbers", f, nm);
        return -1;
    }
    out[0] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, 0));
    out[1] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, 1));
    Py_DECREF(seq);
    if (PyErr_Occurred()) return -1;
    *given = true;
    return 0;
}

/* Applies tf once to img, frees it, wraps the result. */
static PyObject *apply_once(ct_transform tf, ct_tensor *img) {
    if (!tf.apply) return ctpy_raise();
    ct_scope sc = ct_scope_begin();
    ct_tensor *r = ct_transform_apply(&tf, img, NULL);
    ct_transform_free(tf);
    return ctpy_finish(sc, r);
}

#define IMG_PARSE(fname, names, a)                                                   \
    ct_tensor *img;                                                                  \
    if (ctpy_parse(fname, names, NULL, args, n, kwn, a, NULL) < 0) return NULL;      \
    if (ctpy_tensor_arg(fname, "img", a[0], &img) < 0) return NULL;

/* ---------------------------------------------------------------- functional */
static PyObject *f_resize(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"img", "size", "interpolation", "antialias", NULL};
    PyObject *a[4];
    IMG_PARSE("_vision_resize", names, a);
    int64_t sz[2];
    int ns;
    ct_interp it;
    bool aa;
    if (size_arg("_vision_resize", a[1], sz, &ns) < 0 || interp_arg("_vision_resize", a[2], &it) < 0 ||
        ctpy_opt_bool(a[3], false, &aa) < 0)
        return NULL;
    CTPY_RETURN(ct_image_resize(img, sz[0], sz[1], it, aa));
}

static PyObject *f_crop(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"img", "top", "left", "height", "width", NULL};
    PyObject *a[5];
    IMG_PARSE("_vision_crop", names, a);
    int64_t v[4];
    static const char *const nm[] = {"top", "left", "height", "width"};
    for (int i = 0; i < 4; i++)
        if (ctpy_req_int("_vision_crop", nm[i], a[i + 1], &v[i]) < 0) return NULL;
    CTPY_RETURN(ct_image_crop(img, v[0], v[1], v[2], v[3]));
}

static PyObject *f_center_crop(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"img", "output_size", NULL};
    PyObject *a[2];
    IMG_PARSE("_vision_center_crop", names, a);
    int64_t sz[2];
    int ns;
    if (size_arg("_vision_center_crop", a[1], sz, &ns) < 0) return NULL;
    CTPY_RETURN(ct_image_center_crop(img, sz[0], sz[1]));
}

/* torchvision padding: int or 1/2/4 ints -> ltrb. */
static int padding_arg(const char *f, PyObject *o, int64_t ltrb[4]) {
    int64_t v[CT_MAX_DIMS];
    int k;
    if (!o) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'padding'", f);
        return -1;
    }
    if (ctpy_intlist(f, o, NULL, v, &k) < 0) return -1;
    if (k == 1) ltrb[0] = ltrb[1] = ltrb[2] = ltrb[3] = v[0];
    else if (k == 2) ltrb[0] = ltrb[2] = v[0], ltrb[1] = ltrb[3] = v[1];
    else if (k == 4) memcpy(ltrb, v, sizeof(int64_t) * 4);
    else {
        PyErr_Format(PyExc_ValueError, "Padding must be an int or a 1, 2, or 4 element tuple, not a %d element tuple", k);
        return -1;
    }
    return 0;
}

static PyObject *f_pad(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"img", "padding", "fill", "padding_mode", NULL};
    PyObject *a[4];
    IMG_PARSE("_vision_pad", names, a);
    int64_t ltrb[4];
    double fill;
    ct_padding_mode pm;
    if (padding_arg("_vision_pad", a[1], ltrb) < 0 || ctpy_opt_double("_vision_pad", "fill", a[2], 0, &fill) < 0 ||
        pad_mode_arg("_vision_pad", a[3], &pm) < 0)
        return NULL;
    CTPY_RETURN(ct_image_pad(img, ltrb, fill, pm));
}

#define UNARY_IMG(cname, pyname, call)                                                        \
    static PyObject *cname(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) { \
        static const char *const names[] = {"img", NULL};                                     \
        PyObject *a[1];                                                                       \
        IMG_PARSE(pyname, names, a);                                                          \
        CTPY_RETURN(call(img));                                                               \
    }
UNARY_IMG(f_hflip, "_vision_hflip", ct_image_hflip)
UNARY_IMG(f_vflip, "_vision_vflip", ct_image_vflip)

#define FACTOR_IMG(cname, pyname, argname, call)                                              \
    static PyObject *cname(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) { \
        static const char *const names[] = {"img", argname, NULL};                            \
        PyObject *a[2];                                                                       \
        IMG_PARSE(pyname, names, a);                                                          \
        double fv;                                                                            \
        if (!a[1]) return PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", pyname, argname); \
        if (ctpy_double(pyname, argname, a[1], &fv) < 0) return NULL;                         \
        CTPY_RETURN(call(img, fv));                                                           \
    }
FACTOR_IMG(f_brightness, "_vision_adjust_brightness", "brightness_factor", ct_image_adjust_brightness)
FACTOR_IMG(f_contrast, "_vision_adjust_contrast", "contrast_factor", ct_image_adjust_contrast)
FACTOR_IMG(f_saturation, "_vision_adjust_saturation", "saturation_factor", ct_image_adjust_saturation)
FACTOR_IMG(f_hue, "_vision_adjust_hue", "hue_factor", ct_image_adjust_hue)

static PyObject *f_gray(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"img", "num_output_channels", NULL};
    PyObject *a[2];
    IMG_PARSE("_vision_rgb_to_grayscale", names, a);
    int64_t k;
    if (ctpy_opt_int("_vision_rgb_to_grayscale", "num_output_channels", a[1], 1, &k) < 0) return NULL;
    CTPY_RETURN(ct_image_rgb_to_grayscale(img, (int)k));
}

/* ---------------------------------------------------------------- transforms */
static PyObject *t_resize(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"img", "size", "interpolation", "max_size", "antialias", NULL};
    PyObject *a[5];
    IMG_PARSE("_transform_resize", names, a);
    int64_t sz[2], maxs;
    int ns;
    ct_interp it;
    bool aa;
    if (size_arg("_transform_resize", a[1], sz, &ns) < 0 || interp_arg("_transform_resize", a[2], &it) < 0 ||
        ctpy_opt_int("_transform_resize", "max_size", a[3], 0, &maxs) < 0 || ctpy_opt_bool(a[4], false, &aa) < 0)
        return NULL;
    return apply_once(ct_transform_resize(sz, ns, it, maxs, aa), img);
}

static PyObject *t_random_crop(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"img", "size", "padding", "pad_if_needed", "fill", "padding_mode", NULL};
    PyObject *a[6];
    IMG_PARSE("_transform_random_crop", names, a);
    int64_t sz[2], pad[CT_MAX_DIMS];
    int ns, np = 0;
    bool pin;
    double fill;
    ct_padding_mode pm;
    if (size_arg("_transform_random_crop", a[1], sz, &ns) < 0 ||
        (!CTPY_NOARG(a[2]) && ctpy_intlist("_transform_random_crop", a[2], NULL, pad, &np) < 0) ||
        ctpy_opt_bool(a[3], false, &pin) < 0 || ctpy_opt_double("_transform_random_crop", "fill", a[4], 0, &fill) < 0 ||
        pad_mode_arg("_transform_random_crop", a[5], &pm) < 0)
        return NULL;
    return apply_once(ct_transform_random_crop(sz[0], sz[1], np ? pad : NULL, np, pin, fill, pm), img);
}

static PyObject *t_rrc(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"img", "size", "scale", "ratio", "interpolation", "antialias", NULL};
    PyObject *a[6];
    IMG_PARSE("_transform_random_resized_crop", names, a);
    int64_t sz[2];
    int ns;
    double scale[2], ratio[2];
    bool gs, gr, aa;
    ct_interp it;
    if (size_arg("_transform_random_resized_crop", a[1], sz, &ns) < 0 ||
        pair_arg("_transform_random_resized_crop", "scale", a[2], scale, &gs) < 0 ||
        pair_arg("_transform_random_resized_crop", "ratio", a[3], ratio, &gr) < 0 ||
        interp_arg("_transform_random_resized_crop", a[4], &it) < 0 || ctpy_opt_bool(a[5], false, &aa) < 0)
        return NULL;
    return apply_once(ct_transform_random_resized_crop(sz[0], sz[1], gs ? scale : NULL, gr ? ratio : NULL, it, aa),
                      img);
}

static PyObject *t_flip(PyObject *const *args, Py_ssize_t n, PyObject *kwn, bool h) {
    static const char *const names[] = {"img", "p", NULL};
    PyObject *a[2];
    const char *f = h ? "_transform_random_horizontal_flip" : "_transform_random_vertical_flip";
    IMG_PARSE(f, names, a);
    double p;
    if (ctpy_opt_double(f, "p", a[1], 0.5, &p) < 0) return NULL;
    return apply_once(h ? ct_transform_random_horizontal_flip(p) : ct_transform_random_vertical_flip(p), img);
}
static PyObject *t_hflip(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return t_flip(args, n, kwn, true);
}
static PyObject *t_vflip(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    return t_flip(args, n, kwn, false);
}

/* torchvision's _check_input: a number v -> [center - v, center + v] (clipped at 0 for b/c/s). */
static int jitter_arg(PyObject *o, bool hue, double out[2], bool *given) {
    *given = false;
    if (CTPY_NOARG(o)) return 0;
    if (PyNumber_Check(o) && !PySequence_Check(o)) {
        double v = PyFloat_AsDouble(o);
        if (PyErr_Occurred()) return -1;
        if (v < 0) {
            PyErr_Format(PyExc_ValueError, "If %s is a single number, it must be non negative.",
                         hue ? "hue" : "brightness/contrast/saturation");
            return -1;
        }
        double c = hue ? 0 : 1;
        out[0] = c - v, out[1] = c + v;
        if (!hue && out[0] < 0) out[0] = 0;
        *given = true;
        return 0;
    }
    return pair_arg("_transform_color_jitter", hue ? "hue" : "factor", o, out, given);
}

static PyObject *t_jitter(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"img", "brightness", "contrast", "saturation", "hue", NULL};
    PyObject *a[5];
    IMG_PARSE("_transform_color_jitter", names, a);
    double r[4][2];
    bool g[4];
    for (int i = 0; i < 4; i++)
        if (jitter_arg(a[i + 1], i == 3, r[i], &g[i]) < 0) return NULL;
    return apply_once(ct_transform_color_jitter(g[0] ? r[0] : NULL, g[1] ? r[1] : NULL, g[2] ? r[2] : NULL,
                                                g[3] ? r[3] : NULL),
                      img);
}

static PyObject *f_dist_sampler(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kwn) {
    static const char *const names[] = {"n", "num_replicas", "rank", "shuffle", "seed", "drop_last", "epoch", NULL};
    PyObject *a[7];
    if (ctpy_parse("_distributed_sampler_indices", names, NULL, args, n, kwn, a, NULL) < 0) return NULL;
    int64_t len, rep, rank, seed, epoch;
    bool shuffle, drop;
    const char *f = "_distributed_sampler_indices";
    if (ctpy_req_int(f, "n", a[0], &len) < 0 || ctpy_req_int(f, "num_replicas", a[1], &rep) < 0 ||
        ctpy_req_int(f, "rank", a[2], &rank) < 0 || ctpy_opt_bool(a[3], true, &shuffle) < 0 ||
        ctpy_opt_int(f, "seed", a[4], 0, &seed) < 0 || ctpy_opt_bool(a[5], false, &drop) < 0 ||
        ctpy_opt_int(f, "epoch", a[6], 0, &epoch) < 0)
        return NULL;
    ct_sampler *s = ct_sampler_distributed(len, (int)rep, (int)rank, shuffle, (uint64_t)seed, drop);
    if (!s || ct_sampler_set_epoch(s, epoch) < 0) {
        ct_sampler_free(s);
        return ctpy_raise();
    }
    int64_t k = ct_sampler_length(s);
    int64_t *idx = PyMem_Malloc(sizeof(int64_t) * (size_t)(k ? k : 1));
    if (!idx || ct_sampler_epoch(s, idx) < 0) {
        ct_sampler_free(s);
        PyMem_Free(idx);
        return idx ? ctpy_raise() : PyErr_NoMemory();
    }
    ct_sampler_free(s);
    PyObject *l = PyList_New(k);
    for (int64_t i = 0; l && i < k; i++) PyList_SET_ITEM(l, i, PyLong_FromLongLong(idx[i]));
    PyMem_Free(idx);
    return l;
}

PyMethodDef ctpy_data_functions[] = {
    FAST("_image_read", f_image_read),
    FAST("_image_decode", f_image_decode),
    FAST("_image_folder", f_image_folder),
    FAST("_csv_read", f_csv_read),
    FAST("_vision_resize", f_resize),
    FAST("_vision_crop", f_crop),
    FAST("_vision_center_crop", f_center_crop),
    FAST("_vision_pad", f_pad),
    FAST("_vision_hflip", f_hflip),
    FAST("_vision_vflip", f_vflip),
    FAST("_vision_adjust_brightness", f_brightness),
    FAST("_vision_adjust_contrast", f_contrast),
    FAST("_vision_adjust_saturation", f_saturation),
    FAST("_vision_adjust_hue", f_hue),
    FAST("_vision_rgb_to_grayscale", f_gray),
    FAST("_transform_resize", t_resize),
    FAST("_transform_random_crop", t_random_crop),
    FAST("_transform_random_resized_crop", t_rrc),
    FAST("_transform_random_horizontal_flip", t_hflip),
    FAST("_transform_random_vertical_flip", t_vflip),
    FAST("_transform_color_jitter", t_jitter),
    FAST("_distributed_sampler_indices", f_dist_sampler),
    {NULL}};
