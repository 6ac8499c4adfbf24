// Intrinsics with exactly specified results, one kernel per family.
#include <cuda_fp16.h>

extern "C" __global__ void int_ops(const int* a, const int* b, int* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    int x = a[i], y = b[i];
    unsigned ux = (unsigned)x, uy = (unsigned)y;
    long long lx = (long long)x * 977 - y, ly = y == 0 ? 3 : y;
    int* o = out + 16 * i;
    o[0] = y != 0 ? x / y : 0;
    o[1] = y != 0 ? x % y : 0;
    o[2] = uy != 0 ? (int)(ux / uy) : 0;
    o[3] = (int)(lx / ly);
    o[4] = (int)(lx % ly);
    o[5] = __popc(ux);
    o[6] = __clz(x);
    o[7] = (int)__brev(ux);
    o[8] = __ffs(x);
    o[9] = (int)__umulhi(ux, uy);
    o[10] = (int)(__mul64hi(lx, ly) ^ (lx >> 7));
    o[11] = (int)__byte_perm(ux, uy, 0x5140);
    o[12] = (int)__funnelshift_l(ux, uy, y);
    o[13] = min(x, y) ^ max(ux, uy);
    o[14] = abs(x) + (x >> (y & 31)) + (int)(ux >> (y & 31));
    o[15] = __sad(x, y, 5) + __mulhi(x, y);
}

extern "C" __global__ void float_ops(const float* a, const float* b, float* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float x = a[i], y = b[i];
    float* o = out + 12 * i;
    o[0] = sqrtf(fabsf(x));
    o[1] = x / y;
    o[2] = fmaf(x, y, 1.0f);
    o[3] = __fmaf_rz(x, y, -x);
    o[4] = __fadd_rd(x, y);
    o[5] = __fmul_ru(x, y);
    o[6] = fminf(x, y) + fmaxf(x, y);
    o[7] = floorf(x) + truncf(y);
    o[8] = rintf(x) - ceilf(y);
    o[9] = copysignf(x, y);
    o[10] = __fdiv_rz(x, y);
    o[11] = __frcp_rd(y) + __fsqrt_ru(fabsf(y));
}

extern "C" __global__ void conversions(const float* a, const double* d, long long* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float x = a[i];
    double v = d[i];
    long long* o = out + 10 * i;
    o[0] = __float2int_rd(x);
    o[1] = __float2int_rn(x);
    o[2] = __float2uint_ru(x);
    o[3] = __float2ll_rz(x);
    o[4] = (long long)v;
    o[5] = __double2int_rn(v);
    float f = __double2float_rz(v);
    o[6] = *reinterpret_cast<int*>(&f);
    __half h = __float2half_rn(x);
    o[7] = *reinterpret_cast<unsigned short*>(&h);
    o[8] = (long long)(__half2float(h) * 2.0f);
    o[9] = (long long)__ll2float_rd(o[4] * 3);
}

extern "C" __global__ void block_votes(const int* a, int* out) {
    __shared__ int best;
    int t = threadIdx.x;
    int v = a[blockIdx.x * blockDim.x + t];
    if (t == 0) best = -2147483647 - 1;
    __syncthreads();
    atomicMax(&best, v);
    int count = __syncthreads_count(v > 0);
    int any = __syncthreads_or(v > 1000);
    int all = __syncthreads_and(v > -1000);
    unsigned ballot = __ballot_sync(0xffffffffu, v & 1);
    int x = __shfl_xor_sync(0xffffffffu, v, 5);
    int up = __shfl_up_sync(0xffffffffu, v, 3);
    int* o = out + 6 * (blockIdx.x * blockDim.x + t);
    o[0] = best;
    o[1] = count;
    o[2] = any * 2 + all;
    o[3] = (int)ballot;
    o[4] = x;
    o[5] = up + __any_sync(0xffffffffu, v == 7) + 2 * __all_sync(0xffffffffu, v != 7);
}
