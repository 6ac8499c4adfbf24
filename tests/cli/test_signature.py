"""Reading --sig signatures, launch dimensions, and the inputs made for them."""
import re

import numpy as np
import pytest
from hypothesis import given, settings

from simt.dispatcher import ArgSpec, arg_spec
from simt.ir import types as T
from simt.signature import (SignatureError, argument_strategy, array_shape, parse_dims,
                            parse_signature, random_arguments)


def test_scalars_arrays_and_python_scalars():
    params = parse_signature("float32, float32[:], int32[:, :], uint8[:,:,:], int, float, bool, f8")
    assert [p.spec for p in params] == [
        ArgSpec(T.float32, False), ArgSpec(T.ArrayType(T.float32, 1), False),
        ArgSpec(T.ArrayType(T.int32, 2), False), ArgSpec(T.ArrayType(T.uint8, 3), False),
        ArgSpec(T.int64, True), ArgSpec(T.float64, True), ArgSpec(T.bool_, False),
        ArgSpec(T.float64, False)]
    assert [p.describe() for p in params[4:6]] == ["int", "float"]


def test_specs_match_those_of_real_arguments():
    values = [np.float32(1), np.zeros(3, np.float32), np.zeros((2, 2), np.int32), 7, 0.5]
    params = parse_signature("float32, float32[:], int32[:, :], int, float")
    assert [p.spec for p in params] == [arg_spec(v, "v") for v in values]


def test_pinned_values_and_concrete_shapes():
    limit, scale, flag, grid, weak = parse_signature(
        "int64=50, float32=-0.5, bool=true, float64[64, 96], int=0x10")
    assert limit.value == 50 and type(limit.value) is np.int64
    assert scale.value == np.float32(-0.5) and type(scale.value) is np.float32
    assert flag.value == np.True_
    assert grid.shape == (64, 96) and array_shape(grid, 1, 1) == (64, 96)
    assert weak.value == 16 and type(weak.value) is int


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("float32,", "empty item"),
    ("floot32", "unknown type 'floot32'"),
    ("object", "unknown type 'object'"),
    ("float32[:", "unbalanced '['"),
    ("float32]", "unbalanced ']'"),
    ("float32[:, 3]", "not a mix"),
    ("float32[:, :, :, :]", "1 to 3 dimensions"),
    ("int[:]", "NumPy element type"),
    ("int8=300", "does not fit in int8"),
    ("float32=abc", "not a valid float32 value"),
    ("float32[:]=1", "only scalars"),
    ("float32 float32", "cannot read"),
])
def test_bad_signatures_are_one_line_errors(text, message):
    with pytest.raises(SignatureError, match=re.escape(message)) as info:
        parse_signature(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text, dims", [("4", (4,)), ("4,2", (4, 2)), ("16x16", (16, 16)),
                                        ("(2, 3, 4)", (2, 3, 4))])
def test_launch_dimensions(text, dims):
    assert parse_dims(text, "grid") == dims


@pytest.mark.parametrize("text", ["0", "-1", "1,2,3,4", "a", ""])
def test_bad_launch_dimensions(text):
    with pytest.raises(SignatureError, match="the block must be"):
        parse_dims(text, "block")


def test_array_shapes_follow_the_launch_x_fastest():
    one, two, three = parse_signature("int32[:], int32[:, :], int32[:, :, :]")
    assert array_shape(one, 4, 32) == (128,)
    assert array_shape(two, (4, 2), (8, 8)) == (16, 32)
    assert array_shape(three, (1, 2, 3), (2, 2, 2)) == (6, 4, 2)


def test_random_arguments_are_reproducible_and_typed():
    params = parse_signature("float32, int, float, uint16[:], bool[:, :], int64=5")
    first = random_arguments(params, 2, 8, seed=3)
    again = random_arguments(params, 2, 8, seed=3)
    assert type(first[0]) is np.float32 and type(first[1]) is int and type(first[2]) is float
    assert first[3].dtype == np.uint16 and first[3].shape == (16,) and first[3].flags.c_contiguous
    assert first[4].dtype == np.bool_ and first[4].shape == (1, 16)
    assert first[5] == 5
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=20, deadline=None)
@given(argument_strategy(parse_signature("float16[:], int8[:], int, float64=2.5, bool"), 1, 4))
def test_drawn_arguments_have_the_signature(arguments):
    halves, bytes_, count, pinned, flag = arguments
    assert halves.dtype == np.float16 and halves.shape == (4,)
    assert bytes_.dtype == np.int8
    assert type(count) is int and -100 <= count <= 100
    assert pinned == 2.5 and type(pinned) is np.float64
    assert type(flag) is np.bool_
