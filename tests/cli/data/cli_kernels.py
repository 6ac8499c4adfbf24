"""Kernels the CLI tests name as FILE.py:KERNEL."""
import simt


@simt.kernel
def saxpy(a, x, y, out):
    i = simt.grid(1)
    if i < x.shape[0]:
        out[i] = a * x[i] + y[i]


def relu(x, out):            # a plain function: the CLI wraps it with simt.kernel
    i = simt.grid(1)
    if i < x.size:
        out[i] = max(x[i], 0.0)


@simt.kernel
def escape_time(limit, out):
    col, row = simt.grid(2)
    if row < out.shape[0] and col < out.shape[1]:
        n = 0
        z = 0.0
        while n < limit and z < 4.0:
            z = z * z + col / out.shape[1]
            n += 1
        out[row, col] = n


@simt.kernel
def out_of_bounds(out):
    i = simt.grid(1)
    out[i + 1000] = 1


@simt.kernel
def uses_a_list(out):
    i = simt.grid(1)
    out[i] = [1, 2, 3][0]


@simt.device
def helper(v):
    return v + 1


NOT_A_KERNEL = 42
