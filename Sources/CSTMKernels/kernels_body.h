// The kernels, written once. kernels.c includes this file once per instruction set with K(name) giving each
// copy its own name and `#pragma clang attribute` applying that set's target attribute to every function;
// the loops are plain C that clang vectorises to the target's vector width.
//
// STM_USE_LIBM: the baseline copy uses libm's expf/tanhf (the exact reference); the vector copies use a
// Cephes-style exp (polynomial_exp.h: degree-6 polynomial after range reduction, max relative error ≈ 2e-7) that
// vectorises.

static inline float K(exp)(float x) {
#if STM_USE_LIBM
    return expf(x);
#else
    return stm_polynomial_exp(x);
#endif
}

static inline float K(sigmoid1)(float x) { return 1.0f / (1.0f + K(exp)(-x)); }

static inline float K(tanh1)(float x) {
#if STM_USE_LIBM
    return tanhf(x);
#else
    return 2.0f / (1.0f + K(exp)(-2.0f * x)) - 1.0f;
#endif
}

static void K(sigmoid)(float *x, ptrdiff_t n) {
#pragma clang loop vectorize(enable)
    for (ptrdiff_t i = 0; i < n; i++) x[i] = K(sigmoid1)(x[i]);
}

static void K(tanh)(float *x, ptrdiff_t n) {
#pragma clang loop vectorize(enable)
    for (ptrdiff_t i = 0; i < n; i++) x[i] = K(tanh1)(x[i]);
}

// Each gate kernel works one batch row at a time through a row function whose every pointer is `restrict`:
// the gate blocks of one row are disjoint, and saying so lets clang vectorise without run-time alias checks
// (over a whole batch, row b's f block and row b+1's i block would look like overlapping ranges).

static inline void K(lstm_forward_row)(ptrdiff_t hidden, float *__restrict gi, float *__restrict gf,
                                       float *__restrict gg, float *__restrict go, const float *__restrict cp,
                                       float *__restrict cn, float *__restrict tc, float *__restrict hn) {
#pragma clang loop vectorize(enable)
    for (ptrdiff_t j = 0; j < hidden; j++) {
        float i = K(sigmoid1)(gi[j]), f = K(sigmoid1)(gf[j]), g = K(tanh1)(gg[j]), o = K(sigmoid1)(go[j]);
        gi[j] = i;
        gf[j] = f;
        gg[j] = g;
        go[j] = o;
        float cell = f * cp[j] + i * g;
        float t = K(tanh1)(cell);
        cn[j] = cell;
        tc[j] = t;
        hn[j] = o * t;
    }
}

static void K(lstm_forward)(ptrdiff_t batch, ptrdiff_t hidden, float *gates, const float *c_prev, float *c,
                            float *tanh_c, float *h) {
    for (ptrdiff_t b = 0; b < batch; b++) {
        float *gi = gates + b * 4 * hidden;
        K(lstm_forward_row)(hidden, gi, gi + hidden, gi + 2 * hidden, gi + 3 * hidden, c_prev + b * hidden,
                            c + b * hidden, tanh_c + b * hidden, h + b * hidden);
    }
}

static void K(lstm_forward_units)(ptrdiff_t hidden, ptrdiff_t j0, ptrdiff_t j1, float *gates, const float *c_prev,
                                  float *c, float *tanh_c, float *h) {
    K(lstm_forward_row)(j1 - j0, gates + j0, gates + hidden + j0, gates + 2 * hidden + j0, gates + 3 * hidden + j0,
                        c_prev + j0, c + j0, tanh_c + j0, h + j0);
}

static inline void K(lstm_backward_row)(ptrdiff_t hidden, const float *__restrict gi, const float *__restrict gf,
                                        const float *__restrict gg, const float *__restrict go,
                                        const float *__restrict cp, const float *__restrict tc,
                                        const float *__restrict dhb, const float *__restrict dcb,
                                        float *__restrict di, float *__restrict df, float *__restrict dg,
                                        float *__restrict dout, float *__restrict dcp) {
#pragma clang loop vectorize(enable)
    for (ptrdiff_t j = 0; j < hidden; j++) {
        float i = gi[j], f = gf[j], g = gg[j], o = go[j], t = tc[j], d = dhb[j];
        float dcell = dcb[j] + d * o * (1.0f - t * t);
        di[j] = dcell * g * i * (1.0f - i);
        df[j] = dcell * cp[j] * f * (1.0f - f);
        dg[j] = dcell * i * (1.0f - g * g);
        dout[j] = d * t * o * (1.0f - o);
        dcp[j] = dcell * f;
    }
}

static void K(lstm_backward)(ptrdiff_t batch, ptrdiff_t hidden, const float *gates, const float *c_prev,
                             const float *tanh_c, const float *dh, const float *dc, float *dgates, float *dc_prev) {
    for (ptrdiff_t b = 0; b < batch; b++) {
        const float *gi = gates + b * 4 * hidden;
        float *di = dgates + b * 4 * hidden;
        K(lstm_backward_row)(hidden, gi, gi + hidden, gi + 2 * hidden, gi + 3 * hidden, c_prev + b * hidden,
                             tanh_c + b * hidden, dh + b * hidden, dc + b * hidden, di, di + hidden, di + 2 * hidden,
                             di + 3 * hidden, dc_prev + b * hidden);
    }
}

static inline void K(gru_forward_row)(ptrdiff_t hidden, const float *__restrict pr, const float *__restrict pz,
                                      const float *__restrict pn, const float *__restrict qr,
                                      const float *__restrict qz, const float *__restrict qn,
                                      const float *__restrict hp, float *__restrict gr, float *__restrict gz,
                                      float *__restrict gn, float *__restrict hn) {
#pragma clang loop vectorize(enable)
    for (ptrdiff_t j = 0; j < hidden; j++) {
        float r = K(sigmoid1)(pr[j] + qr[j]);
        float z = K(sigmoid1)(pz[j] + qz[j]);
        float n = K(tanh1)(pn[j] + r * qn[j]);
        gr[j] = r;
        gz[j] = z;
        gn[j] = n;
        hn[j] = (1.0f - z) * n + z * hp[j];
    }
}

static void K(gru_forward)(ptrdiff_t batch, ptrdiff_t hidden, const float *p, const float *q, const float *h_prev,
                           float *gates, float *h) {
    for (ptrdiff_t b = 0; b < batch; b++) {
        const float *pr = p + b * 3 * hidden, *qr = q + b * 3 * hidden;
        float *gr = gates + b * 3 * hidden;
        K(gru_forward_row)(hidden, pr, pr + hidden, pr + 2 * hidden, qr, qr + hidden, qr + 2 * hidden,
                           h_prev + b * hidden, gr, gr + hidden, gr + 2 * hidden, h + b * hidden);
    }
}

static void K(gru_forward_units)(ptrdiff_t hidden, ptrdiff_t j0, ptrdiff_t j1, const float *p, const float *q,
                                 const float *h_prev, float *gates, float *h) {
    K(gru_forward_row)(j1 - j0, p + j0, p + hidden + j0, p + 2 * hidden + j0, q + j0, q + hidden + j0,
                       q + 2 * hidden + j0, h_prev + j0, gates + j0, gates + hidden + j0, gates + 2 * hidden + j0, h + j0);
}

static inline void K(gru_backward_row)(ptrdiff_t hidden, const float *__restrict gr, const float *__restrict gz,
                                       const float *__restrict gn, const float *__restrict qn,
                                       const float *__restrict hp, const float *__restrict d,
                                       float *__restrict dpr, float *__restrict dpz, float *__restrict dpn,
                                       float *__restrict dqr, float *__restrict dqz, float *__restrict dqn,
                                       float *__restrict dhp) {
#pragma clang loop vectorize(enable)
    for (ptrdiff_t j = 0; j < hidden; j++) {
        float r = gr[j], z = gz[j], n = gn[j];
        float dz = d[j] * (hp[j] - n);
        float dn = d[j] * (1.0f - z);
        float dan = dn * (1.0f - n * n);
        float dar = dan * qn[j] * r * (1.0f - r);
        float daz = dz * z * (1.0f - z);
        dpr[j] = dar;
        dpz[j] = daz;
        dpn[j] = dan;
        dqr[j] = dar;
        dqz[j] = daz;
        dqn[j] = dan * r;
        dhp[j] = d[j] * z;
    }
}

static void K(gru_backward)(ptrdiff_t batch, ptrdiff_t hidden, const float *gates, const float *q,
                            const float *h_prev, const float *dh, float *dp, float *dq, float *dh_prev) {
    for (ptrdiff_t b = 0; b < batch; b++) {
        const float *gr = gates + b * 3 * hidden;
        float *dpr = dp + b * 3 * hidden, *dqr = dq + b * 3 * hidden;
        K(gru_backward_row)(hidden, gr, gr + hidden, gr + 2 * hidden, q + b * 3 * hidden + 2 * hidden,
                            h_prev + b * hidden, dh + b * hidden, dpr, dpr + hidden, dpr + 2 * hidden, dqr,
                            dqr + hidden, dqr + 2 * hidden, dh_prev + b * hidden);
    }
}

static void K(gemv_f32)(ptrdiff_t rows, ptrdiff_t cols, const float *__restrict w, const float *__restrict x, float *__restrict y, float beta) {
#pragma clang fp reassociate(on)
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *wr = w + r * cols;
        float acc = 0.0f;
#pragma clang loop vectorize(enable) interleave_count(4)
        for (ptrdiff_t c = 0; c < cols; c++) acc += wr[c] * x[c];
        y[r] = (beta != 0.0f ? y[r] : 0.0f) + acc;
    }
}

/// bf16 weights widened to float32 (a bf16 is the top half of a float32), x kept in float32.
static void K(gemv_bf16_widen)(ptrdiff_t rows, ptrdiff_t cols, const uint16_t *__restrict w, const float *__restrict x, float *__restrict y,
                               float beta) {
#pragma clang fp reassociate(on)
    for (ptrdiff_t r = 0; r < rows; r++) {
        const uint16_t *wr = w + r * cols;
        float acc = 0.0f;
#pragma clang loop vectorize(enable) interleave_count(4)
        for (ptrdiff_t c = 0; c < cols; c++) acc += __builtin_bit_cast(float, (uint32_t)wr[c] << 16) * x[c];
        y[r] = (beta != 0.0f ? y[r] : 0.0f) + acc;
    }
}

static void K(f32_to_bf16)(const float *__restrict x, uint16_t *__restrict y, ptrdiff_t n) {
#pragma clang loop vectorize(enable)
    for (ptrdiff_t i = 0; i < n; i++) {
        uint32_t bits = __builtin_bit_cast(uint32_t, x[i]);
        uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
        uint32_t quiet_nan = (bits >> 16) | 0x40u;
        y[i] = (uint16_t)(((bits & 0x7FFFFFFFu) > 0x7F800000u) ? quiet_nan : rounded);
    }
}

static void K(adam_update)(ptrdiff_t n, float *__restrict p, const float *__restrict g, float *__restrict m, float *__restrict v, float beta1, float beta2,
                           float step_size, float correction2, float epsilon, float coupled_decay,
                           float decoupled_decay) {
    float inverse_correction2 = 1.0f / correction2;
#pragma clang loop vectorize(enable)
    for (ptrdiff_t i = 0; i < n; i++) {
        float grad = g[i] + coupled_decay * p[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * grad;
        float vi = beta2 * v[i] + (1.0f - beta2) * grad * grad;
        m[i] = mi;
        v[i] = vi;
        p[i] -= step_size * mi / (__builtin_sqrtf(vi * inverse_correction2) + epsilon) + decoupled_decay * p[i];
    }
}

static double K(sum_squares)(const float *x, ptrdiff_t n) {
#pragma clang fp reassociate(on)
    double total = 0.0;
    for (ptrdiff_t start = 0; start < n; start += 4096) {
        ptrdiff_t end = start + 4096 < n ? start + 4096 : n;
        float block = 0.0f;
#pragma clang loop vectorize(enable)
        for (ptrdiff_t i = start; i < end; i++) block += x[i] * x[i];
        total += (double)block;
    }
    return total;
}
