"""Failure reports: the inputs as Python source, and what each target made of them.

A report has to let a person reproduce the failure and see it at a glance: the
arguments print as Python expressions that rebuild them exactly (sparse arrays
as ``np.full(...)`` plus the elements that differ from the fill), and the first
differing element prints with every implementation's value there (and its bits,
for floats), followed by the thread's whole row of that output.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Sequence

import numpy as np

from .compare import ORACLE, Mismatch, Outcome


def scalar_literal(value: Any) -> str:
    """Python source for a scalar: ``np.float32(1.5)``, ``-np.inf``, ``7``."""
    if isinstance(value, (bool, np.bool_)):
        text = str(bool(value))
        return text if isinstance(value, bool) else f"np.bool_({text})"
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            text = "-np.nan" if math.copysign(1.0, number) < 0 else "np.nan"
        elif math.isinf(number):
            text = "np.inf" if number > 0 else "-np.inf"
        else:
            text = repr(number)
        # np.float64 is a subclass of float: ask for NumPy first
        return f"np.{value.dtype.name}({text})" if isinstance(value, np.floating) else text
    if isinstance(value, np.integer):
        return f"np.{value.dtype.name}({int(value)})"
    return repr(value)


def _element(value: Any) -> str:
    text = scalar_literal(value.item() if isinstance(value, np.generic) else value)
    return text


def array_literal(array: np.ndarray, limit: int = 24) -> str:
    """Python source that rebuilds ``array`` (NaN payloads aside)."""
    dtype = f"np.{array.dtype.name}"
    if array.dtype.kind == "f":
        keys = array.reshape(-1).view(f"u{array.itemsize}").tolist()
    else:
        keys = array.reshape(-1).tolist()
    fill_key, _ = Counter(keys).most_common(1)[0]
    flat = array.reshape(-1)
    others = [i for i, key in enumerate(keys) if key != fill_key]
    if len(others) <= limit:
        fill = flat[keys.index(fill_key)]
        text = f"np.full({array.shape if array.ndim > 1 else array.shape[0]}, {_element(fill)}, {dtype})"
        if not others:
            return text
        sets = ", ".join(f"{_index(np.unravel_index(i, array.shape))}: {_element(flat[i])}"
                         for i in others)
        return f"with_elements({text}, {{{sets}}})"
    values = ", ".join(_element(v) for v in flat)
    shaped = f"np.array([{values}], {dtype})"
    return shaped if array.ndim == 1 else f"{shaped}.reshape({array.shape})"


def _index(index: tuple) -> str:
    items = tuple(int(i) for i in index)
    return str(items[0]) if len(items) == 1 else str(items)


def with_elements(array: np.ndarray, elements: dict) -> np.ndarray:
    """``array`` with ``array[index] = value`` for each item (what ``array_literal`` writes)."""
    for index, value in elements.items():
        array[index] = value
    return array


def arguments_text(names: Sequence[str], arguments: Sequence[Any]) -> str:
    """``name = <source>`` per argument."""
    lines = []
    for name, value in zip(names, arguments):
        text = array_literal(value) if isinstance(value, np.ndarray) else scalar_literal(value)
        lines.append(f"{name} = {text}")
    return "\n".join(lines)


def _value_text(value: Any) -> str:
    text = str(value)
    if isinstance(value, np.floating):
        width = value.dtype.itemsize
        text += f" (0x{int(value.view(f'u{width}')):0{width * 2}x})"
    return text


def outcomes_text(names: Sequence[str], outcomes: dict[str, Outcome], mismatch: Mismatch) -> str:
    """Each implementation's value at the first difference (or its error), and its row."""
    width = max(len(name) for name in outcomes)
    lines = []
    if mismatch.argument is None:
        lines.append("one side raised and the other did not:")
        for target, outcome in outcomes.items():
            lines.append(f"  {target:<{width}}  "
                         f"{'raised ' + outcome.error if outcome.error else 'ran to completion'}")
        return "\n".join(lines)
    name = names[mismatch.argument]
    index = mismatch.index
    size = outcomes[ORACLE].arguments[mismatch.argument].size
    lines.append(f"first difference: {name}{list(index)} ({mismatch.count} of {size} elements "
                 f"differ in {mismatch.target})")
    for target, outcome in outcomes.items():
        if outcome.error is not None:
            lines.append(f"  {target:<{width}}  raised {outcome.error}")
            continue
        value = outcome.arguments[mismatch.argument][index]
        marker = "   <- differs" if target == mismatch.target else ""
        lines.append(f"  {target:<{width}}  {_value_text(value)}{marker}")
    if len(index) > 1:
        lines.append(f"row {name}[{', '.join(str(i) for i in index[:-1])}, :]:")
        for target, outcome in outcomes.items():
            if outcome.error is None:
                row = outcome.arguments[mismatch.argument][index[:-1]]
                lines.append(f"  {target:<{width}}  {np.array2string(row, separator=', ')}")
    return "\n".join(lines)


__all__ = ["array_literal", "arguments_text", "outcomes_text", "scalar_literal", "with_elements"]
