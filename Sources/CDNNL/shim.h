#pragma once
#include <oneapi/dnnl/dnnl.h>
// Debian's oneDNN 2.6 threads through GNU OpenMP (libgomp, a NEEDED of libdnnl.so.2).
// Declared here because Swift's bundled clang does not see GCC's omp.h.
void omp_set_num_threads(int n);
int omp_get_max_threads(void);
