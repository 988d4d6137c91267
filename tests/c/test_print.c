/* Printing. Every expected string below is repr(t) printed by Debian's
 * PyTorch 1.13 (/usr/bin/python3) for the same tensor, with the same
 * torch.set_printoptions where a test sets options; the tensors are built
 * from the exact values PyTorch held. */
#include "harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* Checks ct_format(t, o) == want, reporting both on mismatch. */
#define expect_repr(t, o, want)                                                    \
    do {                                                                           \
        char *got_ = ct_format((t), (o));                                          \
        CHECK_OK(got_);                                                            \
        if (strcmp(got_, (want)) != 0) {                                           \
            ct_test_fail(__FILE__, __LINE__, "repr is\n%s\nexpected\n%s", got_, (want)); \
            free(got_);                                                            \
            return;                                                                \
        }                                                                          \
        free(got_);                                                                \
    } while (0)

/* In-place float32 division, rounding like PyTorch's t / k. */
static ct_tensor *div_f32(ct_tensor *t, float k) {
    float *p = ct_data_ptr(t);
    for (int64_t i = 0; i < t->numel; i++) p[i] = p[i] / k;
    return t;
}
static ct_tensor *tt_div3(ct_tensor *t) { return div_f32(t, 3.0f); }
static ct_tensor *tt_div7(ct_tensor *t) { return div_f32(t, 7.0f); }

TEST(print, floats_fixed_point) {
    ct_tensor *t = tt_tensor(VALS(1.5, -2.25, 3.125), SHAPE(3), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([ 1.5000, -2.2500,  3.1250])");
}

TEST(print, integer_valued_floats) {
    ct_tensor *t = tt_tensor(VALS(1.0, 2.0, 3.0), SHAPE(3), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([1., 2., 3.])");
}

TEST(print, matrix) {
    ct_tensor *t = tt_tensor(VALS(1.0, 2.0, 3.0, 4.0), SHAPE(2, 2), 2, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([[1., 2.],\n"
        "        [3., 4.]])");
}

TEST(print, small_value_goes_scientific) {
    ct_tensor *t = tt_tensor(VALS(9.999999747378752e-06, 1.0), SHAPE(2), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([1.0000e-05, 1.0000e+00])");
}

TEST(print, large_ratio_integers_go_scientific) {
    ct_tensor *t = tt_tensor(VALS(10000000000.0, 1.0), SHAPE(2), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([1.0000e+10, 1.0000e+00])");
}

TEST(print, above_1e8_goes_scientific) {
    ct_tensor *t = tt_tensor(VALS(123456792.0, 1.5), SHAPE(2), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([1.2346e+08, 1.5000e+00])");
}

TEST(print, decades) {
    ct_tensor *t = tt_tensor(VALS(0.10000000149011612, 0.009999999776482582, 0.0010000000474974513), SHAPE(3), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([0.1000, 0.0100, 0.0010])");
}

TEST(print, int64) {
    ct_tensor *t = tt_tensor(VALS(1.0, 2.0, 300.0), SHAPE(3), 1, CT_INT64);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([  1,   2, 300])");
}

TEST(print, int32_negative) {
    ct_tensor *t = tt_tensor(VALS(-1.0, 2.0), SHAPE(2), 1, CT_INT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([-1,  2], dtype=torch.int32)");
}

TEST(print, bool_mixed) {
    ct_tensor *t = tt_tensor(VALS(1, 0), SHAPE(2), 1, CT_BOOL);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([ True, False])");
}

TEST(print, bool_all_true) {
    ct_tensor *t = tt_tensor(VALS(1, 1), SHAPE(2), 1, CT_BOOL);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([True, True])");
}

TEST(print, float64_suffix) {
    ct_tensor *t = tt_tensor(VALS(1.5, 2.5), SHAPE(2), 1, CT_FLOAT64);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([1.5000, 2.5000], dtype=torch.float64)");
}

TEST(print, zero_d_integer_valued) {
    ct_tensor *t = tt_tensor(VALS(3.0), NULL, 0, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor(3.)");
}

TEST(print, zero_d_fraction) {
    ct_tensor *t = tt_tensor(VALS(3.5), NULL, 0, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor(3.5000)");
}

TEST(print, zero_d_int) {
    ct_tensor *t = tt_tensor(VALS(7.0), NULL, 0, CT_INT64);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor(7)");
}

TEST(print, zero_d_small_float64) {
    ct_tensor *t = tt_tensor(VALS(1.25e-07), NULL, 0, CT_FLOAT64);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor(1.2500e-07, dtype=torch.float64)");
}

TEST(print, empty_1d) {
    ct_tensor *t = ct_zeros(SHAPE(0), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([])");
}

TEST(print, empty_2d_shows_size) {
    ct_tensor *t = ct_zeros(SHAPE(0, 3), 2, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([], size=(0, 3))");
}

TEST(print, empty_int64_shows_dtype) {
    ct_tensor *t = ct_zeros(SHAPE(0), 1, CT_INT64);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([], dtype=torch.int64)");
}

TEST(print, empty_3d_float64) {
    ct_tensor *t = ct_zeros(SHAPE(2, 0, 3), 3, CT_FLOAT64);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([], size=(2, 0, 3), dtype=torch.float64)");
}

TEST(print, nan_inf_integer_mode) {
    ct_tensor *t = tt_tensor(VALS(NAN, 1.0, INFINITY, -INFINITY), SHAPE(4), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([nan, 1., inf, -inf])");
}

TEST(print, nan_fraction) {
    ct_tensor *t = tt_tensor(VALS(NAN, 1.5, -0.25), SHAPE(3), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([    nan,  1.5000, -0.2500])");
}

TEST(print, all_nan) {
    ct_tensor *t = tt_tensor(VALS(NAN, NAN), SHAPE(2), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([nan, nan])");
}

TEST(print, zeros) {
    ct_tensor *t = tt_tensor(VALS(0.0, 0.0, 0.0, 0.0, 0.0, 0.0), SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([[0., 0., 0.],\n"
        "        [0., 0., 0.]])");
}

TEST(print, negative_zero) {
    ct_tensor *t = tt_tensor(VALS(0.0, -0.0, 1.5), SHAPE(3), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([0.0000, -0.0000, 1.5000])");
}

TEST(print, float16) {
    ct_tensor *t = tt_tensor(VALS(1.0, 2.5), SHAPE(2), 1, CT_FLOAT16);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([1.0000, 2.5000], dtype=torch.float16)");
}

TEST(print, bfloat16_sci) {
    ct_tensor *t = tt_tensor(VALS(0.00099945068359375, 300.0), SHAPE(2), 1, CT_BFLOAT16);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([9.9945e-04, 3.0000e+02], dtype=torch.bfloat16)");
}

TEST(print, mixed_magnitudes_sci) {
    ct_tensor *t = tt_tensor(VALS(100000.0, 0.0010000000474974513, -3.5), SHAPE(3), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([ 1.0000e+05,  1.0000e-03, -3.5000e+00])");
}

TEST(print, float64_matrix_sci) {
    ct_tensor *t = tt_tensor(VALS(1e-10, 1.0, 2.0, 3.0), SHAPE(2, 2), 2, CT_FLOAT64);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([[1.0000e-10, 1.0000e+00],\n"
        "        [2.0000e+00, 3.0000e+00]], dtype=torch.float64)");
}

TEST(print, uint8) {
    ct_tensor *t = tt_tensor(VALS(0.0, 255.0, 7.0), SHAPE(3), 1, CT_UINT8);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([  0, 255,   7], dtype=torch.uint8)");
}

TEST(print, int8_negative) {
    ct_tensor *t = tt_tensor(VALS(-128.0, 5.0, 127.0), SHAPE(3), 1, CT_INT8);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([-128,    5,  127], dtype=torch.int8)");
}

TEST(print, big_int64) {
    ct_tensor *t = tt_tensor(VALS(1099511627776.0, -5.0), SHAPE(2), 1, CT_INT64);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([1099511627776,            -5])");
}

TEST(print, wraps_at_linewidth) {
    ct_tensor *t = tt_tensor(VALS(0.0, 0.1428571492433548, 0.2857142984867096, 0.4285714328289032, 0.5714285969734192, 0.7142857313156128, 0.8571428656578064, 1.0, 1.1428571939468384, 1.2857142686843872, 1.4285714626312256, 1.5714285373687744, 1.7142857313156128, 1.8571428060531616, 2.0, 2.142857074737549, 2.2857143878936768, 2.4285714626312256, 2.5714285373687744, 2.7142856121063232, 2.857142925262451, 3.0, 3.142857074737549, 3.2857143878936768, 3.4285714626312256, 3.5714285373687744, 3.7142856121063232, 3.857142925262451, 4.0, 4.142857074737549), SHAPE(30), 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
        "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
        "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n"
        "        3.8571, 4.0000, 4.1429])");
}

TEST(print, float64_wraps) {
    ct_tensor *t = tt_tensor(VALS(-1.0, -0.9166666666666666, -0.8333333333333334, -0.75, -0.6666666666666667, -0.5833333333333334, -0.5000000000000001, -0.41666666666666674, -0.33333333333333337, -0.25000000000000006, -0.1666666666666667, -0.08333333333333337, 5.551115123125783e-17, 0.08333333333333338, 0.1666666666666667, 0.25000000000000006, 0.33333333333333337, 0.4166666666666667, 0.5, 0.5833333333333334, 0.6666666666666667, 0.7500000000000001, 0.8333333333333334, 0.9166666666666667, 1.0), SHAPE(25), 1, CT_FLOAT64);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([-1.0000e+00, -9.1667e-01, -8.3333e-01, -7.5000e-01, -6.6667e-01,\n"
        "        -5.8333e-01, -5.0000e-01, -4.1667e-01, -3.3333e-01, -2.5000e-01,\n"
        "        -1.6667e-01, -8.3333e-02,  5.5511e-17,  8.3333e-02,  1.6667e-01,\n"
        "         2.5000e-01,  3.3333e-01,  4.1667e-01,  5.0000e-01,  5.8333e-01,\n"
        "         6.6667e-01,  7.5000e-01,  8.3333e-01,  9.1667e-01,  1.0000e+00],\n"
        "       dtype=torch.float64)");
}

TEST(print, three_d) {
    ct_tensor *t = tt_tensor(VALS(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0), SHAPE(2, 3, 4), 3, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([[[ 0.,  1.,  2.,  3.],\n"
        "         [ 4.,  5.,  6.,  7.],\n"
        "         [ 8.,  9., 10., 11.]],\n"
        "\n"
        "        [[12., 13., 14., 15.],\n"
        "         [16., 17., 18., 19.],\n"
        "         [20., 21., 22., 23.]]])");
}

TEST(print, transposed) {
    ct_tensor *t = ct_t(ct_reshape(ct_arange(0, 6, 1, CT_FLOAT32), SHAPE(2, 3), 2));
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([[0., 3.],\n"
        "        [1., 4.],\n"
        "        [2., 5.]])");
}

TEST(print, summarized_1d) {
    ct_tensor *t = ct_arange(0, 2000, 1, CT_FLOAT32);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])");
}

TEST(print, summarized_2d_int) {
    ct_tensor *t = ct_reshape(ct_arange_int(0, 10000, 1, CT_INT64), SHAPE(100, 100), 2);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([[   0,    1,    2,  ...,   97,   98,   99],\n"
        "        [ 100,  101,  102,  ...,  197,  198,  199],\n"
        "        [ 200,  201,  202,  ...,  297,  298,  299],\n"
        "        ...,\n"
        "        [9700, 9701, 9702,  ..., 9797, 9798, 9799],\n"
        "        [9800, 9801, 9802,  ..., 9897, 9898, 9899],\n"
        "        [9900, 9901, 9902,  ..., 9997, 9998, 9999]])");
}

TEST(print, summarized_3d) {
    ct_tensor *t = ct_reshape(tt_div3(ct_arange(0, 1200, 1, CT_FLOAT32)), SHAPE(2, 2, 300), 3);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([[[0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 9.9000e+01,\n"
        "          9.9333e+01, 9.9667e+01],\n"
        "         [1.0000e+02, 1.0033e+02, 1.0067e+02,  ..., 1.9900e+02,\n"
        "          1.9933e+02, 1.9967e+02]],\n"
        "\n"
        "        [[2.0000e+02, 2.0033e+02, 2.0067e+02,  ..., 2.9900e+02,\n"
        "          2.9933e+02, 2.9967e+02],\n"
        "         [3.0000e+02, 3.0033e+02, 3.0067e+02,  ..., 3.9900e+02,\n"
        "          3.9933e+02, 3.9967e+02]]])");
}

TEST(print, summarized_4d_int32) {
    ct_tensor *t = ct_reshape(ct_arange_int(0, 1008, 1, CT_INT32), SHAPE(8, 7, 2, 9), 4);
    CHECK_OK(t);
    expect_repr(t, NULL,
        "tensor([[[[   0,    1,    2,  ...,    6,    7,    8],\n"
        "          [   9,   10,   11,  ...,   15,   16,   17]],\n"
        "\n"
        "         [[  18,   19,   20,  ...,   24,   25,   26],\n"
        "          [  27,   28,   29,  ...,   33,   34,   35]],\n"
        "\n"
        "         [[  36,   37,   38,  ...,   42,   43,   44],\n"
        "          [  45,   46,   47,  ...,   51,   52,   53]],\n"
        "\n"
        "         ...,\n"
        "\n"
        "         [[  72,   73,   74,  ...,   78,   79,   80],\n"
        "          [  81,   82,   83,  ...,   87,   88,   89]],\n"
        "\n"
        "         [[  90,   91,   92,  ...,   96,   97,   98],\n"
        "          [  99,  100,  101,  ...,  105,  106,  107]],\n"
        "\n"
        "         [[ 108,  109,  110,  ...,  114,  115,  116],\n"
        "          [ 117,  118,  119,  ...,  123,  124,  125]]],\n"
        "\n"
        "\n"
        "        [[[ 126,  127,  128,  ...,  132,  133,  134],\n"
        "          [ 135,  136,  137,  ...,  141,  142,  143]],\n"
        "\n"
        "         [[ 144,  145,  146,  ...,  150,  151,  152],\n"
        "          [ 153,  154,  155,  ...,  159,  160,  161]],\n"
        "\n"
        "         [[ 162,  163,  164,  ...,  168,  169,  170],\n"
        "          [ 171,  172,  173,  ...,  177,  178,  179]],\n"
        "\n"
        "         ...,\n"
        "\n"
        "         [[ 198,  199,  200,  ...,  204,  205,  206],\n"
        "          [ 207,  208,  209,  ...,  213,  214,  215]],\n"
        "\n"
        "         [[ 216,  217,  218,  ...,  222,  223,  224],\n"
        "          [ 225,  226,  227,  ...,  231,  232,  233]],\n"
        "\n"
        "         [[ 234,  235,  236,  ...,  240,  241,  242],\n"
        "          [ 243,  244,  245,  ...,  249,  250,  251]]],\n"
        "\n"
        "\n"
        "        [[[ 252,  253,  254,  ...,  258,  259,  260],\n"
        "          [ 261,  262,  263,  ...,  267,  268,  269]],\n"
        "\n"
        "         [[ 270,  271,  272,  ...,  276,  277,  278],\n"
        "          [ 279,  280,  281,  ...,  285,  286,  287]],\n"
        "\n"
        "         [[ 288,  289,  290,  ...,  294,  295,  296],\n"
        "          [ 297,  298,  299,  ...,  303,  304,  305]],\n"
        "\n"
        "         ...,\n"
        "\n"
        "         [[ 324,  325,  326,  ...,  330,  331,  332],\n"
        "          [ 333,  334,  335,  ...,  339,  340,  341]],\n"
        "\n"
        "         [[ 342,  343,  344,  ...,  348,  349,  350],\n"
        "          [ 351,  352,  353,  ...,  357,  358,  359]],\n"
        "\n"
        "         [[ 360,  361,  362,  ...,  366,  367,  368],\n"
        "          [ 369,  370,  371,  ...,  375,  376,  377]]],\n"
        "\n"
        "\n"
        "        ...,\n"
        "\n"
        "\n"
        "        [[[ 630,  631,  632,  ...,  636,  637,  638],\n"
        "          [ 639,  640,  641,  ...,  645,  646,  647]],\n"
        "\n"
        "         [[ 648,  649,  650,  ...,  654,  655,  656],\n"
        "          [ 657,  658,  659,  ...,  663,  664,  665]],\n"
        "\n"
        "         [[ 666,  667,  668,  ...,  672,  673,  674],\n"
        "          [ 675,  676,  677,  ...,  681,  682,  683]],\n"
        "\n"
        "         ...,\n"
        "\n"
        "         [[ 702,  703,  704,  ...,  708,  709,  710],\n"
        "          [ 711,  712,  713,  ...,  717,  718,  719]],\n"
        "\n"
        "         [[ 720,  721,  722,  ...,  726,  727,  728],\n"
        "          [ 729,  730,  731,  ...,  735,  736,  737]],\n"
        "\n"
        "         [[ 738,  739,  740,  ...,  744,  745,  746],\n"
        "          [ 747,  748,  749,  ...,  753,  754,  755]]],\n"
        "\n"
        "\n"
        "        [[[ 756,  757,  758,  ...,  762,  763,  764],\n"
        "          [ 765,  766,  767,  ...,  771,  772,  773]],\n"
        "\n"
        "         [[ 774,  775,  776,  ...,  780,  781,  782],\n"
        "          [ 783,  784,  785,  ...,  789,  790,  791]],\n"
        "\n"
        "         [[ 792,  793,  794,  ...,  798,  799,  800],\n"
        "          [ 801,  802,  803,  ...,  807,  808,  809]],\n"
        "\n"
        "         ...,\n"
        "\n"
        "         [[ 828,  829,  830,  ...,  834,  835,  836],\n"
        "          [ 837,  838,  839,  ...,  843,  844,  845]],\n"
        "\n"
        "         [[ 846,  847,  848,  ...,  852,  853,  854],\n"
        "          [ 855,  856,  857,  ...,  861,  862,  863]],\n"
        "\n"
        "         [[ 864,  865,  866,  ...,  870,  871,  872],\n"
        "          [ 873,  874,  875,  ...,  879,  880,  881]]],\n"
        "\n"
        "\n"
        "        [[[ 882,  883,  884,  ...,  888,  889,  890],\n"
        "          [ 891,  892,  893,  ...,  897,  898,  899]],\n"
        "\n"
        "         [[ 900,  901,  902,  ...,  906,  907,  908],\n"
        "          [ 909,  910,  911,  ...,  915,  916,  917]],\n"
        "\n"
        "         [[ 918,  919,  920,  ...,  924,  925,  926],\n"
        "          [ 927,  928,  929,  ...,  933,  934,  935]],\n"
        "\n"
        "         ...,\n"
        "\n"
        "         [[ 954,  955,  956,  ...,  960,  961,  962],\n"
        "          [ 963,  964,  965,  ...,  969,  970,  971]],\n"
        "\n"
        "         [[ 972,  973,  974,  ...,  978,  979,  980],\n"
        "          [ 981,  982,  983,  ...,  987,  988,  989]],\n"
        "\n"
        "         [[ 990,  991,  992,  ...,  996,  997,  998],\n"
        "          [ 999, 1000, 1001,  ..., 1005, 1006, 1007]]]], dtype=torch.int32)");
}

TEST(print, precision_2) {
    ct_tensor *t = tt_tensor(VALS(1.2345600128173828, -7.890999794006348), SHAPE(2), 1, CT_FLOAT32);
    CHECK_OK(t);
    ct_print_options o = CT_PRINT_OPTIONS_DEFAULT; o.precision = 2;
    expect_repr(t, &o,
        "tensor([ 1.23, -7.89])");
}

TEST(print, linewidth_40) {
    ct_tensor *t = tt_tensor(VALS(0.0, 0.3333333432674408, 0.6666666865348816, 1.0, 1.3333333730697632, 1.6666666269302368, 2.0, 2.3333332538604736, 2.6666667461395264, 3.0, 3.3333332538604736, 3.6666667461395264, 4.0, 4.333333492279053, 4.666666507720947, 5.0, 5.333333492279053, 5.666666507720947, 6.0, 6.333333492279053), SHAPE(20), 1, CT_FLOAT32);
    CHECK_OK(t);
    ct_print_options o = CT_PRINT_OPTIONS_DEFAULT; o.linewidth = 40;
    expect_repr(t, &o,
        "tensor([0.0000, 0.3333, 0.6667, 1.0000,\n"
        "        1.3333, 1.6667, 2.0000, 2.3333,\n"
        "        2.6667, 3.0000, 3.3333, 3.6667,\n"
        "        4.0000, 4.3333, 4.6667, 5.0000,\n"
        "        5.3333, 5.6667, 6.0000, 6.3333])");
}

TEST(print, sci_mode_forced_off) {
    ct_tensor *t = tt_tensor(VALS(9.999999747378752e-06, 1.0), SHAPE(2), 1, CT_FLOAT32);
    CHECK_OK(t);
    ct_print_options o = CT_PRINT_OPTIONS_DEFAULT; o.sci_mode = 0;
    expect_repr(t, &o,
        "tensor([    0.0000,     1.0000])");
}

TEST(print, sci_mode_forced_on) {
    ct_tensor *t = tt_tensor(VALS(1.5, 2.0), SHAPE(2), 1, CT_FLOAT32);
    CHECK_OK(t);
    ct_print_options o = CT_PRINT_OPTIONS_DEFAULT; o.sci_mode = 1;
    expect_repr(t, &o,
        "tensor([1.5000e+00, 2.0000e+00])");
}

TEST(print, threshold_5_edgeitems_2) {
    ct_tensor *t = ct_arange_int(0, 10, 1, CT_INT64);
    CHECK_OK(t);
    ct_print_options o = CT_PRINT_OPTIONS_DEFAULT; o.threshold = 5; o.edgeitems = 2;
    expect_repr(t, &o,
        "tensor([0, 1,  ..., 8, 9])");
}

TEST(print, suffix_requires_grad) {
    ct_tensor *t = tt_tensor(VALS(1.0, 2.0), SHAPE(2), 1, CT_FLOAT32);
    CHECK_OK(t);
    ct_print_options o = CT_PRINT_OPTIONS_DEFAULT; o.suffix = "requires_grad=True";
    expect_repr(t, &o,
        "tensor([1., 2.], requires_grad=True)");
}

TEST(print, suffix_after_dtype) {
    ct_tensor *t = tt_tensor(VALS(1.0, 2.0), SHAPE(2), 1, CT_FLOAT64);
    CHECK_OK(t);
    ct_print_options o = CT_PRINT_OPTIONS_DEFAULT; o.suffix = "requires_grad=True";
    expect_repr(t, &o,
        "tensor([1., 2.], dtype=torch.float64, requires_grad=True)");
}

TEST(print, suffix_wraps_to_new_line) {
    ct_tensor *t = tt_div7(ct_arange(0, 9, 1, CT_FLOAT32));
    CHECK_OK(t);
    ct_print_options o = CT_PRINT_OPTIONS_DEFAULT; o.suffix = "grad_fn=<MulBackward0>";
    expect_repr(t, &o,
        "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429],\n"
        "       grad_fn=<MulBackward0>)");
}

TEST(print, suffix_zero_d) {
    ct_tensor *t = tt_tensor(VALS(2.5), NULL, 0, CT_FLOAT32);
    CHECK_OK(t);
    ct_print_options o = CT_PRINT_OPTIONS_DEFAULT; o.suffix = "requires_grad=True";
    expect_repr(t, &o,
        "tensor(2.5000, requires_grad=True)");
}


TEST(print, strided_slice) {
    /* torch.arange(12.).reshape(3, 4)[:, ::2] */
    ct_tensor *t = ct_slice(ct_reshape(ct_arange(0, 12, 1, CT_FLOAT32), SHAPE(3, 4), 2), 1, 0, 4, 2);
    expect_repr(t, NULL,
        "tensor([[ 0.,  2.],\n"
        "        [ 4.,  6.],\n"
        "        [ 8., 10.]])");
}

TEST(print, bool_matrix) {
    ct_tensor *t = tt_tensor(VALS(1, 0, 0, 1), SHAPE(2, 2), 2, CT_BOOL);
    expect_repr(t, NULL,
        "tensor([[ True, False],\n"
        "        [False,  True]])");
}

TEST(print, dtype_suffix_follows_the_default_dtype) {
    /* torch.set_default_dtype(torch.float64), then repr of
     * torch.tensor([1.5], dtype=torch.float32), torch.tensor([1.5]) and
     * torch.zeros(0, dtype=torch.float32) */
    ct_set_default_dtype(CT_FLOAT64);
    char *a = ct_format(tt_tensor(VALS(1.5), SHAPE(1), 1, CT_FLOAT32), NULL);
    char *b = ct_format(tt_tensor(VALS(1.5), SHAPE(1), 1, CT_FLOAT64), NULL);
    char *c = ct_format(ct_zeros(SHAPE(0), 1, CT_FLOAT32), NULL);
    ct_set_default_dtype(CT_FLOAT32);
    int ok = a && b && c && strcmp(a, "tensor([1.5000], dtype=torch.float32)") == 0 &&
             strcmp(b, "tensor([1.5000])") == 0 && strcmp(c, "tensor([], dtype=torch.float32)") == 0;
    free(a);
    free(b);
    free(c);
    CHECK(ok);
}

TEST(print, global_options_apply_to_null_options) {
    ct_print_options o = CT_PRINT_OPTIONS_DEFAULT;
    o.precision = 2;
    ct_set_printoptions(&o);
    CHECK(ct_get_printoptions().precision == 2);
    char *s = ct_format(tt_tensor(VALS(1.23456, -7.891), SHAPE(2), 1, CT_FLOAT32), NULL);
    ct_set_printoptions(NULL);
    CHECK(ct_get_printoptions().precision == 4 && ct_get_printoptions().threshold == 1000);
    int ok = s && strcmp(s, "tensor([ 1.23, -7.89])") == 0;
    free(s);
    CHECK(ok);
}

TEST(print, print_writes_repr_and_newline_to_stdout) {
    /* stdout goes to a temporary file for the call */
    char path[] = "/tmp/ct_print_testXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    fflush(stdout);
    int saved = dup(1);
    dup2(fd, 1);
    int rc = ct_print(tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT32));
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    char buf[128] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    CHECK(rc == 0 && n > 0);
    CHECK(strcmp(buf, "tensor([1, 2], dtype=torch.int32)\n") == 0);
}
