/* Kernel launches and dynamic shared memory through macros, so that the
 * same .cu source builds with nvcc and under the CPU emulator (g++ with
 * src/cuda/emu/cuda_emu.hh force-included: `make test-cuda-emu`), which
 * cannot parse `<<<>>>`.
 *
 *   CT_LAUNCH(kernel, grid, block, shmem, stream, args...)
 *       kernel<<<grid, block, shmem, stream>>>(args...)
 *   CT_LAUNCH((kern<T, A>), ...)   a name with commas goes in parentheses
 *   CT_DYNAMIC_SHARED(T, name);    extern __shared__ T name[];
 *
 * The emulator build fails on any `<<<` or `extern __shared__` left in a
 * .cu file; src/cuda/emu/convert_launches.pl rewrites launches. */
#ifndef CTORCH_CUDA_LAUNCH_H
#define CTORCH_CUDA_LAUNCH_H

/* CT__DEPAREN((a<b, c>)) is a<b, c>; CT__DEPAREN(a) is a. */
#define CT__DEPAREN(X) CT__DEPAREN_ESC(CT__DEPAREN_ISH X)
#define CT__DEPAREN_ISH(...) CT__DEPAREN_ISH __VA_ARGS__
#define CT__DEPAREN_ESC(...) CT__DEPAREN_ESC_(__VA_ARGS__)
#define CT__DEPAREN_ESC_(...) CT__DEPAREN_VAN##__VA_ARGS__
#define CT__DEPAREN_VANCT__DEPAREN_ISH

#ifdef CT_CUDA_EMU
#define CT_LAUNCH(kernel, grid, block, shmem, stream, ...) \
    ::ct_emu::launch(#kernel, CT__DEPAREN(kernel), grid, block, shmem, stream, \
                     ::ct_emu::packer(CT__DEPAREN(kernel))(__VA_ARGS__))
#define CT_DYNAMIC_SHARED(T, name) T *const name = static_cast<T *>(::ct_emu::dynamic_shared())
#else
#define CT_LAUNCH(kernel, grid, block, shmem, stream, ...) \
    CT__DEPAREN(kernel)<<<grid, block, shmem, stream>>>(__VA_ARGS__)
#define CT_DYNAMIC_SHARED(T, name) extern __shared__ T name[]
#endif

#endif
