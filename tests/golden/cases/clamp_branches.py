import numpy as np

import simt

LIMIT = 100


@simt.kernel
def kernel(x, out):
    i = simt.grid(1)
    v = x[i]
    if v > LIMIT:
        v = LIMIT
    elif v < -LIMIT:
        v = -LIMIT
    out[i] = v * 2 if v % 2 == 0 else v


ARGS = (np.zeros(8, np.int32), np.zeros(8, np.int32))
