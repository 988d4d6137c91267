/* Image decoding and image functions of the data family: owned results
 * (not in any scope) for code inside src/data/. */
#ifndef CT_DATA_IMAGE_H
#define CT_DATA_IMAGE_H

#include "data_internal.h"

ct_tensor *ct__image_read_owned(const char *path, ct_image_mode mode);
/* Reads a whole file (malloc'd, *len bytes); NULL with "<who>: ..." error. */
uint8_t *ct__read_file(const char *path, size_t *len, const char *who);

ct_tensor *ct__image_resize(const ct_tensor *x, int64_t oh, int64_t ow, ct_interp interp,
                            bool antialias);
ct_tensor *ct__image_crop(const ct_tensor *x, int64_t top, int64_t left, int64_t h, int64_t w);
ct_tensor *ct__image_center_crop(const ct_tensor *x, int64_t ch, int64_t cw);
ct_tensor *ct__image_pad(const ct_tensor *x, const int64_t ltrb[4], double fill,
                         ct_padding_mode mode);
ct_tensor *ct__image_hflip(const ct_tensor *x);
ct_tensor *ct__image_vflip(const ct_tensor *x);
ct_tensor *ct__image_adjust_brightness(const ct_tensor *x, double f);
ct_tensor *ct__image_adjust_contrast(const ct_tensor *x, double f);
ct_tensor *ct__image_adjust_saturation(const ct_tensor *x, double f);
ct_tensor *ct__image_adjust_hue(const ct_tensor *x, double hue_factor);
ct_tensor *ct__image_rgb_to_grayscale(const ct_tensor *x, int num_output_channels);

#endif
