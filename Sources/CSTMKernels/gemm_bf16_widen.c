// stm_gemm_bf16's product (same packed B) for CPUs without AVX-512 BF16: each bf16 weight is widened to float32
// in registers (a bf16 is the top half of a float32), A stays float32, and fused multiply-adds accumulate in
// float32. Streaming the weights costs half the bytes of a float32 product, which is what matters for a wide,
// memory-bound layer (a translator's output over its vocabulary) multiplied by a few rows at a time.
//
// In a packed (block, k-pair) vector, the 32-bit lane of column j holds B[j][2p] in its low half and B[j][2p+1]
// in its high half: shifting left by 16 gives the first as a float32, masking off the low half the second.
#include "stm_kernels.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

/// Rows of A copied with K padded to even (a zero after an odd K), so each k-pair reads two floats in bounds.
static const float *even_rows(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda) {
    static __thread float *buffer = NULL;
    static __thread size_t capacity = 0;
    ptrdiff_t width = (k + 1) / 2 * 2;
    size_t count = (size_t)(m * width);
    if (count > capacity) {
        free(buffer);
        capacity = count < 4096 ? 4096 : count;
        buffer = malloc(capacity * sizeof(float));
    }
    for (ptrdiff_t r = 0; r < m; r++) {
        memcpy(buffer + r * width, a + r * lda, (size_t)k * sizeof(float));
        if (width > k) buffer[r * width + k] = 0.0f;
    }
    return buffer;
}

/// `rows` (≤ 4) rows of A against one block of 16 columns; inlined with a constant `rows`.
__attribute__((target("avx2,fma"), always_inline)) static inline void widen_rx16(
    int rows, ptrdiff_t pairs, const float *a, ptrdiff_t width, const uint16_t *b, float *c, ptrdiff_t ldc, int keep) {
    __m256 acc[4][2];
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    const __m256i high = _mm256_set1_epi32((int)0xFFFF0000u);
    for (ptrdiff_t p = 0; p < pairs; p++) {
        __m256 even[2], odd[2];
        for (int h = 0; h < 2; h++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(b + p * 32 + h * 16));
            even[h] = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
            odd[h] = _mm256_castsi256_ps(_mm256_and_si256(v, high));
        }
        for (int r = 0; r < rows; r++) {
            __m256 a0 = _mm256_broadcast_ss(a + r * width + 2 * p), a1 = _mm256_broadcast_ss(a + r * width + 2 * p + 1);
            for (int h = 0; h < 2; h++) acc[r][h] = _mm256_fmadd_ps(odd[h], a1, _mm256_fmadd_ps(even[h], a0, acc[r][h]));
        }
    }
    for (int r = 0; r < rows; r++)
        for (int h = 0; h < 2; h++) {
            float *out = c + r * ldc + h * 8;
            _mm256_storeu_ps(out, keep ? _mm256_add_ps(acc[r][h], _mm256_loadu_ps(out)) : acc[r][h]);
        }
}

__attribute__((target("avx2,fma"))) static void widen_avx2(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t pairs, const float *a, ptrdiff_t width, const uint16_t *packed, float *c,
    ptrdiff_t ldc, int keep) {
    for (ptrdiff_t block = 0; block < n / 16; block++) {
        const uint16_t *b = packed + block * pairs * 32;
        ptrdiff_t r = 0;
        for (; r + 4 <= m; r += 4) widen_rx16(4, pairs, a + r * width, width, b, c + r * ldc + block * 16, ldc, keep);
        switch (m - r) {
        case 1: widen_rx16(1, pairs, a + r * width, width, b, c + r * ldc + block * 16, ldc, keep); break;
        case 2: widen_rx16(2, pairs, a + r * width, width, b, c + r * ldc + block * 16, ldc, keep); break;
        case 3: widen_rx16(3, pairs, a + r * width, width, b, c + r * ldc + block * 16, ldc, keep); break;
        default: break;
        }
    }
}

static void widen_generic(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t pairs, const float *a, ptrdiff_t width, const uint16_t *packed, float *c,
    ptrdiff_t ldc, int keep) {
    for (ptrdiff_t block = 0; block < n / 16; block++) {
        const uint16_t *b = packed + block * pairs * 32;
        for (ptrdiff_t r = 0; r < m; r++) {
            float acc[16] = {0};
            for (ptrdiff_t p = 0; p < pairs; p++) {
                float a0 = a[r * width + 2 * p], a1 = a[r * width + 2 * p + 1];
                for (int j = 0; j < 16; j++) {
                    float even = __builtin_bit_cast(float, (uint32_t)b[p * 32 + 2 * j] << 16);
                    float odd = __builtin_bit_cast(float, (uint32_t)b[p * 32 + 2 * j + 1] << 16);
                    acc[j] = acc[j] + even * a0 + odd * a1;
                }
            }
            float *out = c + r * ldc + block * 16;
            for (int j = 0; j < 16; j++) out[j] = keep ? out[j] + acc[j] : acc[j];
        }
    }
}

void stm_gemm_bf16_widen(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const uint16_t *packed,
                         float *c, ptrdiff_t ldc, float beta) {
    if (m <= 0 || n <= 0) return;
    ptrdiff_t pairs = (k + 1) / 2, width = pairs * 2;
    const float *rows = even_rows(m, k, a, lda);
    int keep = beta != 0.0f;
    if (stm_kernels_isa() >= STM_ISA_AVX2) {
        widen_avx2(m, n, pairs, rows, width, packed, c, ldc, keep);
    } else {
        widen_generic(m, n, pairs, rows, width, packed, c, ldc, keep);
    }
}
