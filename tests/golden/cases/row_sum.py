import numpy as np

import simt


@simt.kernel
def kernel(x, out):
    row = simt.grid(1)
    if row < x.shape[0]:
        total = 0
        for col in range(x.shape[1]):
            total += x[row, col]
        out[row] = total


ARGS = (np.zeros((4, 8), np.float64), np.zeros(4, np.float64))
