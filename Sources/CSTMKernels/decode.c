// Instantiates decode_body.h for the three instruction sets of kernels.c and dispatches on the one in force.
#include "stm_kernels.h"

#include <math.h>

#include "polynomial_exp.h"

static inline float stm_generic_decode_exp(float x) { return expf(x); }

#define K(name) stm_generic_##name
#include "decode_body.h"
#undef K

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
static inline float stm_avx2_decode_exp(float x) { return stm_polynomial_exp(x); }
#define K(name) stm_avx2_##name
#include "decode_body.h"
#undef K
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))), apply_to = function)
static inline float stm_avx512_decode_exp(float x) { return stm_polynomial_exp(x); }
#define K(name) stm_avx512_##name
#include "decode_body.h"
#undef K
#pragma clang attribute pop

float stm_log_sum_exp(const float *x, ptrdiff_t n) {
    switch (stm_kernels_isa()) {
    case STM_ISA_AVX512: return stm_avx512_log_sum_exp(x, n);
    case STM_ISA_AVX2: return stm_avx2_log_sum_exp(x, n);
    default: return stm_generic_log_sum_exp(x, n);
    }
}

ptrdiff_t stm_top_k(const float *x, ptrdiff_t n, ptrdiff_t k, int32_t *indices, float *values) {
    if (k <= 0) return 0;
    switch (stm_kernels_isa()) {
    case STM_ISA_AVX512: return stm_avx512_top_k(x, n, k, indices, values);
    case STM_ISA_AVX2: return stm_avx2_top_k(x, n, k, indices, values);
    default: return stm_generic_top_k(x, n, k, indices, values);
    }
}
