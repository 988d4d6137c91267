/* ctorch serialization: PyTorch's zip-based .pt/.pth format (what
 * torch.save writes since 1.6) and safetensors, both directions.
 *
 * Values. A file holds a tree of values, the subset of Python objects that
 * tensors, state dicts and optimizer state dicts are made of: None, bool,
 * int (int64), float (double), str, bytes, tuple, list, set, dict (keys:
 * scalars or tuples; a dict remembers whether it was a collections.OrderedDict
 * and may carry attributes, the `_metadata` of a module's state dict) and
 * tensors (with their requires_grad flag and whether they were an
 * nn.Parameter).
 *
 * Ownership. ct_value objects are refcounted, independent of tensor scopes:
 * every constructor returns one reference owned by the caller (release it
 * with ct_value_release); the insertion functions (append, dict_set) STEAL
 * the reference to the item they are given, even when they fail, so that
 *     ct_value_dict_set_str(d, "lr", ct_value_float(0.1));
 * leaks nothing. Accessors return borrowed pointers, valid while the
 * container lives. A tensor value holds its own reference to the tensor.
 * The same value may appear at several places of a tree (it is saved once,
 * as pickle's memo does); a container may not contain itself.
 *
 * Loading never executes code: the unpickler knows the handful of globals
 * tensors and state dicts are made of (torch._utils._rebuild_tensor_v2,
 * _rebuild_parameter, collections.OrderedDict, torch.<Type>Storage,
 * torch.Size, builtins.set, ...) and fails with an error naming any other.
 * Corrupt or hostile files fail with an error; allocations are bounded by
 * the size of the file.
 */
#ifndef CTORCH_SERIALIZE_H
#define CTORCH_SERIALIZE_H

#include "ctorch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ct_value_kind {
    CT_VAL_NONE = 0,
    CT_VAL_BOOL,
    CT_VAL_INT,
    CT_VAL_FLOAT,
    CT_VAL_STR,
    CT_VAL_BYTES,
    CT_VAL_TUPLE,
    CT_VAL_LIST,
    CT_VAL_SET,
    CT_VAL_DICT,
    CT_VAL_TENSOR,
} ct_value_kind;

typedef struct ct_value ct_value;

/* ------------------------------------------------------------ constructors */
/* Each returns an owned reference, or NULL (out of memory) with an error. */
ct_value *ct_value_none(void);
ct_value *ct_value_bool(bool b);
ct_value *ct_value_int(int64_t i);
ct_value *ct_value_float(double f);
ct_value *ct_value_str(const char *s);                 /* NUL-terminated UTF-8 */
ct_value *ct_value_str_n(const char *s, size_t len);   /* len bytes of UTF-8 */
ct_value *ct_value_bytes(const void *data, size_t len);
ct_value *ct_value_tuple(void); /* empty; fill with ct_value_append */
ct_value *ct_value_list(void);
ct_value *ct_value_set(void);
ct_value *ct_value_dict(bool ordered); /* ordered: a collections.OrderedDict */
/* Retains t. is_parameter: saved as torch.nn.Parameter (requires_grad taken
 * from t). */
ct_value *ct_value_tensor(ct_tensor *t, bool is_parameter);

ct_value *ct_value_retain(ct_value *v);
void ct_value_release(ct_value *v); /* NULL: no-op */

/* ------------------------------------------------------------ building */
/* Appends item (stolen) to a tuple, list or set. 0 or -1 with an error. */
int ct_value_append(ct_value *seq, ct_value *item);
/* Sets d[key] = val (both stolen), replacing an equal key's value in place
 * (the key keeps its position). Keys: none, bool, int, float, str, bytes, or
 * tuples of those. 0 or -1. */
int ct_value_dict_set(ct_value *d, ct_value *key, ct_value *val);
int ct_value_dict_set_str(ct_value *d, const char *key, ct_value *val);
/* Attributes of a dict (OrderedDict.__dict__: the `_metadata` of a state
 * dict): a dict value, stolen; replaces any previous one. */
int ct_value_dict_set_attrs(ct_value *d, ct_value *attrs);

/* ------------------------------------------------------------ reading */
ct_value_kind ct_value_kind_of(const ct_value *v);
const char *ct_value_kind_name(ct_value_kind k); /* "dict", "tensor", ... */
bool ct_value_get_bool(const ct_value *v);    /* false for other kinds */
int64_t ct_value_get_int(const ct_value *v);  /* bools as 0/1; 0 for others */
double ct_value_get_float(const ct_value *v); /* ints converted; 0 for others */
/* Bytes of a str or bytes value (NUL-terminated); len may be NULL. */
const char *ct_value_get_str(const ct_value *v, size_t *len);
/* Elements of a tuple/list/set, entries of a dict; 0 for other kinds. */
size_t ct_value_len(const ct_value *v);
ct_value *ct_value_item(const ct_value *seq, size_t i); /* borrowed; NULL if out of range */
ct_value *ct_value_dict_key(const ct_value *d, size_t i);
ct_value *ct_value_dict_value(const ct_value *d, size_t i);
/* d[key] for a string key; NULL if absent (no error set). */
ct_value *ct_value_dict_get(const ct_value *d, const char *key);
bool ct_value_dict_is_ordered(const ct_value *d);
ct_value *ct_value_dict_attrs(const ct_value *d); /* borrowed; NULL if none */
ct_tensor *ct_value_get_tensor(const ct_value *v); /* borrowed; NULL if not a tensor */
bool ct_value_is_parameter(const ct_value *v);

/* ------------------------------------------------------------ PyTorch .pt */
/* Writes v as torch.save(obj, path) does: a zip archive "<stem>/data.pkl"
 * (pickle protocol 2), "<stem>/data/<key>" (one little-endian record per
 * storage, 64-byte aligned, stored), "<stem>/version". Tensors sharing a
 * storage share one record, so views load as views. CUDA tensors are
 * copied to the host for writing and recorded with their "cuda:N"
 * location, as torch.save does. 0 or -1. */
int ct_save(const char *path, const ct_value *v);
/* The same archive in memory: *buf (free() it) and *len. 0 or -1. */
int ct_save_buffer(const ct_value *v, void **buf, size_t *len);
/* Reads a file written by torch.save (zip format; stored, deflated or zip64
 * entries) or by ct_save. Tensors land on the CPU whatever location the
 * file records (move them with ct_to_device). NULL on error. */
ct_value *ct_load(const char *path);
ct_value *ct_load_buffer(const void *buf, size_t len);

/* State dicts for C programs: n named tensors, saved as an OrderedDict that
 * torch.load / Module.load_state_dict read. */
int ct_save_state_dict(const char *path, const char *const *names, ct_tensor *const *tensors,
                       size_t n);
/* Loads a file holding a dict of tensors (a state dict; entries that are not
 * tensors, or keys that are not strings, are an error). On success *names
 * (each string and the array malloc'ed) and *tensors (the array malloc'ed,
 * each tensor an owned reference NOT in any scope) hold *n entries; free with
 * ct_state_dict_free. */
int ct_load_state_dict(const char *path, char ***names, ct_tensor ***tensors, size_t *n);
void ct_state_dict_free(char **names, ct_tensor **tensors, size_t n);

/* ------------------------------------------------------------ safetensors */
/* A safetensors file: 8-byte little-endian header length, a JSON header
 * {"name": {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}, ...,
 * "__metadata__": {"k": "v"}}, then the data. Names must be distinct;
 * tensors of any layout are written contiguous. meta_keys/meta_vals may be
 * NULL when nmeta is 0. 0 or -1. */
int ct_save_safetensors(const char *path, const char *const *names, ct_tensor *const *tensors,
                        size_t n, const char *const *meta_keys, const char *const *meta_vals,
                        size_t nmeta);
int ct_save_safetensors_buffer(const char *const *names, ct_tensor *const *tensors, size_t n,
                               const char *const *meta_keys, const char *const *meta_vals,
                               size_t nmeta, void **buf, size_t *len);
/* Reads every tensor, in the file's data order. Outputs as for
 * ct_load_state_dict; meta_keys/meta_vals/nmeta may be NULL (metadata then
 * dropped), else free them with ct_safetensors_meta_free. 0 or -1. */
int ct_load_safetensors(const char *path, char ***names, ct_tensor ***tensors, size_t *n,
                        char ***meta_keys, char ***meta_vals, size_t *nmeta);
int ct_load_safetensors_buffer(const void *buf, size_t len, char ***names, ct_tensor ***tensors,
                               size_t *n, char ***meta_keys, char ***meta_vals, size_t *nmeta);
void ct_safetensors_meta_free(char **keys, char **vals, size_t n);

#ifdef __cplusplus
}
#endif
#endif
