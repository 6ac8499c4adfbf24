import numpy as np

import simt


@simt.kernel
def kernel(a, x, y, out):
    i = simt.grid(1)
    if i < x.shape[0]:
        out[i] = a * x[i] + y[i]


ARGS = (np.float32(2.0), np.zeros(8, np.float32), np.zeros(8, np.float32), np.zeros(8, np.float32))
