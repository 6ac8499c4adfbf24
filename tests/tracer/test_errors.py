"""Unsupported Python in a kernel: one CompileError that names the user's line."""
import os

import numpy as np
import pytest

import simt
from simt import CompileError

THIS_FILE = os.path.basename(__file__)
X = np.zeros(4, np.float32)
GLOBAL_ARRAY = np.zeros(3)


def _compile_error(kernel, *args) -> CompileError:
    with pytest.raises(CompileError) as info:
        kernel[1, 4](*args)
    return info.value


def k_try(x):
    try:
        x[0] = 1.0
    except IndexError:
        pass


def k_with(x):
    with open("f"):
        x[0] = 1.0


def k_list(x):
    values = [1.0, 2.0]
    x[0] = values[0]


def k_dict(x):
    d = {"a": 1.0}
    x[0] = d["a"]


def k_fstring(x):
    print(f"value {x[0]}")


def k_lambda(x):
    f = lambda v: v + 1  # noqa: E731
    x[0] = f(1.0)


def k_return_value(x):
    return x[0]


def k_global_array(x):
    x[0] = GLOBAL_ARRAY[0]


def k_raise(x):
    raise ValueError("no")


def k_unknown_call(x):
    x[0] = np.linalg.norm(x)


def k_slice(x):
    x[0] = x[1:2]


def k_float_index(x):
    x[0] = x[1.5]


def k_plain_function(x):
    x[0] = helper(x[0])


def helper(v):
    return v


def k_generator(x):
    yield x[0]


def k_undefined(x):
    if x[0] > 0:
        v = 1.0
    x[1] = w  # noqa: F821


def k_assert(x):
    assert x[0] > 0


CASES = [
    (k_try, "try/except", "x[0] = 1.0"),
    (k_with, "'with'", "with open"),
    (k_list, "lists", "values = [1.0, 2.0]"),
    (k_dict, "dicts", 'd = {"a": 1.0}'),
    (k_fstring, "f-strings", 'print(f"value {x[0]}")'),
    (k_lambda, "nested functions", "f = lambda"),
    (k_return_value, "cannot return a value", "return x[0]"),
    (k_global_array, "NumPy array can't be used as a global", "GLOBAL_ARRAY[0]"),
    (k_raise, "raise", 'raise ValueError("no")'),
    (k_unknown_call, "not supported", "np.linalg.norm(x)"),
    (k_slice, "slices", "x[1:2]"),
    (k_float_index, "indices must be integers", "x[1.5]"),
    (k_plain_function, "plain Python function", "helper(x[0])"),
    (k_undefined, "not defined", "x[1] = w"),
    (k_assert, "assert", "assert x[0] > 0"),
]


@pytest.mark.parametrize("pyfunc, phrase, source", CASES, ids=[c[0].__name__ for c in CASES])
def test_error_points_at_user_line(pyfunc, phrase, source):
    error = _compile_error(simt.kernel(pyfunc), X)
    message = str(error)
    first_line = message.splitlines()[0]
    assert phrase in message
    assert THIS_FILE in first_line and f"in '{pyfunc.__name__}'" in first_line
    lineno = int(first_line.split(THIS_FILE + ":")[1].split(":")[0])
    with open(__file__) as f:
        assert source in f.read().splitlines()[lineno - 1]
    assert source in message                        # the source line is shown
    assert "^" in message                           # with a caret under it
    assert "simt/tracer" not in message and "Traceback" not in message


def test_error_has_no_compiler_frames_in_traceback():
    error = _compile_error(simt.kernel(k_try), X)
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    compiler = os.path.join("simt", "tracer")
    assert not any(compiler in f for f in frames), frames


def test_generator_rejected():
    error = _compile_error(simt.kernel(k_generator), X)
    assert "generator" in str(error)


def test_hints_are_given():
    assert "hint:" in str(_compile_error(simt.kernel(k_try), X))
    assert "@simt.device" in str(_compile_error(simt.kernel(k_plain_function), X))


def test_recursion_is_reported():
    @simt.device
    def fact(n):
        if n <= 1:
            return 1
        return n * fact(n - 1)

    @simt.kernel
    def k(x):
        x[0] = fact(5)

    assert "recursion" in str(_compile_error(k, X))


def test_source_free_kernel_still_gets_a_position():
    namespace = {"simt": simt}
    exec(compile("def k(x):\n    x[0] = [1][0]\n", "<generated>", "exec"), namespace)
    error = _compile_error(simt.kernel(namespace["k"]), X)
    assert str(error).startswith("<generated>:2:")


def test_python_int_out_of_range_for_fixed_width_operand():
    @simt.kernel
    def k(x):
        x[0] = x[1] * 1000

    error = _compile_error(k, np.zeros(4, np.int8))
    assert "1000 is out of bounds for int8" in str(error)
    assert "x[0] = x[1] * 1000" in str(error)
