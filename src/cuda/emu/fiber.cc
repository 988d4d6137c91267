/* The kernel scheduler of the CPU emulator: the threads of a block are
 * cooperative fibers on small preallocated stacks (reused from block to
 * block, a guard page below each), switched by a few lines of assembly on
 * x86-64 (no system call per switch) or by ucontext elsewhere
 * (CT_EMU_UCONTEXT forces it). The scheduler runs every ready fiber of the
 * block until it finishes or waits at a barrier; a warp barrier releases
 * when all live threads of the warp wait at one, a block barrier when all
 * live threads of the block do. Anything else is a deadlock (threads of
 * one warp at different barriers): the launch fails with an error. */
#include "cuda/emu/cuda_emu.hh"
#include "cuda/emu/emu_internal.hh"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if !defined(__x86_64__) || defined(CT_EMU_UCONTEXT)
#define CT_EMU_USE_UCONTEXT 1
#include <ucontext.h>
#endif

namespace ct_emu {
namespace {

enum { READY, AT_SYNC, AT_WARP, DONE };
constexpr int MAX_THREADS = 1024;
constexpr size_t STACK = 64 << 10;

#ifndef CT_EMU_USE_UCONTEXT
extern "C" void ct_emu_switch(void **save_sp, void *to_sp);
asm(R"(
    .text
    .p2align 4
    .type ct_emu_switch,@function
ct_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size ct_emu_switch, .-ct_emu_switch
)");
#endif

struct Fiber {
#ifdef CT_EMU_USE_UCONTEXT
    ucontext_t uc;
#else
    void *sp;
#endif
    char *stack; /* STACK bytes above a guard page */
};

struct Sched {
    char *stacks = nullptr;
    Fiber fib[MAX_THREADS];
    int state[MAX_THREADS];
    uint64_t slots[MAX_THREADS];
#ifdef CT_EMU_USE_UCONTEXT
    ucontext_t main_uc;
#else
    void *main_sp;
#endif
    int n = 0, cur = 0;
    void (*body)(void *) = nullptr;
    void *ctx = nullptr;
    char *dyn = nullptr;
    size_t dyn_cap = 0;
};

thread_local Sched *S;

Sched *sched() {
    if (S) return S;
    Sched *s = new Sched();
    size_t per = STACK + 4096;
    void *m = mmap(nullptr, per * MAX_THREADS, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        fprintf(stderr, "cuda-emu: cannot map fiber stacks\n");
        abort();
    }
    s->stacks = (char *)m;
    for (int i = 0; i < MAX_THREADS; i++) {
        mprotect(s->stacks + per * i, 4096, PROT_NONE);
        s->fib[i].stack = s->stacks + per * i + 4096;
    }
    return S = s;
}

void to_scheduler() {
    Sched *s = S;
#ifdef CT_EMU_USE_UCONTEXT
    swapcontext(&s->fib[s->cur].uc, &s->main_uc);
#else
    ct_emu_switch(&s->fib[s->cur].sp, s->main_sp);
#endif
}

void fiber_main() {
    Sched *s = S;
    s->body(s->ctx);
    s->state[s->cur] = DONE;
#ifdef CT_EMU_USE_UCONTEXT
    setcontext(&s->main_uc);
#else
    void *dead;
    ct_emu_switch(&dead, s->main_sp);
#endif
    abort(); /* never resumed */
}

void fiber_init(Fiber *f) {
#ifdef CT_EMU_USE_UCONTEXT
    getcontext(&f->uc);
    f->uc.uc_stack.ss_sp = f->stack;
    f->uc.uc_stack.ss_size = STACK;
    f->uc.uc_link = nullptr;
    makecontext(&f->uc, fiber_main, 0);
#else
    /* as ct_emu_switch left it: mxcsr/fpu control word, six registers,
     * then fiber_main's address, returned to with rsp = 8 mod 16 */
    uint64_t *top = (uint64_t *)(f->stack + STACK);
    uint64_t *sp = top - 2 - 7;
    uint32_t csr = __builtin_ia32_stmxcsr();
    uint16_t cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    sp[0] = (uint64_t)csr | (uint64_t)cw << 32;
    for (int i = 1; i <= 6; i++) sp[i] = 0;
    sp[7] = (uint64_t)(uintptr_t)&fiber_main;
    top[-1] = 0;
    f->sp = sp;
#endif
}

void switch_to(Sched *s, int i) {
    s->cur = i;
    unsigned bx = blockDim.x, by = blockDim.y;
    threadIdx.x = (unsigned)i % bx;
    threadIdx.y = ((unsigned)i / bx) % by;
    threadIdx.z = (unsigned)i / (bx * by);
#ifdef CT_EMU_USE_UCONTEXT
    swapcontext(&s->main_uc, &s->fib[i].uc);
#else
    ct_emu_switch(&s->main_sp, s->fib[i].sp);
#endif
}

/* Runs one block; false on a deadlock. */
bool run_block(Sched *s) {
    int n = s->n;
    for (int i = 0; i < n; i++) {
        s->state[i] = READY;
        fiber_init(&s->fib[i]);
    }
    int live = n;
    while (live > 0) {
        for (int i = 0; i < n; i++)
            if (s->state[i] == READY) switch_to(s, i);
        live = 0;
        int at_sync = 0;
        bool released = false;
        for (int w = 0; w < n; w += 32) {
            int e = w + 32 < n ? w + 32 : n, wl = 0, ww = 0;
            for (int i = w; i < e; i++) {
                wl += s->state[i] != DONE;
                ww += s->state[i] == AT_WARP;
                at_sync += s->state[i] == AT_SYNC;
            }
            live += wl;
            if (ww && ww == wl) {
                for (int i = w; i < e; i++) s->state[i] = READY;
                released = true;
            }
        }
        if (released || live == 0) continue;
        if (at_sync == live) {
            for (int i = 0; i < n; i++)
                if (s->state[i] == AT_SYNC) s->state[i] = READY;
            continue;
        }
        return false;
    }
    return true;
}

} // namespace

void syncthreads() {
    Sched *s = S;
    s->state[s->cur] = AT_SYNC;
    to_scheduler();
}

void warp_barrier() {
    Sched *s = S;
    s->state[s->cur] = AT_WARP;
    to_scheduler();
}

const uint64_t *warp_publish(uint64_t v, int *lane, int *nlanes) {
    Sched *s = S;
    int w = s->cur & ~31;
    s->slots[s->cur] = v;
    *lane = s->cur & 31;
    *nlanes = s->n - w < 32 ? s->n - w : 32;
    warp_barrier();
    return &s->slots[w];
}

void *dynamic_shared() { return S->dyn; }

void run_grid(const char *name, dim3 grid, dim3 block, size_t shmem, cudaStream_t stream,
              void (*body)(void *), void *ctx, const void *const *ptrs, int nptr) {
    uint64_t nthreads = (uint64_t)block.x * block.y * block.z;
    if (nthreads == 0 || nthreads > MAX_THREADS || block.z > 64 || grid.x == 0 || grid.y == 0 ||
        grid.z == 0 || grid.y > 65535 || grid.z > 65535 || grid.x > 0x7fffffffu) {
        launch_error(cudaErrorInvalidConfiguration,
                     "kernel %s: grid (%u, %u, %u) x block (%u, %u, %u) is not a valid launch", name,
                     grid.x, grid.y, grid.z, block.x, block.y, block.z);
        return;
    }
    if (shmem > 48 * 1024) {
        launch_error(cudaErrorInvalidValue, "kernel %s: %zu bytes of dynamic shared memory (48 KiB at most)",
                     name, shmem);
        return;
    }
    if (check_launch(name, stream, ptrs, nptr) < 0) return;
    Sched *s = sched();
    if (s->n) {
        launch_error(cudaErrorLaunchFailure, "kernel %s launched from a kernel", name);
        return;
    }
    if (shmem > s->dyn_cap) {
        free(s->dyn);
        s->dyn = (char *)aligned_alloc(64, (shmem + 63) & ~(size_t)63);
        s->dyn_cap = s->dyn ? shmem : 0;
    }
    s->body = body;
    s->ctx = ctx;
    s->n = (int)nthreads;
    blockDim = block;
    gridDim = grid;
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                blockIdx = uint3{x, y, z};
                if (shmem) memset(s->dyn, 0xff, shmem); /* uninitialized reads show as NaN / -1 */
                if (!run_block(s)) {
                    s->n = 0;
                    launch_error(cudaErrorLaunchFailure,
                                 "kernel %s: block (%u, %u, %u) deadlocked: threads of a warp "
                                 "wait at different barriers",
                                 name, x, y, z);
                    return;
                }
            }
    s->n = 0;
}

} // namespace ct_emu
