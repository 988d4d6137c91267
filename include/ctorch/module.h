/* Neural-network modules in C (torch.nn.Module and its standard layers) and
 * the initialisers of torch.nn.init.
 *
 * Ownership:
 * - A ct_module is a plain heap object, freed with ct_module_free (which
 *   frees its children too). Containers (ct_sequential, ct_module_add_child)
 *   take ownership of the children passed in; a NULL child (a constructor
 *   that failed) makes the container fail too, after freeing the others, so
 *   nested construction needs one NULL check at the end.
 * - Modules hold one reference to each parameter and buffer. Parameters are
 *   leaf tensors with requires_grad set; buffers do not require grad.
 *   Accessors return borrowed pointers, valid as long as the module lives.
 * - ct_module_forward returns a new reference handed to the current scope,
 *   like every op (core.h).
 * - ct_named_tensors (state dicts, named parameters) own their names and
 *   hold one reference to each tensor; free them with ct_named_tensors_free.
 *
 * A small CNN:
 *
 *     ct_module *net = ct_sequential(8, (ct_module *[]){
 *         ct_conv2d_module(1, 32, 3, 1, 1), ct_batch_norm2d_module(32),
 *         ct_relu_module(), ct_max_pool2d_module(2, 0, 0),
 *         ct_flatten_module(1, -1), ct_dropout_module(0.25),
 *         ct_linear_module(32 * 14 * 14, 10, true), ct_log_softmax_module(1)});
 *     if (!net) fprintf(stderr, "%s\n", ct_last_error());
 *     ct_scope s = ct_scope_begin();
 *     ct_tensor *logits = ct_module_forward(net, x);
 *     ...
 *     ct_scope_end(s);
 *     ct_module_free(net);
 *
 * Initialisation reproduces PyTorch 1.13: each layer draws its parameters
 * from the default generator in PyTorch's reset_parameters order, so after
 * ct_manual_seed(s) a ctorch Linear/Conv2d holds exactly the weights that
 * torch.manual_seed(s) followed by torch.nn.Linear/Conv2d holds. Parameters
 * are created in the default dtype (ct_default_dtype()). */
#ifndef CTORCH_MODULE_H
#define CTORCH_MODULE_H

#include "ctorch/core.h"
#include "ctorch/random.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================ nn.init
 * All initialisers work in place without recording autograd (as PyTorch's,
 * under no_grad), return t (borrowed) or NULL with an error, and draw from
 * g (NULL: the default generator). Names and defaults are PyTorch's. */

/* Fan-in = size(1) * receptive field, fan-out = size(0) * receptive field
 * (ValueError for fewer than 2 dims). Returns 0 or -1. */
int ct_init_calculate_fan_in_and_fan_out(const ct_tensor *t, int64_t *fan_in, int64_t *fan_out);
/* nn.init.calculate_gain(nonlinearity, param): param NULL = None (leaky_relu's
 * slope then defaults to 0.01). Returns 0 or -1 (ValueError "Unsupported
 * nonlinearity ..."). */
int ct_init_calculate_gain(const char *nonlinearity, const double *param, double *gain);

ct_tensor *ct_init_uniform_(ct_tensor *t, double a, double b, ct_generator *g);   /* 0, 1 */
ct_tensor *ct_init_normal_(ct_tensor *t, double mean, double std, ct_generator *g); /* 0, 1 */
/* Normal(mean, std) truncated to [a, b] by inverse CDF (PyTorch: 0, 1, -2, 2). */
ct_tensor *ct_init_trunc_normal_(ct_tensor *t, double mean, double std, double a, double b,
                                 ct_generator *g);
ct_tensor *ct_init_constant_(ct_tensor *t, double val);
ct_tensor *ct_init_ones_(ct_tensor *t);
ct_tensor *ct_init_zeros_(ct_tensor *t);
/* Identity matrix (2-d only). */
ct_tensor *ct_init_eye_(ct_tensor *t);
/* Dirac delta of a 3/4/5-d conv weight, identity per group. */
ct_tensor *ct_init_dirac_(ct_tensor *t, int64_t groups);
ct_tensor *ct_init_xavier_uniform_(ct_tensor *t, double gain, ct_generator *g); /* gain 1 */
ct_tensor *ct_init_xavier_normal_(ct_tensor *t, double gain, ct_generator *g);
/* mode "fan_in" (NULL) or "fan_out"; nonlinearity NULL = "leaky_relu";
 * a is leaky_relu's negative slope (PyTorch's default a = 0). Zero-element
 * tensors are left unchanged. */
ct_tensor *ct_init_kaiming_uniform_(ct_tensor *t, double a, const char *mode,
                                    const char *nonlinearity, ct_generator *g);
ct_tensor *ct_init_kaiming_normal_(ct_tensor *t, double a, const char *mode,
                                   const char *nonlinearity, ct_generator *g);
/* (Semi-)orthogonal matrix from the QR of a normal draw, trailing dims
 * flattened, times gain (PyTorch: 1). */
ct_tensor *ct_init_orthogonal_(ct_tensor *t, double gain, ct_generator *g);

/* ================================================================ named tensors */
/* An ordered list of (name, tensor): state dicts, named_parameters(). */
typedef struct ct_named_tensors {
    int n, cap;
    char **names;
    ct_tensor **tensors;
} ct_named_tensors;
typedef ct_named_tensors ct_state_dict;

ct_named_tensors *ct_named_tensors_new(void);
void ct_named_tensors_free(ct_named_tensors *d); /* NULL is fine */
/* Appends (or replaces the tensor of an existing name); retains t. 0 or -1. */
int ct_named_tensors_set(ct_named_tensors *d, const char *name, ct_tensor *t);
/* Borrowed; NULL when absent (no error set). */
ct_tensor *ct_named_tensors_get(const ct_named_tensors *d, const char *name);
int ct_named_tensors_index(const ct_named_tensors *d, const char *name); /* -1 if absent */

/* ================================================================ modules */
typedef struct ct_module ct_module;

/* What makes one kind of module. Everything else (parameters, children,
 * state dicts, train/eval) is generic. */
typedef struct ct_module_vtable {
    const char *name; /* PyTorch's class name: "Linear", "Conv2d", ... */
    /* Returns a new reference (scope rule) or NULL with an error. */
    ct_tensor *(*forward)(ct_module *m, const ct_tensor *x);
    /* Re-draws the module's own parameters (not its children's); NULL: none. */
    int (*reset_parameters)(ct_module *m, ct_generator *g);
    /* Frees m->config beyond free(); NULL: plain free(m->config). */
    void (*free_config)(void *config);
    /* PyTorch's extra_repr ("in_features=3, out_features=2, bias=True")
     * written into buf (snprintf-style); NULL: empty. */
    void (*extra_repr)(const ct_module *m, char *buf, size_t len);
} ct_module_vtable;

typedef struct ct_module_entry {
    char *name;
    ct_tensor *tensor; /* parameters and buffers */
    ct_module *module; /* children */
} ct_module_entry;

struct ct_module {
    const ct_module_vtable *vt;
    bool training; /* true after creation, as in PyTorch */
    ct_module_entry *params, *buffers, *children;
    int nparams, nbuffers, nchildren;
    int cap_params, cap_buffers, cap_children;
    void *config; /* layer-specific settings (owned) */
    struct ct_module_hooks *hooks; /* forward (pre-)hooks; NULL: none (owned) */
};

/* A module of a user-defined kind (config: malloc'd or NULL, owned by the
 * module from now on, even on failure). Register its parameters, buffers
 * and children with the calls below. */
ct_module *ct_module_new(const ct_module_vtable *vt, void *config);
void ct_module_free(ct_module *m); /* NULL is fine */

/* Registration (names must be new, non-empty and without '.'): 0 or -1.
 * register_parameter marks t as requiring grad and retains it; a buffer is
 * retained as is; add_child takes ownership of child (freeing it on error). */
int ct_module_register_parameter(ct_module *m, const char *name, ct_tensor *t);
int ct_module_register_buffer(ct_module *m, const char *name, ct_tensor *t);
int ct_module_add_child(ct_module *m, const char *name, ct_module *child);

/* m->vt->forward(m, x), with an error naming the module when it has none. */
ct_tensor *ct_module_forward(ct_module *m, const ct_tensor *x);
const char *ct_module_name(const ct_module *m);

/* Lookups by dotted name ("features.0.weight"); borrowed, NULL (with an
 * error) when absent. */
ct_tensor *ct_module_get_parameter(const ct_module *m, const char *name);
ct_tensor *ct_module_get_buffer(const ct_module *m, const char *name);
ct_module *ct_module_get_submodule(const ct_module *m, const char *name);
/* The i-th direct child (borrowed), NULL when out of range. */
ct_module *ct_module_child(const ct_module *m, int i);
int ct_module_num_children(const ct_module *m);

/* PyTorch's order: a module's own parameters, then its children's,
 * depth-first; a tensor shared by two modules is listed once.
 * parameters: a malloc'd array of borrowed pointers (free() it); *n gets the
 * count. NULL with *n = 0 when there are none (no error), NULL with an error
 * on allocation failure. */
ct_tensor **ct_module_parameters(const ct_module *m, int *n);
int ct_module_num_parameters(const ct_module *m);  /* tensors */
int64_t ct_module_num_elements(const ct_module *m); /* scalars in them */
ct_named_tensors *ct_module_named_parameters(const ct_module *m);
ct_named_tensors *ct_module_named_buffers(const ct_module *m);
/* Parameters and buffers, each module's parameters before its buffers, as
 * torch's state_dict(). The tensors are detached aliases of the module's
 * (sharing storage): writing into them writes the module's values. */
ct_state_dict *ct_module_state_dict(const ct_module *m);
/* Copies the values of sd into the module's parameters and buffers
 * (without recording autograd). Shapes must match; with strict, the keys
 * must match exactly. Nothing is copied when anything is wrong: returns -1
 * with PyTorch's message ("Error(s) in loading state_dict for Sequential:
 * Missing key(s) in state_dict: "0.weight". Unexpected key(s) in
 * state_dict: "x". size mismatch for 0.bias: copying a param with shape
 * [3] from checkpoint, the shape in current model is [4]."). Non-strict
 * loads skip missing and unexpected keys; their counts go to *n_missing and
 * *n_unexpected when given (may be NULL). */
int ct_module_load_state_dict(ct_module *m, const ct_state_dict *sd, bool strict,
                              int *n_missing, int *n_unexpected);

/* Calls fn on m and every descendant, parents first (named_modules'
 * order; name "" for m itself, dotted names below: "features.0"), e.g. to
 * initialise every Conv2d: if (!strcmp(ct_module_name(mod), "Conv2d")) ...
 * Stops at the first fn returning non-zero and returns that value; 0
 * otherwise. */
int ct_module_apply(ct_module *m, int (*fn)(ct_module *mod, const char *name, void *ctx),
                    void *ctx);
/* train(mode) / eval() on m and all its descendants. */
void ct_module_train(ct_module *m, bool mode);
static inline void ct_module_eval(ct_module *m) { ct_module_train(m, false); }
/* Clears the .grad of every parameter: set_to_none drops it (PyTorch 2's
 * default), otherwise it is detached and zeroed in place (1.13's default). */
void ct_module_zero_grad(ct_module *m, bool set_to_none);
/* reset_parameters of m and every descendant, depth-first, drawing from g
 * (NULL: the default generator). 0 or -1. */
int ct_module_reset_parameters(ct_module *m, ct_generator *g);
/* PyTorch's repr(module), e.g. "Sequential(\n  (0): Linear(in_features=3,
 * out_features=2, bias=True)\n)": a malloc'd string (free() it), or NULL
 * on allocation failure. */
char *ct_module_repr(const ct_module *m);
/* Module.to(dtype) / .double() / .float(): converts every floating
 * parameter and buffer (and .grad) of m and its descendants to dt (a
 * floating dtype), keeping the same ct_tensor objects (PyTorch's
 * param.data = ...), so pointers taken before stay valid; aliases taken
 * before (state dicts) keep the old values. 0 or -1. */
int ct_module_to_dtype(ct_module *m, ct_dtype dt);
/* Sets requires_grad of every parameter (Module.requires_grad_). 0 or -1. */
int ct_module_requires_grad_(ct_module *m, bool on);

/* ---------------------------------------------------------------- forward hooks
 * Module.register_forward_pre_hook / register_forward_hook: run by
 * ct_module_forward, in registration order, pre-hooks before the forward
 * and hooks after it. A hook returns 0, or -1 with an error (the forward
 * then fails with it). It may replace the input (pre) or the output (post)
 * by storing a new reference (scope rule) in *replace; leaving *replace
 * NULL keeps the value, as a hook returning None does in PyTorch. ctx is
 * passed through; ctx_free (may be NULL) runs on it when the hook is
 * removed or the module freed. Registration returns a handle > 0 (or -1);
 * ct_module_remove_hook removes either kind by handle (0, or -1 when no
 * hook of m has it). */
typedef int (*ct_forward_pre_hook_fn)(ct_module *m, const ct_tensor *input, ct_tensor **replace,
                                      void *ctx);
typedef int (*ct_forward_hook_fn)(ct_module *m, const ct_tensor *input, const ct_tensor *output,
                                  ct_tensor **replace, void *ctx);
int ct_module_register_forward_pre_hook(ct_module *m, ct_forward_pre_hook_fn fn, void *ctx,
                                        void (*ctx_free)(void *ctx));
int ct_module_register_forward_hook(ct_module *m, ct_forward_hook_fn fn, void *ctx,
                                    void (*ctx_free)(void *ctx));
int ct_module_remove_hook(ct_module *m, int handle);

/* ================================================================ layers
 * PyTorch's constructors; NULL with an error on bad arguments. */

/* nn.Linear(in_features, out_features, bias). weight [out, in], bias [out]. */
ct_module *ct_linear_module(int64_t in_features, int64_t out_features, bool bias);

/* Optional settings of the convolutions; zero fields mean PyTorch's
 * defaults (stride 1, padding 0, dilation 1, groups 1, with bias). */
typedef struct ct_conv_options {
    int64_t stride[2], padding[2], dilation[2], groups;
    const char *padding_str; /* PyTorch's padding="same" / "valid"; NULL: the numbers */
    bool no_bias;             /* bias=False */
} ct_conv_options;
/* nn.Conv2d(in, out, kernel_size, stride, padding): square kernel, equal
 * stride and padding in both dims, dilation 1, groups 1, bias. */
ct_module *ct_conv2d_module(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                            int64_t stride, int64_t padding);
/* The full form: kernel_size (kh, kw); opt may be NULL. */
ct_module *ct_conv2d_module_ex(int64_t in_channels, int64_t out_channels,
                               const int64_t kernel_size[2], const ct_conv_options *opt);
/* nn.Conv1d: opt's first entries of stride/padding/dilation are used. */
ct_module *ct_conv1d_module(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                            const ct_conv_options *opt);

/* nn.MaxPool2d(kernel_size, stride, padding) with square windows; stride 0
 * = kernel_size (PyTorch's stride=None). */
ct_module *ct_max_pool2d_module(int64_t kernel_size, int64_t stride, int64_t padding);
/* Full form: stride NULL = kernel_size, padding NULL = 0, dilation NULL = 1. */
ct_module *ct_max_pool2d_module_ex(const int64_t kernel_size[2], const int64_t stride[2],
                                   const int64_t padding[2], const int64_t dilation[2],
                                   bool ceil_mode);
ct_module *ct_avg_pool2d_module(int64_t kernel_size, int64_t stride, int64_t padding);
/* divisor_override 0 = None. */
ct_module *ct_avg_pool2d_module_ex(const int64_t kernel_size[2], const int64_t stride[2],
                                   const int64_t padding[2], bool ceil_mode,
                                   bool count_include_pad, int64_t divisor_override);
ct_module *ct_adaptive_avg_pool2d_module(int64_t out_h, int64_t out_w);

/* nn.BatchNorm1d/2d(num_features): eps 1e-5, momentum 0.1, affine, tracking
 * running stats. The _ex form: momentum < 0 means None (cumulative moving
 * average, factor 1/num_batches_tracked). */
ct_module *ct_batch_norm1d_module(int64_t num_features);
ct_module *ct_batch_norm2d_module(int64_t num_features);
ct_module *ct_batch_norm1d_module_ex(int64_t num_features, double eps, double momentum,
                                     bool affine, bool track_running_stats);
ct_module *ct_batch_norm2d_module_ex(int64_t num_features, double eps, double momentum,
                                     bool affine, bool track_running_stats);
/* nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine). */
ct_module *ct_layer_norm_module(const int64_t *normalized_shape, int nshape, double eps,
                                bool elementwise_affine);

/* nn.Dropout(p): active in training mode only; draws from the default
 * generator. */
ct_module *ct_dropout_module(double p);

/* Activations (no parameters). */
ct_module *ct_relu_module(void);
ct_module *ct_leaky_relu_module(double negative_slope); /* PyTorch: 0.01 */
ct_module *ct_gelu_module(const char *approximate);     /* "none" (NULL) or "tanh" */
ct_module *ct_silu_module(void);
ct_module *ct_tanh_module(void);
ct_module *ct_sigmoid_module(void);
ct_module *ct_softmax_module(int dim);
ct_module *ct_log_softmax_module(int dim);
ct_module *ct_flatten_module(int start_dim, int end_dim); /* PyTorch: 1, -1 */
ct_module *ct_identity_module(void);

/* nn.Sequential: children named "0", "1", ...; takes ownership of mods[i]
 * (see the ownership note at the top). ct_sequential_append adds one more
 * (taking ownership). */
ct_module *ct_sequential(int n, ct_module *const *mods);
int ct_sequential_append(ct_module *seq, ct_module *child);

/* nn.ModuleList: children named "0", "1", ... (ownership as Sequential);
 * it has no forward (ct_module_forward fails, as PyTorch's raises).
 * Children are reached with ct_module_child / ct_module_num_children.
 * insert puts child before index (negative counts from the end, clamped
 * like list.insert) and renumbers the following children. */
ct_module *ct_module_list(int n, ct_module *const *mods);
int ct_module_list_append(ct_module *list, ct_module *child);
int ct_module_list_insert(ct_module *list, int index, ct_module *child);
/* nn.ModuleDict: children under keys[i], in order (ownership as
 * Sequential; keys must be valid child names). No forward. set adds a new
 * key at the end or replaces (and frees) the child of an existing key,
 * keeping its position; get is borrowed (NULL with a KeyError-style error
 * when absent); remove frees the child (0, or -1 when absent). */
ct_module *ct_module_dict(int n, const char *const *keys, ct_module *const *mods);
int ct_module_dict_set(ct_module *dict, const char *key, ct_module *child);
ct_module *ct_module_dict_get(const ct_module *dict, const char *key);
int ct_module_dict_remove(ct_module *dict, const char *key);

#ifdef __cplusplus
}
#endif
#endif
