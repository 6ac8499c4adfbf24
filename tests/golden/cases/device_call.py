import math

import numpy as np

import simt


@simt.device
def polar(x, y):
    return math.hypot(x, y), math.atan2(y, x)


@simt.kernel
def kernel(xs, ys, radius, angle):
    i = simt.grid(1)
    r, theta = polar(xs[i], ys[i])
    radius[i] = r
    angle[i] = theta if theta >= 0 else theta + 2 * math.pi


ARGS = tuple(np.zeros(8, np.float32) for _ in range(4))
