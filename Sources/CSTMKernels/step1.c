// One batch-1 recurrent step split over the pool by hidden units: task i owns units [j0, j1) and computes the
// recurrent rows of those units in every gate block (a GEMV over its slice of W_hh) and then their gate math,
// so the threads share nothing but the previous state. This is how a second core helps a single stream.
#include "stm_kernels.h"

#include <stdatomic.h>

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

/// Units [j0, j1) of one step.
static void run_units(const stm_step1 *s, ptrdiff_t j0, ptrdiff_t j1) {
    ptrdiff_t hidden = s->hidden;
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

static void run_task(void *context, int task) {
    const step1_job *job = context;
    ptrdiff_t j0, j1;
    units_for(job, task, &j0, &j1);
    if (j1 > j0) run_units(job->step, j0, j1);
}

static int task_count(const stm_step1 *step) {
    int tasks = stm_pool_threads();
    if (step->max_tasks > 0 && step->max_tasks < tasks) tasks = step->max_tasks;
    // Below ~32 units per thread the hand-off costs more than the work.
    if (tasks > 1 && step->hidden / tasks < 32) tasks = 1;
    return tasks;
}

void stm_recurrent_step1(const stm_step1 *step) {
    step1_job job = {step, task_count(step)};
    stm_parallel_run(job.tasks, run_task, &job);
}

/// A sense-reversing spin barrier for the tasks of one job (they all run at once: stm_parallel_run_together).
typedef struct {
    _Atomic int arrived;
    _Atomic int phase;
    int count;
} step_barrier;

static void barrier_wait(step_barrier *barrier, int *phase) {
    int mine = *phase;
    if (atomic_fetch_add_explicit(&barrier->arrived, 1, memory_order_acq_rel) == barrier->count - 1) {
        atomic_store_explicit(&barrier->arrived, 0, memory_order_relaxed);
        atomic_store_explicit(&barrier->phase, mine + 1, memory_order_release);
    } else {
        while (atomic_load_explicit(&barrier->phase, memory_order_acquire) == mine) __builtin_ia32_pause();
    }
    *phase = mine + 1;
}

typedef struct {
    step1_job split;
    ptrdiff_t steps;
    float *projected, *outputs, *final_h;
    step_barrier barrier;
} unroll1_job;

/// The pool tells how many threads the job got before any task starts: the units are split over those, and the
/// barrier waits for that many.
static void prepare_unroll(void *context, int threads) {
    unroll1_job *job = context;
    job->split.tasks = threads;
    job->barrier.count = threads;
}

static void run_unroll_task(void *context, int task) {
    unroll1_job *job = context;
    // Tasks past the threads the job got (a pool smaller than asked for) have nothing to do: their units are
    // split among the others.
    if (task >= job->split.tasks) return;
    const stm_step1 *first = job->split.step;
    ptrdiff_t j0, j1, hidden = first->hidden;
    units_for(&job->split, task, &j0, &j1);
    const ptrdiff_t width = (first->kind == STM_CELL_LSTM ? 4 : first->kind == STM_CELL_GRU ? 3 : 1) * hidden;
    float *h[2] = {(float *)first->h_prev, first->h}, *c[2] = {(float *)first->c_prev, first->c};
    stm_step1 s = *first;
    int phase = 0;
    for (ptrdiff_t t = 0; t < job->steps; t++) {
        int from = (int)(t & 1);
        s.gates = job->projected + t * width;
        s.h_prev = h[from];
        s.h = h[1 - from];
        s.c_prev = c[from];
        s.c = c[1 - from];
        if (j1 > j0) {
            run_units(&s, j0, j1);
            if (job->outputs) for (ptrdiff_t j = j0; j < j1; j++) job->outputs[t * hidden + j] = s.h[j];
        }
        // Every task's slice of h is written before any task reads h for the next step.
        barrier_wait(&job->barrier, &phase);
    }
    const float *last = h[job->steps & 1];
    for (ptrdiff_t j = j0; j < j1; j++) job->final_h[j] = last[j];
}

void stm_recurrent_unroll1(const stm_step1 *step, ptrdiff_t steps, float *projected, float *outputs, float *final_h) {
    int tasks = task_count(step);
    // The tasks wait for each other at every step, so they must all run at once: prepare_unroll sets the split to
    // the threads the pool really gives the job.
    unroll1_job job = {{step, tasks}, steps, projected, outputs, final_h, {0, 0, tasks}};
    stm_parallel_run_together(tasks, run_unroll_task, prepare_unroll, &job);
}
