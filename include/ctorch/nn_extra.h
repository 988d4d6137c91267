/* More nn functional ops (torch.nn.functional): resampling, pixel
 * shuffles, one_hot, max_unpool, bilinear and the remaining losses.
 * Ownership: see core.h. Ops are listed in ctorch/def/nn_extra.def (with
 * what each records for autograd). */
#ifndef CTORCH_NN_EXTRA_H
#define CTORCH_NN_EXTRA_H

#include "ctorch/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- resampling
 * x is [N, C, *spatial] with k = 1, 2 or 3 spatial dims; output_size holds
 * the k output sizes (> 0). scales (may be NULL) holds k scale factors, 0 =
 * none: as PyTorch's scales_* arguments, a scale s > 0 replaces in/out by
 * 1/s when mapping output positions to sources (interpolate passes them
 * when recompute_scale_factor is not set). Nearest takes float32, float64
 * and uint8; bilinear float32 and float64. */
ct_tensor *ct_upsample_nearest1d(const ct_tensor *x, const int64_t output_size[1],
                                 const double scales[1]);
ct_tensor *ct_upsample_nearest2d(const ct_tensor *x, const int64_t output_size[2],
                                 const double scales[2]);
ct_tensor *ct_upsample_nearest3d(const ct_tensor *x, const int64_t output_size[3],
                                 const double scales[3]);
/* Their gradients: grad_out [N, C, *out_spatial] summed into zeros of
 * input_size (k + 2 sizes, as PyTorch's input_size). Linear in grad_out and
 * differentiable (their derivative is the forward op). */
ct_tensor *ct_upsample_nearest1d_backward(const ct_tensor *grad_out, const int64_t input_size[3],
                                          const double scales[1]);
ct_tensor *ct_upsample_nearest2d_backward(const ct_tensor *grad_out, const int64_t input_size[4],
                                          const double scales[2]);
ct_tensor *ct_upsample_nearest3d_backward(const ct_tensor *grad_out, const int64_t input_size[5],
                                          const double scales[3]);
/* Bilinear resampling of [N, C, H, W] (PyTorch's CPU arithmetic, in the
 * input's precision); with align_corners the scales are ignored. */
ct_tensor *ct_upsample_bilinear2d(const ct_tensor *x, const int64_t output_size[2],
                                  bool align_corners, const double scales[2]);
ct_tensor *ct_upsample_bilinear2d_backward(const ct_tensor *grad_out, const int64_t input_size[4],
                                           bool align_corners, const double scales[2]);

/* ---------------------------------------------------------------- shuffles, one_hot, unpool */
/* F.pixel_shuffle: [*, C r^2, H, W] -> [*, C, H r, W r]; composed of
 * reshape and permute (r > 0). */
ct_tensor *ct_pixel_shuffle(const ct_tensor *x, int64_t upscale_factor);
/* F.pixel_unshuffle: [*, C, H r, W r] -> [*, C r^2, H, W]. */
ct_tensor *ct_pixel_unshuffle(const ct_tensor *x, int64_t downscale_factor);
/* F.one_hot: int64 x of any shape -> int64 [*x.shape, num_classes];
 * num_classes = -1 infers max(x) + 1. */
ct_tensor *ct_one_hot(const ct_tensor *x, int64_t num_classes);
/* F.max_unpool2d with the output size given: x [N, C, H, W] or [C, H, W],
 * indices int64 of x's shape (flat oh * OW + ow within each plane, as
 * max_pool2d returns them); zeros elsewhere. */
ct_tensor *ct_max_unpool2d(const ct_tensor *x, const ct_tensor *indices,
                           const int64_t output_size[2]);
/* F.max_unpool1d: x [N, C, L] or [C, L]; max_unpool2d over a trailing dim
 * of size 1 (as PyTorch does). */
ct_tensor *ct_max_unpool1d(const ct_tensor *x, const ct_tensor *indices, int64_t output_size);
/* Output size of max_unpool for kernel k, stride s, padding p (PyTorch's
 * default): (in - 1) * s + k - 2 p. */
int64_t ct_max_unpool_default_size(int64_t in, int64_t k, int64_t s, int64_t p);

/* F.bilinear: x1 [*, in1], x2 [*, in2] (same batch dims), weight
 * [out, in1, in2], bias [out] or NULL -> [*, out]. Composed of einsum. */
ct_tensor *ct_bilinear(const ct_tensor *x1, const ct_tensor *x2, const ct_tensor *weight,
                       const ct_tensor *bias);

/* ---------------------------------------------------------------- losses
 * Composed of public differentiable ops, as PyTorch composes them (any
 * order of derivatives). reduction is a ct_reduction. */
/* max(0, -target * (x1 - x2) + margin); x1, x2, target of one ndim. */
ct_tensor *ct_margin_ranking_loss(const ct_tensor *x1, const ct_tensor *x2, const ct_tensor *target,
                                  double margin, int reduction);
/* max(0, margin + d(a, pos) - d(a, neg)), d(u, v) = ||u - v + eps||_p over
 * the last dim; swap: d(a, neg) = min(d(a, neg), d(pos, neg)). */
ct_tensor *ct_triplet_margin_loss(const ct_tensor *anchor, const ct_tensor *positive,
                                  const ct_tensor *negative, double margin, double p, double eps,
                                  bool swap, int reduction);
/* x1, x2 [N, D] with target [N] of +-1, or [D] with a 0-d target. */
ct_tensor *ct_cosine_embedding_loss(const ct_tensor *x1, const ct_tensor *x2,
                                    const ct_tensor *target, double margin, int reduction);
ct_tensor *ct_hinge_embedding_loss(const ct_tensor *x, const ct_tensor *target, double margin,
                                   int reduction);
/* log(1 + exp(-target * x)). */
ct_tensor *ct_soft_margin_loss(const ct_tensor *x, const ct_tensor *target, int reduction);
/* -(t logsigmoid(x) + (1 - t) logsigmoid(-x)) * weight, averaged over the
 * last (class) dim; weight may be NULL. */
ct_tensor *ct_multilabel_soft_margin_loss(const ct_tensor *x, const ct_tensor *target,
                                          const ct_tensor *weight, int reduction);
/* log_input: exp(x) - t x; else x - t log(x + eps); full adds Stirling's
 * term where t > 1. */
ct_tensor *ct_poisson_nll_loss(const ct_tensor *x, const ct_tensor *target, bool log_input,
                               bool full, double eps, int reduction);
/* 0.5 (log(max(var, eps)) + (x - t)^2 / max(var, eps)) (+ 0.5 log(2 pi) if
 * full); var of x's shape, or one dim short of it, or with a last dim of 1.
 * The clamp is not differentiated (PyTorch clamps under no_grad). */
ct_tensor *ct_gaussian_nll_loss(const ct_tensor *x, const ct_tensor *target, const ct_tensor *var,
                                bool full, double eps, int reduction);
/* x [N, C] or [C] or 0-d, target int64 [N] (or 0-d / [1]); weight [C] or
 * NULL; p = 1 or 2. */
ct_tensor *ct_multi_margin_loss(const ct_tensor *x, const ct_tensor *target, int64_t p,
                                double margin, const ct_tensor *weight, int reduction);
/* x [N, C] or [C]; target int64 of x's shape: class indices ended by the
 * first -1. */
ct_tensor *ct_multilabel_margin_loss(const ct_tensor *x, const ct_tensor *target, int reduction);

#ifdef __cplusplus
}
#endif
#endif
