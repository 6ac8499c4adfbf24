"""Kernels whose plain IR views are golden files: a branch, counted and while loops
(phis), nested device calls, and a 2-D if/elif/else join."""
import simt


@simt.kernel
def saxpy(a, x, y, out):
    i = simt.grid(1)
    if i < x.shape[0]:
        out[i] = a * x[i] + y[i]


@simt.kernel
def row_sums(x, out):
    row = simt.grid(1)
    if row < x.shape[0]:
        total = 0.0
        for j in range(x.shape[1]):
            total += x[row, j]
        out[row] = total


@simt.kernel
def collatz(start, steps):
    i = simt.grid(1)
    if i < start.size:
        n = start[i]
        count = 0
        while n != 1:
            if count >= 1000:
                break
            count += 1
            if n % 2 == 0:
                n = n // 2
                continue
            n = 3 * n + 1
        steps[i] = count


@simt.device
def clamp(v, lo, hi):
    if v < lo:
        return lo
    if v > hi:
        return hi
    return v


@simt.device
def lerp(a, b, t):
    return a + (b - a) * clamp(t, 0.0, 1.0)


@simt.kernel
def blend(a, b, t, out):
    i = simt.grid(1)
    if i < out.size:
        out[i] = lerp(a[i], b[i], t[i])


@simt.kernel
def sign_2d(x, out):
    col, row = simt.grid(2)
    if row < x.shape[0] and col < x.shape[1]:
        v = x[row, col]
        if v > 0:
            s = 1
        elif v < 0:
            s = -1
        else:
            s = 0
        out[row, col] = s


SIGNATURES = {
    "saxpy": "float32, float32[:], float32[:], float32[:]",
    "row_sums": "float64[:, :], float64[:]",
    "collatz": "int64[:], int32[:]",
    "blend": "float32[:], float32[:], float32[:], float32[:]",
    "sign_2d": "float32[:, :], int8[:, :]",
}
