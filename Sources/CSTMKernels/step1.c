// One batch-1 recurrent step split over the pool by hidden units: task i owns units [j0, j1) and computes the
// recurrent rows of those units in every gate block (a GEMV over its slice of W_hh) and then their gate math,
// so the threads share nothing but the previous state. This is how a second core helps a single stream.
#include "stm_kernels.h"

typedef struct {
    const stm_step1 *step;
    int tasks;
} step1_job;

static void units_for(const step1_job *job, int task, ptrdiff_t *j0, ptrdiff_t *j1) {
    ptrdiff_t hidden = job->step->hidden;
    // Split on multiples of 16 so each slice stays vector-aligned in length.
    ptrdiff_t chunk = ((hidden + job->tasks - 1) / job->tasks + 15) / 16 * 16;
    *j0 = task * chunk < hidden ? task * chunk : hidden;
    *j1 = (task + 1) * chunk < hidden ? (task + 1) * chunk : hidden;
}

static void recurrent_rows(const stm_step1 *s, ptrdiff_t first_row, ptrdiff_t rows, float *out) {
    if (s->weights_bf16) {
        stm_gemv_bf16(rows, s->hidden, (const uint16_t *)s->weights + first_row * s->hidden, s->h_prev, out, 1.0f);
    } else {
        stm_gemv_f32(rows, s->hidden, (const float *)s->weights + first_row * s->hidden, s->h_prev, out, 1.0f);
    }
}

static void run_task(void *context, int task) {
    const step1_job *job = context;
    const stm_step1 *s = job->step;
    ptrdiff_t j0, j1, hidden = s->hidden;
    units_for(job, task, &j0, &j1);
    if (j1 <= j0) return;
    switch (s->kind) {
    case STM_CELL_LSTM:
        for (int gate = 0; gate < 4; gate++) recurrent_rows(s, gate * hidden + j0, j1 - j0, s->gates + gate * hidden + j0);
        stm_lstm_forward_units(hidden, j0, j1, s->gates, s->c_prev, s->c, s->scratch, s->h);
        break;
    case STM_CELL_GRU:
        for (int gate = 0; gate < 3; gate++) {
            float *q = s->scratch + gate * hidden + j0;
            for (ptrdiff_t j = 0; j < j1 - j0; j++) q[j] = s->recurrent_bias[gate * hidden + j0 + j];
            recurrent_rows(s, gate * hidden + j0, j1 - j0, q);
        }
        stm_gru_forward_units(hidden, j0, j1, s->gates, s->scratch, s->h_prev, s->gate_output, s->h);
        break;
    case STM_CELL_ELMAN_SIGMOID:
    case STM_CELL_ELMAN_TANH:
        recurrent_rows(s, j0, j1 - j0, s->gates + j0);
        if (s->kind == STM_CELL_ELMAN_SIGMOID) stm_sigmoid(s->gates + j0, j1 - j0);
        else stm_tanh(s->gates + j0, j1 - j0);
        for (ptrdiff_t j = j0; j < j1; j++) s->h[j] = s->gates[j];
        break;
    }
}

void stm_recurrent_step1(const stm_step1 *step) {
    int tasks = stm_pool_threads();
    if (step->max_tasks > 0 && step->max_tasks < tasks) tasks = step->max_tasks;
    // Below ~32 units per thread the hand-off costs more than the work.
    if (tasks > 1 && step->hidden / tasks < 32) tasks = 1;
    step1_job job = {step, tasks};
    stm_parallel_run(tasks, run_task, &job);
}
