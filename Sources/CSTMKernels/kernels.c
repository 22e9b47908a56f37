// Instantiates kernels_body.h for three instruction sets and dispatches between them at run time.
#include "stm_kernels.h"

#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "polynomial_exp.h"

// Baseline x86-64: libm activations, whatever SSE2 vectorisation clang finds.
#define K(name) stm_generic_##name
#define STM_USE_LIBM 1
#include "kernels_body.h"
#undef STM_USE_LIBM
#undef K

#define STM_USE_LIBM 0
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define K(name) stm_avx2_##name
#include "kernels_body.h"
#undef K
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))), apply_to = function)
#define K(name) stm_avx512_##name
#include "kernels_body.h"
#undef K
#pragma clang attribute pop

/// AVX-512 BF16: x rounded to bf16 once, then 32 multiply-adds per vdpbf16ps, four rows at a time.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static void stm_avx512bf16_gemv_bf16(
    ptrdiff_t rows, ptrdiff_t cols, const uint16_t *w, const float *x, float *y, float beta) {
    if (cols % 32 != 0) {
        stm_avx512_gemv_bf16_widen(rows, cols, w, x, y, beta);
        return;
    }
    uint16_t stack_buffer[4096];
    uint16_t *xb = cols <= 4096 ? stack_buffer : malloc((size_t)cols * sizeof(uint16_t));
    for (ptrdiff_t c = 0; c < cols; c += 32) {
        __m512bh pair = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + c + 16), _mm512_loadu_ps(x + c));
        _mm512_storeu_si512((void *)(xb + c), (__m512i)pair);
    }
    ptrdiff_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        const uint16_t *w0 = w + r * cols, *w1 = w0 + cols, *w2 = w1 + cols, *w3 = w2 + cols;
        for (ptrdiff_t c = 0; c < cols; c += 32) {
            __m512bh xv = (__m512bh)_mm512_loadu_si512((const void *)(xb + c));
            a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_loadu_si512((const void *)(w0 + c)), xv);
            a1 = _mm512_dpbf16_ps(a1, (__m512bh)_mm512_loadu_si512((const void *)(w1 + c)), xv);
            a2 = _mm512_dpbf16_ps(a2, (__m512bh)_mm512_loadu_si512((const void *)(w2 + c)), xv);
            a3 = _mm512_dpbf16_ps(a3, (__m512bh)_mm512_loadu_si512((const void *)(w3 + c)), xv);
        }
        float keep = beta != 0.0f ? 1.0f : 0.0f;
        y[r] = keep * y[r] + _mm512_reduce_add_ps(a0);
        y[r + 1] = keep * y[r + 1] + _mm512_reduce_add_ps(a1);
        y[r + 2] = keep * y[r + 2] + _mm512_reduce_add_ps(a2);
        y[r + 3] = keep * y[r + 3] + _mm512_reduce_add_ps(a3);
    }
    for (; r < rows; r++) {
        __m512 a = _mm512_setzero_ps();
        for (ptrdiff_t c = 0; c < cols; c += 32) {
            a = _mm512_dpbf16_ps(a, (__m512bh)_mm512_loadu_si512((const void *)(w + r * cols + c)),
                                 (__m512bh)_mm512_loadu_si512((const void *)(xb + c)));
        }
        y[r] = (beta != 0.0f ? y[r] : 0.0f) + _mm512_reduce_add_ps(a);
    }
    if (xb != stack_buffer) free(xb);
}

typedef struct {
    stm_isa isa;
    int native_bf16;
    void (*sigmoid)(float *, ptrdiff_t);
    void (*tanh)(float *, ptrdiff_t);
    void (*lstm_forward)(ptrdiff_t, ptrdiff_t, float *, const float *, float *, float *, float *);
    void (*lstm_backward)(ptrdiff_t, ptrdiff_t, const float *, const float *, const float *, const float *,
                          const float *, float *, float *);
    void (*gru_forward)(ptrdiff_t, ptrdiff_t, const float *, const float *, const float *, float *, float *);
    void (*gru_backward)(ptrdiff_t, ptrdiff_t, const float *, const float *, const float *, const float *, float *,
                         float *, float *);
    void (*gemv_f32)(ptrdiff_t, ptrdiff_t, const float *, const float *, float *, float);
    void (*gemv_bf16)(ptrdiff_t, ptrdiff_t, const uint16_t *, const float *, float *, float);
    void (*f32_to_bf16)(const float *, uint16_t *, ptrdiff_t);
    void (*adam_update)(ptrdiff_t, float *, const float *, float *, float *, float, float, float, float, float, float,
                        float);
    double (*sum_squares)(const float *, ptrdiff_t);
    void (*lstm_forward_units)(ptrdiff_t, ptrdiff_t, ptrdiff_t, float *, const float *, float *, float *, float *);
    void (*gru_forward_units)(ptrdiff_t, ptrdiff_t, ptrdiff_t, const float *, const float *, const float *, float *,
                              float *);
} stm_kernel_table;

#define STM_TABLE(prefix, isa_value, bf16_gemv, native)                                                      \
    {isa_value,             native,                    prefix##sigmoid,      prefix##tanh,                       \
     prefix##lstm_forward,  prefix##lstm_backward,     prefix##gru_forward,  prefix##gru_backward,               \
     prefix##gemv_f32,      bf16_gemv,                 prefix##f32_to_bf16,  prefix##adam_update,                \
     prefix##sum_squares,   prefix##lstm_forward_units, prefix##gru_forward_units}

static const stm_kernel_table generic_table = STM_TABLE(stm_generic_, STM_ISA_GENERIC, stm_generic_gemv_bf16_widen, 0);
static const stm_kernel_table avx2_table = STM_TABLE(stm_avx2_, STM_ISA_AVX2, stm_avx2_gemv_bf16_widen, 0);
static const stm_kernel_table avx512_table =
    STM_TABLE(stm_avx512_, STM_ISA_AVX512, stm_avx512_gemv_bf16_widen, 0);
static const stm_kernel_table avx512bf16_table =
    STM_TABLE(stm_avx512_, STM_ISA_AVX512, stm_avx512bf16_gemv_bf16, 1);

static const stm_kernel_table *_Atomic active_table = NULL;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;
static stm_isa best_isa = STM_ISA_GENERIC;
static int cpu_has_bf16 = 0;

static const stm_kernel_table *table_for(stm_isa requested) {
    stm_isa isa = requested > best_isa ? best_isa : requested;
    if (isa == STM_ISA_AVX512) return cpu_has_bf16 ? &avx512bf16_table : &avx512_table;
    if (isa == STM_ISA_AVX2) return &avx2_table;
    return &generic_table;
}

static void detect(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
        best_isa = STM_ISA_AVX512;
        cpu_has_bf16 = __builtin_cpu_supports("avx512bf16");
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        best_isa = STM_ISA_AVX2;
    }
    stm_isa wanted = best_isa;
    const char *forced = getenv("STMD_KERNELS");
    if (forced) {
        if (strcmp(forced, "generic") == 0) wanted = STM_ISA_GENERIC;
        else if (strcmp(forced, "avx2") == 0) wanted = STM_ISA_AVX2;
        else if (strcmp(forced, "avx512") == 0) wanted = STM_ISA_AVX512;
    }
    active_table = table_for(wanted);
}

static const stm_kernel_table *table(void) {
    const stm_kernel_table *t = active_table;
    if (__builtin_expect(t != NULL, 1)) return t;
    pthread_once(&detect_once, detect);
    return active_table;
}

stm_isa stm_kernels_best_isa(void) {
    pthread_once(&detect_once, detect);
    return best_isa;
}

stm_isa stm_kernels_select(stm_isa requested) {
    pthread_once(&detect_once, detect);
    const stm_kernel_table *chosen = table_for(requested);
    active_table = chosen;
    return chosen->isa;
}

stm_isa stm_kernels_isa(void) { return table()->isa; }
int stm_kernels_native_bf16(void) { return table()->native_bf16; }

void stm_sigmoid(float *x, ptrdiff_t n) { table()->sigmoid(x, n); }
void stm_tanh(float *x, ptrdiff_t n) { table()->tanh(x, n); }

void stm_lstm_forward(ptrdiff_t batch, ptrdiff_t hidden, float *gates, const float *c_prev, float *c,
                      float *tanh_c, float *h) {
    table()->lstm_forward(batch, hidden, gates, c_prev, c, tanh_c, h);
}

void stm_lstm_backward(ptrdiff_t batch, ptrdiff_t hidden, const float *gates, const float *c_prev,
                       const float *tanh_c, const float *dh, const float *dc, float *dgates, float *dc_prev) {
    table()->lstm_backward(batch, hidden, gates, c_prev, tanh_c, dh, dc, dgates, dc_prev);
}

void stm_gru_forward(ptrdiff_t batch, ptrdiff_t hidden, const float *p, const float *q, const float *h_prev,
                     float *gates, float *h) {
    table()->gru_forward(batch, hidden, p, q, h_prev, gates, h);
}

void stm_gru_backward(ptrdiff_t batch, ptrdiff_t hidden, const float *gates, const float *q, const float *h_prev,
                      const float *dh, float *dp, float *dq, float *dh_prev) {
    table()->gru_backward(batch, hidden, gates, q, h_prev, dh, dp, dq, dh_prev);
}

void stm_gemv_f32(ptrdiff_t rows, ptrdiff_t cols, const float *w, const float *x, float *y, float beta) {
    table()->gemv_f32(rows, cols, w, x, y, beta);
}

void stm_gemv_bf16(ptrdiff_t rows, ptrdiff_t cols, const uint16_t *w, const float *x, float *y, float beta) {
    table()->gemv_bf16(rows, cols, w, x, y, beta);
}

void stm_f32_to_bf16(const float *x, uint16_t *y, ptrdiff_t n) { table()->f32_to_bf16(x, y, n); }

void stm_adam_update(ptrdiff_t n, float *p, const float *g, float *m, float *v, float beta1, float beta2,
                     float step_size, float correction2, float epsilon, float coupled_decay, float decoupled_decay) {
    table()->adam_update(n, p, g, m, v, beta1, beta2, step_size, correction2, epsilon, coupled_decay,
                         decoupled_decay);
}

double stm_sum_squares(const float *x, ptrdiff_t n) { return table()->sum_squares(x, n); }

void stm_transpose(ptrdiff_t rows, ptrdiff_t cols, const float *src, float *dst) {
    // 16×16 tiles: one tile of the source and one of the destination (1 KiB each) stay in L1 while the inner
    // loop writes a destination row contiguously.
    enum { TILE = 16 };
    for (ptrdiff_t r0 = 0; r0 < rows; r0 += TILE) {
        ptrdiff_t r1 = r0 + TILE < rows ? r0 + TILE : rows;
        for (ptrdiff_t c0 = 0; c0 < cols; c0 += TILE) {
            ptrdiff_t c1 = c0 + TILE < cols ? c0 + TILE : cols;
            for (ptrdiff_t c = c0; c < c1; c++) {
                float *out = dst + c * rows;
                for (ptrdiff_t r = r0; r < r1; r++) out[r] = src[r * cols + c];
            }
        }
    }
}

void stm_lstm_forward_units(ptrdiff_t hidden, ptrdiff_t j0, ptrdiff_t j1, float *gates, const float *c_prev, float *c,
                            float *tanh_c, float *h) {
    table()->lstm_forward_units(hidden, j0, j1, gates, c_prev, c, tanh_c, h);
}

void stm_gru_forward_units(ptrdiff_t hidden, ptrdiff_t j0, ptrdiff_t j1, const float *p, const float *q,
                           const float *h_prev, float *gates, float *h) {
    table()->gru_forward_units(hidden, j0, j1, p, q, h_prev, gates, h);
}
