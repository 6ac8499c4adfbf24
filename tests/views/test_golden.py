"""Golden files for the plain renderings of ``kern.inspect(...)``.

``SIMT_UPDATE_GOLDEN=1 python -m pytest tests/views`` rewrites them; review the diff.
"""
import os

import pytest

from simt.ir.printer import ValueNames, format_block_header, format_operation
from simt.views.kernel import block_header, operation_line
from simt.views.style import plain

from . import kernels

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")


def view_of(name: str):
    return getattr(kernels, name).inspect(sig=kernels.SIGNATURES[name])


@pytest.mark.parametrize("name", sorted(kernels.SIGNATURES))
def test_plain_view_matches_golden(name):
    text = str(view_of(name)) + "\n"
    path = os.path.join(GOLDEN, f"{name}.ir.txt")
    if os.environ.get("SIMT_UPDATE_GOLDEN") or not os.path.exists(path):
        with open(path, "w") as f:
            f.write(text)
    with open(path) as f:
        assert text == f.read(), f"{name}: the view differs from {path} (SIMT_UPDATE_GOLDEN=1 rewrites it)"


@pytest.mark.parametrize("name", sorted(kernels.SIGNATURES))
def test_plain_view_is_deterministic(name):
    assert str(view_of(name)) == str(view_of(name))


@pytest.mark.parametrize("name", sorted(kernels.SIGNATURES))
def test_ops_read_as_the_ir_printer_prints_them(name):
    view = view_of(name)
    names = ValueNames(view.function)
    for block in view.function.blocks:
        if block is not view.function.entry:
            assert plain(block_header(block, names, view.function)) == format_block_header(block, names)
        for operation in block.ops:
            assert plain(operation_line(operation, names, view.function)) == \
                format_operation(operation, names)


def test_every_op_appears_once_under_its_source_line():
    view = view_of("collatz")
    shown = [op for section in view.sections for group in section.groups for op in group.ops]
    assert shown == list(view.function.operations())
    for section in view.sections:
        for group in section.groups:
            assert all(op.loc.line == group.line for op in group.ops)
