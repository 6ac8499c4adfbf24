#include <cstdio>
__device__ __noinline__ float poly(float x, int k) {
    float r = 1.0f;
    for (int j = 0; j < k; ++j) r = r * x + 1.0f;
    return r;
}
__device__ __noinline__ double twice(double v) { return v * 2.0; }
extern "C" __global__ void calls(const float* x, float* y, double* z, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        y[i] = poly(x[i], i % 5);
        z[i] = twice((double)x[i]) / 3.0;
        if (i == 1) printf("thread %d x=%f n=%d %s\n", i, (double)x[i], n, "ok");
    }
}
