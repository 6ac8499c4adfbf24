"""The ``ptx-emu`` target: parse PTX text and execute it on the CPU.

It reads PTX only (never simt's IR, tracer or other backends), so agreement
between ``ptx-emu`` and the NumPy reference checks code generation. Modules:

* ``lexer``/``parser``/``module``: PTX text -> functions, declarations, instructions
* ``linker``: inline calls, lay out variables, lower every instruction (unknown
  instructions are rejected before anything runs) -> ``Program``
* ``lowering`` + ``ops/*``: per-family semantics tables (integer, bits, floating,
  ieee rounding, convert, compare, data, loadstore, atomic, control, warp, natives)
* ``threads``/``registers``/``memory``/``context``: per-batch machine state
* ``liveness``: which registers matter where groups of threads split and merge
* ``frames``: the compacted registers of a diverged group of threads
* ``executor``: the lockstep scheduler (lowest PC first; see its docstring)
* ``api``: ``launch_ptx``
"""
from .api import launch_ptx, load_program
from .errors import PtxError, PtxSyntaxError, PtxUnsupportedError
from .lowering import supported_opcodes
from . import ops  # noqa: F401  (registers every instruction family)
from .parser import parse_ptx

__all__ = ["launch_ptx", "load_program", "parse_ptx", "supported_opcodes", "PtxError",
           "PtxSyntaxError", "PtxUnsupportedError"]
