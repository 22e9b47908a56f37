// Decoding helpers over one row of output-layer logits, written once; decode.c includes this file once per
// instruction set (like kernels_body.h), so the plain loops vectorise to that set's width.

/// log Σ exp(x[i]): the maximum first (per-lane, so it vectorises), then the sum of exp(x − max).
static float K(log_sum_exp)(const float *x, ptrdiff_t n) {
#pragma clang fp reassociate(on)
    enum { LANES = 16 };
    float lanes[LANES];
    for (int j = 0; j < LANES; j++) lanes[j] = -INFINITY;
    ptrdiff_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        for (int j = 0; j < LANES; j++) lanes[j] = x[i + j] > lanes[j] ? x[i + j] : lanes[j];
    }
    float maximum = -INFINITY;
    for (int j = 0; j < LANES; j++) maximum = lanes[j] > maximum ? lanes[j] : maximum;
    for (; i < n; i++) maximum = x[i] > maximum ? x[i] : maximum;
    if (maximum == -INFINITY || maximum != maximum) return maximum;
    float total = 0.0f;
#pragma clang loop vectorize(enable) interleave_count(4)
    for (ptrdiff_t r = 0; r < n; r++) total += K(decode_exp)(x[r] - maximum);
    return maximum + logf(total);
}

/// Inserts (index, value) into the k best so far (sorted, best first; an equal value keeps the earlier index).
static inline void K(top_insert)(ptrdiff_t k, ptrdiff_t *count, int32_t *indices, float *values, int32_t index,
                                 float value) {
    ptrdiff_t position = *count < k ? *count : k - 1;
    while (position > 0 && values[position - 1] < value) {
        if (position < k) {
            values[position] = values[position - 1];
            indices[position] = indices[position - 1];
        }
        position--;
    }
    values[position] = value;
    indices[position] = index;
    if (*count < k) (*count)++;
}

/// The k largest of x[0..<n], best first. Blocks of 16 whose maximum cannot enter are skipped after one
/// vectorised comparison, so a scan costs little more than reading the row.
static ptrdiff_t K(top_k)(const float *x, ptrdiff_t n, ptrdiff_t k, int32_t *indices, float *values) {
    ptrdiff_t count = 0;
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        float threshold = count < k ? -INFINITY : values[k - 1];
        int enters = 0;
        for (int j = 0; j < 16; j++) enters |= x[i + j] > threshold;
        if (!enters) continue;
        for (int j = 0; j < 16; j++) {
            float value = x[i + j];
            if (count < k ? value > -INFINITY : value > values[k - 1]) K(top_insert)(k, &count, indices, values, (int32_t)(i + j), value);
        }
    }
    for (; i < n; i++) {
        float value = x[i];
        if (count < k ? value > -INFINITY : value > values[k - 1]) K(top_insert)(k, &count, indices, values, (int32_t)i, value);
    }
    return count;
}
