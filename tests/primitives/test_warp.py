"""Warp shuffles and votes against a per-lane Python model of PTX ``shfl.sync`` and
``vote.sync`` (width 32), under divergence and partial masks, and the errors for bad
masks and for reading a lane that does not participate."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simt
from simt import cuda

from .support import launch

MODES = ("idx", "up", "down", "xor")


@cuda.jit
def shuffle(mode, x, src, active, masks, out):
    i = cuda.grid(1)
    if active[i]:
        m = masks[i // 32]
        if mode == 0:
            out[i] = cuda.shfl_sync(m, x[i], src[i])
        elif mode == 1:
            out[i] = cuda.shfl_up_sync(m, x[i], src[i])
        elif mode == 2:
            out[i] = cuda.shfl_down_sync(m, x[i], src[i])
        else:
            out[i] = cuda.shfl_xor_sync(m, x[i], src[i])


def source_lane(mode: str, lane: int, operand: int) -> int:
    """PTX shfl.sync with c = 0x1f (idx/down/bfly) or 0 (up): out of range keeps the lane."""
    b = operand & 31
    if mode == "up":
        return lane - b if lane - b >= 0 else lane
    if mode == "down":
        return lane + b if lane + b <= 31 else lane
    if mode == "xor":
        return lane ^ b
    return b


def shuffle_model(mode, x, src, active, masks):
    """The expected output, or None when some lane reads a lane outside its mask."""
    out = np.zeros_like(x)
    for i in np.flatnonzero(active):
        lane, warp = i % 32, i // 32
        j = source_lane(mode, lane, int(src[i]))
        if not int(masks[warp]) >> j & 1:
            return None
        out[i] = x[warp * 32 + j]
    return out


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(MODES), st.data())
def test_shuffles_follow_ptx_shfl_sync(mode: str, data) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32)))
    x = rng.standard_normal(64).astype(np.float32)
    src = rng.integers(-40, 40, 64).astype(np.int32)
    if data.draw(st.booleans()):
        src[:] = data.draw(st.integers(-40, 40))                 # a uniform lane operand
    active = rng.random(64) < data.draw(st.sampled_from([1.0, 0.9, 0.5]))
    bits = (active.reshape(2, 32) * (np.uint64(1) << np.arange(32, dtype=np.uint64))).sum(axis=1)
    masks = bits.astype(np.uint32)             # exactly the lanes that take the branch
    out = np.zeros_like(x)
    expected = shuffle_model(mode, x, src, active, masks)
    if expected is None:
        with pytest.raises(simt.KernelRuntimeError, match="which is not in the mask"):
            launch(shuffle, 1, 64, MODES.index(mode), x, src, active, masks, out)
    else:
        launch(shuffle, 1, 64, MODES.index(mode), x, src, active, masks, out)
        assert np.array_equal(out, expected)


@cuda.jit
def votes(x, active, masks, out):
    i = cuda.grid(1)
    if active[i]:
        m = masks[i // 32]
        p = x[i] > 0
        out[i, 0] = cuda.ballot_sync(m, p)
        out[i, 1] = cuda.all_sync(m, p)
        out[i, 2] = cuda.any_sync(m, p)
        out[i, 3] = cuda.eq_sync(m, p)
        out[i, 4] = cuda.activemask()
        out[i, 5] = cuda.lanemask_lt()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2 ** 32), st.sampled_from([1.0, 0.7, 0.2]), st.sampled_from([1.0, 0.5, 0.0]))
def test_votes_over_the_lanes_of_the_mask(seed: int, share_active: float, share_true: float) -> None:
    rng = np.random.default_rng(seed)
    x = np.where(rng.random(64) < share_true, 1.0, -1.0)
    active = rng.random(64) < share_active
    lane_bits = np.uint64(1) << np.arange(32, dtype=np.uint64)
    warp_active = (active.reshape(2, 32) * lane_bits).sum(axis=1).astype(np.uint32)
    out = np.zeros((64, 6), np.uint32)
    launch(votes, 1, 64, x, active, warp_active, out)
    yes = ((x > 0) & active).reshape(2, 32)
    ballot = (yes * lane_bits).sum(axis=1).astype(np.uint32)
    for i in np.flatnonzero(active):
        w = i // 32
        assert out[i, 0] == ballot[w]
        assert out[i, 1] == (ballot[w] == warp_active[w])
        assert out[i, 2] == (ballot[w] != 0)
        assert out[i, 3] == (ballot[w] in (0, warp_active[w]))
        assert out[i, 4] == warp_active[w]
        assert out[i, 5] == (1 << (i % 32)) - 1
    assert (out[~active] == 0).all()


@cuda.jit
def warp_ids_2d(out):
    # Warps follow the linear thread id x + y*bdx: a 16 x 4 block has 2 warps.
    t = cuda.threadIdx.x + cuda.threadIdx.y * cuda.blockDim.x
    out[t] = cuda.shfl_sync(0xFFFFFFFF, t, 0)


def test_warps_are_consecutive_linear_thread_ids() -> None:
    out = np.zeros(64, np.int32)
    launch(warp_ids_2d, 1, (16, 4), out)
    assert np.array_equal(out, np.repeat([0, 32], 32))


@cuda.jit
def partial_last_warp(out):
    t = cuda.threadIdx.x
    out[t] = cuda.ballot_sync(0xFFFFFFFF, True)
    out[t] += cuda.shfl_xor_sync(0xFFFFFFFF, t, 1)


def test_a_full_mask_is_fine_when_the_last_warp_is_partial() -> None:
    out = np.zeros(40, np.uint32)
    launch(partial_last_warp, 1, 40, out)
    t = np.arange(40)
    assert np.array_equal(out[:32], (0xFFFFFFFF + (t[:32] ^ 1)) & 0xFFFFFFFF)
    assert np.array_equal(out[32:], 0xFF + (t[32:] ^ 1))


# -- errors -------------------------------------------------------------------------

@cuda.jit
def divergent_full_mask(x, out):
    i = cuda.grid(1)
    v = x[i]
    if cuda.laneid < 16:
        v = cuda.shfl_sync(0xFFFFFFFF, v, 0)
    out[i] = v


@cuda.jit
def outside_own_mask(x, out):
    i = cuda.grid(1)
    out[i] = cuda.shfl_down_sync(0x0000FFFF, x[i], 1)


@cuda.jit
def reads_outside_mask(x, out):
    i = cuda.grid(1)
    if cuda.laneid < 16:
        out[i] = cuda.shfl_down_sync(0x0000FFFF, x[i], 8)


@cuda.jit
def reads_missing_lane(x, out):
    i = cuda.grid(1)
    out[i] = cuda.shfl_down_sync(0xFFFFFFFF, x[i], 8)


@cuda.jit
def exited_lane(x, out):
    i = cuda.grid(1)
    if i >= 20:
        return
    out[i] = cuda.shfl_sync(0xFFFFFFFF, x[i], 25)


@cuda.jit
def bad_syncwarp(out):
    t = cuda.threadIdx.x
    if t < 8:
        cuda.syncwarp(0xFFFFFFFF)
    out[t] = t


@cuda.jit
def mixed_masks(x, out):
    i = cuda.grid(1)
    m = 0x0000FFFF if cuda.laneid < 8 else 0xFFFFFFFF
    out[i] = cuda.any_sync(m, x[i] > 0)


def _error(kernel, *args, block=32) -> str:
    with pytest.raises(simt.KernelRuntimeError) as caught:
        launch(kernel, 1, block, *args)
    return str(caught.value)


def test_a_full_mask_in_divergent_code_is_an_error() -> None:
    x, out = np.zeros(32, np.float32), np.zeros(32, np.float32)
    message = _error(divergent_full_mask, x, out)
    assert "shfl_sync: mask 0xffffffff names live lane(s) [16, 17" in message
    assert "divergent warp" in message and "'divergent_full_mask'" in message
    assert "threadIdx=(0, 0, 0)" in message
    assert "v = cuda.shfl_sync(0xFFFFFFFF, v, 0)" in message        # the user's line


def test_a_thread_outside_its_own_mask_is_an_error() -> None:
    x, out = np.zeros(32, np.float32), np.zeros(32, np.float32)
    message = _error(outside_own_mask, x, out)
    assert "shfl_down_sync: lane 16 is not in its own mask 0x0000ffff" in message
    assert "threadIdx=(16, 0, 0)" in message


def test_reading_a_lane_outside_the_mask_is_reported() -> None:
    x, out = np.zeros(32, np.float32), np.zeros(32, np.float32)
    message = _error(reads_outside_mask, x, out)
    assert "lane 8 reads lane 16, which is not in the mask" in message


def test_reading_a_lane_past_the_end_of_the_block_is_reported() -> None:
    x, out = np.zeros(48, np.float32), np.zeros(48, np.float32)
    message = _error(reads_missing_lane, x, out, block=48)
    assert "lane 8 reads lane 16, which is not executing it" in message
    assert "threadIdx=(40, 0, 0)" in message


def test_reading_an_exited_lane_is_reported() -> None:
    x, out = np.zeros(32, np.float32), np.zeros(32, np.float32)
    message = _error(exited_lane, x, out)
    assert "lane 0 reads lane 25, which is not executing it" in message


def test_syncwarp_in_divergent_code_is_an_error() -> None:
    message = _error(bad_syncwarp, np.zeros(32, np.int32))
    assert "mask 0xffffffff names live lane(s) [8, 9" in message


def test_lanes_of_one_mask_must_pass_the_same_mask() -> None:
    message = _error(mixed_masks, np.zeros(32), np.zeros(32, np.bool_))
    assert "lane(s) [8, 9, 10, 11, 12, 13, 14, 15] named by mask 0x0000ffff pass a different mask" in message
