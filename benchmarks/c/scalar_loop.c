/* Hand-written gradient of f(x) = sum_{i<n-1} sin(x[i]) cos(x[i+1]): the reference for
   benchmarks/native.py (compiled with gcc -O2 when gcc is present). One sin and one cos
   per element, reused by both neighbours. */
#include <math.h>

double grad(const double *x, double *g, long n) {
    double s = 0.0, sp = sin(x[0]), cp = cos(x[0]);
    for (long i = 0; i < n; i++) g[i] = 0.0;
    for (long i = 0; i + 1 < n; i++) {
        double sn = sin(x[i + 1]), cn = cos(x[i + 1]);
        s += sp * cn;
        g[i] += cp * cn;
        g[i + 1] -= sp * sn;
        sp = sn;
        cp = cn;
    }
    return s;
}

/* reps calls of grad, timed by the caller around one ctypes call */
void bench(const double *x, double *g, long n, long reps) {
    for (long r = 0; r < reps; r++) grad(x, g, n);
}
