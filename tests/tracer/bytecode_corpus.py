"""Functions whose canonical bytecode must read the same on every CPython version."""
import math

import simt


def saxpy(a, x, y, out):
    i = simt.grid(1)
    if i < x.shape[0]:
        out[i] = a * x[i] + y[i]


def loops(a, x, out):
    i = simt.grid(1)
    s = 0
    for j in range(3):
        s += x[j] if j < 2 else -1
    if 0 < i < x.shape[0] and not a:
        out[i] += math.sqrt(s)
    for c in (1.0, 0.5):
        print(c, i)
    while True:
        break


def control(a, b, x):
    y = a and b
    z = a or b
    while a < 3:
        a += 1
        if a == 2:
            continue
        if b is None:
            break
    for j in range(10, 0, -2):
        if j == 4:
            return
    x[0] = y + z


def calls(x, out):
    i, j = simt.grid(2)
    lo, hi = min(i, j), max(i, j, 3)
    out[i, j] = abs(x[i, j]) + float(lo) + int(hi)
    v = x[i][j]
    out[i][j] = -v if v < 0 else +v
    out[i, j] += ~lo
