#pragma once
// stmd's hand-written CPU kernels: fused recurrent-cell gate math, activations, GEMV (f32 and bf16 weights),
// and the Adam update. Each entry point dispatches at run time to an AVX-512, AVX2+FMA or baseline x86-64
// build of the same C source (kernels_body.h, compiled three times with different target attributes), so the
// binary runs on any x86-64 CPU and uses the widest vectors it has.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    STM_ISA_GENERIC = 0,  // baseline x86-64 (SSE2); activations use libm
    STM_ISA_AVX2 = 1,     // AVX2 + FMA
    STM_ISA_AVX512 = 2,   // AVX-512 F/BW/VL (+ BF16 dot products where the CPU has them)
} stm_isa;

/// The widest instruction set this CPU supports.
stm_isa stm_kernels_best_isa(void);
/// The instruction set the kernels use now.
stm_isa stm_kernels_isa(void);
/// Selects the kernels (clamped to what the CPU supports); returns the one in force. For tests and benchmarks.
stm_isa stm_kernels_select(stm_isa requested);
/// Whether the AVX-512 path uses the CPU's native BF16 dot product (vdpbf16ps).
int stm_kernels_native_bf16(void);

// Activations, in place over n elements.
void stm_sigmoid(float *x, ptrdiff_t n);
void stm_tanh(float *x, ptrdiff_t n);

// LSTM, gate order i, f, g, o. `gates` [B, 4H] holds pre-activations on entry and activated gates on exit.
void stm_lstm_forward(ptrdiff_t batch, ptrdiff_t hidden, float *gates, const float *c_prev, float *c,
                      float *tanh_c, float *h);
// Given dh, dc (gradients w.r.t. the new h and c) → dgates [B, 4H] (pre-activation) and dc_prev.
void stm_lstm_backward(ptrdiff_t batch, ptrdiff_t hidden, const float *gates, const float *c_prev,
                       const float *tanh_c, const float *dh, const float *dc, float *dgates, float *dc_prev);

// GRU, gate order r, z, n (PyTorch). p = Wx·x + bx, q = Wh·h + bh, both [B, 3H].
// Writes the activated gates [B, 3H] and the new state h [B, H].
void stm_gru_forward(ptrdiff_t batch, ptrdiff_t hidden, const float *p, const float *q, const float *h_prev,
                     float *gates, float *h);
// → dp [B, 3H] (gradient of p), dq [B, 3H] (of q), and dh_prev [B, H] (the direct z⊙dh part only).
void stm_gru_backward(ptrdiff_t batch, ptrdiff_t hidden, const float *gates, const float *q, const float *h_prev,
                      const float *dh, float *dp, float *dq, float *dh_prev);

// y[r] = beta·y[r] + Σ_c W[r·cols + c]·x[c]   (W row-major [rows, cols]); beta ∈ {0, 1}.
void stm_gemv_f32(ptrdiff_t rows, ptrdiff_t cols, const float *w, const float *x, float *y, float beta);
// The same with bfloat16 weights. The AVX-512 BF16 path rounds x to bfloat16 too (vdpbf16ps); the others
// widen the weights and keep x in float32.
void stm_gemv_bf16(ptrdiff_t rows, ptrdiff_t cols, const uint16_t *w, const float *x, float *y, float beta);
// Round-to-nearest-even float32 → bfloat16.
void stm_f32_to_bf16(const float *x, uint16_t *y, ptrdiff_t n);

// One Adam/AdamW step over n parameters (see AdamOptimizer.swift for the formula).
void stm_adam_update(ptrdiff_t n, float *p, const float *g, float *m, float *v, float beta1, float beta2,
                     float step_size, float correction2, float epsilon, float coupled_decay, float decoupled_decay);
// Σ x² accumulated in double (blocks summed in float, then in double).
double stm_sum_squares(const float *x, ptrdiff_t n);
// dst[c·rows + r] = src[r·cols + c]: a row-major matrix transposed, in cache-sized tiles.
void stm_transpose(ptrdiff_t rows, ptrdiff_t cols, const float *src, float *dst);

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
extern "C" {
#endif
// bf16 GEMM for inference (needs AVX-512 BF16: check stm_gemm_bf16_available()). N must be a multiple of 16.
// Pack B [N, K] once with stm_bf16_pack into stm_bf16_packed_size(N, K) elements; then
// C [M, N] = A [M, K]·Bᵀ (+ C when beta = 1), A float32 row-major with leading dimension lda.
int stm_gemm_bf16_available(void);
ptrdiff_t stm_bf16_packed_size(ptrdiff_t n, ptrdiff_t k);
void stm_bf16_pack(ptrdiff_t n, ptrdiff_t k, const float *b, uint16_t *packed);
void stm_gemm_bf16(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const uint16_t *packed,
                   float *c, ptrdiff_t ldc, float beta);

// The same product on any CPU (gemm_bf16_widen.c): the bf16 weights widened to float32 in registers, A kept in
// float32, float32 FMAs (AVX2 where the kernels in force have it, plain C otherwise). Same packing, any M.
void stm_gemm_bf16_widen(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const uint16_t *packed,
                         float *c, ptrdiff_t ldc, float beta);

// Decoding over an output layer's logits (decode.c). log Σ exp(x[i]) over n values (max-shifted: no overflow).
float stm_log_sum_exp(const float *x, ptrdiff_t n);
// The k largest of x[0..<n] (NaN and -inf never enter), best first, ties to the lower index; returns how many
// were found (min(k, finite count)).
ptrdiff_t stm_top_k(const float *x, ptrdiff_t n, ptrdiff_t k, int32_t *indices, float *values);
#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
extern "C" {
#endif
// The kernels' fork-join pool. stm_parallel_run calls fn(context, i) for every i in [0, count) — on the caller and
// the pool's workers, at most the pool's size at once (thread p runs i = p, p + n, …) — and returns when all are
// done. Inside a running task a nested job runs inline, one task after another.
typedef void (*stm_task_fn)(void *context, int index);
void stm_pool_set_threads(int threads);
int stm_pool_threads(void);
void stm_parallel_run(int count, stm_task_fn fn, void *context);
// For tasks that wait for each other: calls prepare(context, n) with the number n of threads the job gets (1 when
// nested or when the pool has one thread) before any task starts; tasks 0..<n then run at the same time, one per
// thread, and a task numbered n or more runs after task (its number mod n) on the same thread.
void stm_parallel_run_together(int count, stm_task_fn fn, void (*prepare)(void *, int), void *context);

// The gate math of units [j0, j1) of one batch row, gate blocks at stride `hidden` (for splitting a step).
void stm_lstm_forward_units(ptrdiff_t hidden, ptrdiff_t j0, ptrdiff_t j1, float *gates, const float *c_prev, float *c,
                            float *tanh_c, float *h);
void stm_gru_forward_units(ptrdiff_t hidden, ptrdiff_t j0, ptrdiff_t j1, const float *p, const float *q,
                           const float *h_prev, float *gates, float *h);
#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
extern "C" {
#endif
typedef enum { STM_CELL_LSTM = 0, STM_CELL_GRU = 1, STM_CELL_ELMAN_SIGMOID = 2, STM_CELL_ELMAN_TANH = 3 } stm_cell_kind;

/// One batch-1 step. `gates` [G·H] holds the projected input (Wx·x + biases) on entry and is used in place.
typedef struct {
    stm_cell_kind kind;
    ptrdiff_t hidden;
    const void *weights;        // W_hh [G·H, H], float32 or (weights_bf16) bfloat16, row-major
    int weights_bf16;
    const float *recurrent_bias;  // GRU: bh [3H]; otherwise unused
    float *gates;               // [G·H]
    float *scratch;             // [G·H]: tanh(c) for LSTM, q = Wh·h + bh for GRU
    float *gate_output;         // GRU: activated gates [3H]
    const float *h_prev, *c_prev;
    float *h, *c;
    int max_tasks;              // 0: as many as the pool has; 1: this thread alone
} stm_step1;

/// Runs the step, split over the kernels' pool when it has more than one thread.
void stm_recurrent_step1(const stm_step1 *step);

/// A whole batch-1 sequence: `steps` steps of `step`, where step t's projected gates are `projected + t·G·H`
/// (overwritten), the state starts in `step.h_prev` / `step.c_prev` and alternates with `step.h` / `step.c`.
/// Split by hidden units like stm_recurrent_step1, but as one job for the whole sequence with one barrier per
/// step (instead of a fork and a join per step). Writes each step's h to `outputs + t·H` (when not NULL) and the
/// last to `final_h`. The same arithmetic as stm_recurrent_step1 step by step, so the same bits.
void stm_recurrent_unroll1(const stm_step1 *step, ptrdiff_t steps, float *projected, float *outputs, float *final_h);
#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
extern "C" {
#endif
/// Pins the calling thread's OpenMP (oneDNN) parallelism to one thread, once per thread.
void stm_blas_thread_setup(void);
#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
extern "C" {
#endif
/// glibc: serve large blocks from the heap and keep freed memory (see Allocator.swift).
void stm_reuse_freed_memory(void);
/// Returns free heap pages to the kernel (glibc malloc_trim): for a long-running process after start-up.
void stm_release_free_memory(void);
/// Keeps a long-running process's heap small: large blocks come from mmap and go back on free, free heap
/// above 1 MiB is trimmed, and threads share two arenas.
void stm_bound_resident_memory(void);
#ifdef __cplusplus
}
#endif
