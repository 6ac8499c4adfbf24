extern "C" __global__ void mandel(int* out, int w, int h, int maxit) {
    int px = blockIdx.x * blockDim.x + threadIdx.x;
    int py = blockIdx.y * blockDim.y + threadIdx.y;
    if (px >= w || py >= h) return;
    float cx = -2.0f + 3.0f * px / w, cy = -1.5f + 3.0f * py / h;
    float zx = 0.f, zy = 0.f; int it = 0;
    while (it < maxit && zx * zx + zy * zy < 4.0f) {
        float t = zx * zx - zy * zy + cx; zy = 2.0f * zx * zy + cy; zx = t; ++it;
    }
    out[py * w + px] = it;
}
