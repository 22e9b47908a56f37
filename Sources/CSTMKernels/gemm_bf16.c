// C = A·Bᵀ (+ C) with B in bfloat16, packed for AVX-512 BF16 dot products (vdpbf16ps): the batched recurrent
// product h·Whᵀ and the input projection X·Wxᵀ of inference with bf16 weights. A is float32 and rounded to
// bfloat16 on the fly; products accumulate in float32.
//
// Packing: B [N, K] (row n = output column n) is stored as blocks of 16 output columns; inside a block, for each
// pair of k, the 16 columns' two values sit side by side — one 64-byte vector per (block, k-pair), exactly the
// operand vdpbf16ps multiplies against a broadcast (a[k], a[k+1]) pair.
#include "stm_kernels.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

ptrdiff_t stm_bf16_packed_size(ptrdiff_t n, ptrdiff_t k) { return n * ((k + 1) / 2) * 2; }

void stm_bf16_pack(ptrdiff_t n, ptrdiff_t k, const float *b, uint16_t *packed) {
    ptrdiff_t pairs = (k + 1) / 2;
    for (ptrdiff_t block = 0; block < n / 16; block++) {
        for (ptrdiff_t p = 0; p < pairs; p++) {
            uint16_t *out = packed + (block * pairs + p) * 32;
            for (ptrdiff_t column = 0; column < 16; column++) {
                const float *row = b + (block * 16 + column) * k;
                float pair[2] = {row[2 * p], 2 * p + 1 < k ? row[2 * p + 1] : 0.0f};
                stm_f32_to_bf16(pair, out + column * 2, 2);
            }
        }
    }
}

#define MR 6
#define NB 4

/// Rounds rows of A to bf16 pairs (zero-padded to an even K) so each (a[k], a[k+1]) is one 32-bit broadcast.
static void round_rows(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, uint32_t *pairs) {
    ptrdiff_t count = (k + 1) / 2;
    for (ptrdiff_t r = 0; r < m; r++) {
        uint16_t *row = (uint16_t *)(pairs + r * count);
        stm_f32_to_bf16(a + r * lda, row, k);
        if (k % 2) row[k] = 0;
    }
}

/// `rows` (≤ MR) rows of A against 64 output columns. Always inlined with a constant `rows`, so each use is
/// unrolled with its accumulators in registers.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"), always_inline)) static inline void kernel_rx64(
    int rows, ptrdiff_t pairs, const uint32_t *a, const uint16_t *b, ptrdiff_t block_stride, float *c, ptrdiff_t ldc,
    int keep) {
    __m512 acc[MR][NB];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < NB; j++) acc[r][j] = _mm512_setzero_ps();
    for (ptrdiff_t p = 0; p < pairs; p++) {
        __m512bh bv[NB];
        for (int j = 0; j < NB; j++) bv[j] = (__m512bh)_mm512_loadu_si512((const void *)(b + j * block_stride + p * 32));
        for (int r = 0; r < rows; r++) {
            __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[r * pairs + p]);
            for (int j = 0; j < NB; j++) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], av, bv[j]);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < NB; j++) {
            float *out = c + r * ldc + j * 16;
            __m512 v = keep ? _mm512_add_ps(acc[r][j], _mm512_loadu_ps(out)) : acc[r][j];
            _mm512_storeu_ps(out, v);
        }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static void kernel_6x64(
    ptrdiff_t pairs, const uint32_t *a, const uint16_t *b, ptrdiff_t block_stride, float *c, ptrdiff_t ldc, int keep) {
    kernel_rx64(MR, pairs, a, b, block_stride, c, ldc, keep);
}

/// The 1–5 rows left under a 6-row panel (a beam of hypotheses, a small batch): B is read once for all of them
/// instead of once per row, and each row keeps NB independent accumulation chains.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static void kernel_tail_x64(
    int rows, ptrdiff_t pairs, const uint32_t *a, const uint16_t *b, ptrdiff_t block_stride, float *c, ptrdiff_t ldc,
    int keep) {
    switch (rows) {
    case 1: kernel_rx64(1, pairs, a, b, block_stride, c, ldc, keep); break;
    case 2: kernel_rx64(2, pairs, a, b, block_stride, c, ldc, keep); break;
    case 3: kernel_rx64(3, pairs, a, b, block_stride, c, ldc, keep); break;
    case 4: kernel_rx64(4, pairs, a, b, block_stride, c, ldc, keep); break;
    case 5: kernel_rx64(5, pairs, a, b, block_stride, c, ldc, keep); break;
    default: break;
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static void kernel_1x16(
    ptrdiff_t pairs, const uint32_t *a, const uint16_t *b, float *c, int keep) {
    __m512 acc = _mm512_setzero_ps();
    for (ptrdiff_t p = 0; p < pairs; p++) {
        acc = _mm512_dpbf16_ps(acc, (__m512bh)_mm512_set1_epi32((int)a[p]), (__m512bh)_mm512_loadu_si512((const void *)(b + p * 32)));
    }
    _mm512_storeu_ps(c, keep ? _mm512_add_ps(acc, _mm512_loadu_ps(c)) : acc);
}

/// Per-thread scratch for the rounded rows of A: grown when needed, kept for the thread's life, so the
/// per-step calls of a recurrence allocate nothing.
static uint32_t *scratch(size_t count) {
    static __thread uint32_t *buffer = NULL;
    static __thread size_t capacity = 0;
    if (count > capacity) {
        free(buffer);
        capacity = count < 4096 ? 4096 : count;
        buffer = malloc(capacity * sizeof(uint32_t));
    }
    return buffer;
}

int stm_gemm_bf16_available(void) { return stm_kernels_native_bf16(); }

void stm_gemm_bf16(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const uint16_t *packed,
                   float *c, ptrdiff_t ldc, float beta) {
    ptrdiff_t pairs = (k + 1) / 2;
    ptrdiff_t block_stride = pairs * 32;
    int keep = beta != 0.0f;
    ptrdiff_t rows_per_chunk = MR * 64;  // round A in chunks so the rounded rows stay in L1/L2
    uint32_t *rounded = scratch((size_t)(pairs * (m < rows_per_chunk ? m : rows_per_chunk)));
    for (ptrdiff_t start = 0; start < m; start += rows_per_chunk) {
        ptrdiff_t rows = m - start < rows_per_chunk ? m - start : rows_per_chunk;
        round_rows(rows, k, a + start * lda, lda, rounded);
        ptrdiff_t blocks = n / 16;
        ptrdiff_t block = 0;
        for (; block + NB <= blocks; block += NB) {
            ptrdiff_t r = 0;
            for (; r + MR <= rows; r += MR) {
                kernel_6x64(pairs, rounded + r * pairs, packed + block * block_stride, block_stride,
                            c + (start + r) * ldc + block * 16, ldc, keep);
            }
            if (r < rows) {
                kernel_tail_x64((int)(rows - r), pairs, rounded + r * pairs, packed + block * block_stride,
                                block_stride, c + (start + r) * ldc + block * 16, ldc, keep);
            }
        }
        for (; block < blocks; block++) {
            for (ptrdiff_t r = 0; r < rows; r++) {
                kernel_1x16(pairs, rounded + r * pairs, packed + block * block_stride, c + (start + r) * ldc + block * 16,
                            keep);
            }
        }
    }
}
