// The Cephes-style exp every vector kernel uses (kernels_body.h's activations, decode_body.h's log-sum-exp): a
// degree-6 polynomial after range reduction, maximum relative error ≈ 2e-7. Plain C without a target attribute, so
// it is inlined into each instruction set's copy and vectorised there.
#ifndef STM_POLYNOMIAL_EXP_H
#define STM_POLYNOMIAL_EXP_H

#include <stdint.h>

static inline float stm_polynomial_exp(float x) {
    // Clamp so 2^n stays a normal number: no overflow to inf, no denormals.
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float n = __builtin_rintf(x * 1.44269504088896341f);
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    int32_t exponent = ((int32_t)n + 127) << 23;
    return p * __builtin_bit_cast(float, exponent);
}

#endif
