// A tiny fork-join pool for the kernels' own parallel work (the batch-1 recurrence split by hidden units,
// a batch split in halves). Workers are persistent; between jobs they spin briefly (a recurrence posts a
// job every few microseconds), then sleep on a condition variable so an idle daemon burns no CPU.
#include "stm_kernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define STM_POOL_MAX 16
#define STM_SPIN_ROUNDS 20000

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;  // held for a whole job: one job at a time
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static int pool_size = 1;        // threads including the caller
static int pool_started = 0;     // workers created so far
static _Atomic unsigned long pool_generation = 0;
static _Atomic int pool_pending = 0;
static stm_task_fn pool_fn = NULL;
static void *pool_context = NULL;
static int pool_count = 0;         // tasks of the current job
static int pool_participants = 0;  // threads running them (the caller included): task i runs on thread i mod this
static _Atomic int pool_sleepers = 0;
/// Set while this thread runs a task: a nested stm_parallel_run (a task that itself splits) runs inline
/// instead of waiting for the job it is part of.
static __thread int inside_job = 0;

/// The generation each worker starts from, recorded under pool_lock when it is created: a worker that read
/// the counter itself could start after the first job was posted and never see it.
static unsigned long start_generation[STM_POOL_MAX];

static void *worker(void *argument) {
    int index = (int)(intptr_t)argument;
    unsigned long seen = start_generation[index];
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&pool_generation, memory_order_acquire) == seen) {
            if (++spins < STM_SPIN_ROUNDS) {
                __builtin_ia32_pause();
                continue;
            }
            pthread_mutex_lock(&pool_lock);
            atomic_fetch_add(&pool_sleepers, 1);
            while (atomic_load(&pool_generation) == seen) pthread_cond_wait(&pool_wake, &pool_lock);
            atomic_fetch_sub(&pool_sleepers, 1);
            pthread_mutex_unlock(&pool_lock);
        }
        seen = atomic_load(&pool_generation);
        if (index < pool_participants) {
            inside_job = 1;
            for (int task = index; task < pool_count; task += pool_participants) pool_fn(pool_context, task);
            inside_job = 0;
        }
        atomic_fetch_sub_explicit(&pool_pending, 1, memory_order_release);
    }
    return NULL;
}

void stm_pool_set_threads(int threads) {
    pthread_mutex_lock(&pool_lock);
    if (threads < 1) threads = 1;
    if (threads > STM_POOL_MAX) threads = STM_POOL_MAX;
    while (pool_started < threads - 1) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        start_generation[pool_started + 1] = atomic_load(&pool_generation);
        if (pthread_create(&thread, &attributes, worker, (void *)(intptr_t)(pool_started + 1)) != 0) break;
        pool_started++;
    }
    pool_size = pool_started + 1 < threads ? pool_started + 1 : threads;
    pthread_mutex_unlock(&pool_lock);
}

int stm_pool_threads(void) { return pool_size; }

/// Every task runs, whatever the pool's size: with fewer threads than tasks, thread p runs tasks p, p + n, ….
/// The number of threads is fixed under the locks, so a concurrent stm_pool_set_threads cannot drop a task, and
/// `prepare` (when given) learns it before any task starts.
static void run_job(int count, stm_task_fn fn, void (*prepare)(void *, int), void *context) {
    if (count <= 0) return;
    if (count == 1 || inside_job) {
        if (prepare) prepare(context, 1);
        for (int i = 0; i < count; i++) fn(context, i);
        return;
    }
    // One job at a time: the daemon's workers share the pool, so a second caller waits here.
    pthread_mutex_lock(&job_lock);
    pthread_mutex_lock(&pool_lock);
    int participants = count < pool_size ? count : pool_size;
    if (participants <= 1) {
        pthread_mutex_unlock(&pool_lock);
        if (prepare) prepare(context, 1);
        for (int i = 0; i < count; i++) fn(context, i);
        pthread_mutex_unlock(&job_lock);
        return;
    }
    if (prepare) prepare(context, participants);
    pool_fn = fn;
    pool_context = context;
    pool_count = count;
    pool_participants = participants;
    atomic_store(&pool_pending, pool_started);
    atomic_fetch_add_explicit(&pool_generation, 1, memory_order_release);
    if (atomic_load(&pool_sleepers) > 0) pthread_cond_broadcast(&pool_wake);
    pthread_mutex_unlock(&pool_lock);
    inside_job = 1;
    for (int task = 0; task < count; task += participants) fn(context, task);
    inside_job = 0;
    while (atomic_load_explicit(&pool_pending, memory_order_acquire) > 0) __builtin_ia32_pause();
    pthread_mutex_unlock(&job_lock);
}

void stm_parallel_run(int count, stm_task_fn fn, void *context) { run_job(count, fn, NULL, context); }

void stm_parallel_run_together(int count, stm_task_fn fn, void (*prepare)(void *, int), void *context) {
    run_job(count, fn, prepare, context);
}

// oneDNN's OpenMP pool stays at one thread on every thread that calls it: stmd parallelises in its own pool
// above (splitting GEMMs and batches), so the two pools never spin against each other on the same cores.
extern void omp_set_num_threads(int) __attribute__((weak));

void stm_blas_thread_setup(void) {
    static __thread int done = 0;
    if (!done) {
        if (omp_set_num_threads) omp_set_num_threads(1);
        done = 1;
    }
}

#include <malloc.h>

void stm_bound_resident_memory(void) {
    mallopt(M_MMAP_THRESHOLD, 128 << 10);
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
    mallopt(M_ARENA_MAX, 2);
}

void stm_release_free_memory(void) {
    malloc_trim(0);
}

void stm_reuse_freed_memory(void) {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
}
