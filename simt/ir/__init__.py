"""The shared language of simt: types, the Op enum, SSA data structures, the
verifier, passes and the printer. Imports nothing else of simt."""
from .core import Block, Builder, Function, Operation, Successor, Value
from .errors import (CompileError, KernelRuntimeError, LaunchError, SimtError, SourceLoc,
                     TargetUnavailableError)
from .ops import Op
from .types import ArrayType, MemorySpace, ScalarKind, ScalarType, Type, scalar_type
from .verifier import IRVerificationError, verify

__all__ = [
    "ArrayType", "Block", "Builder", "CompileError", "Function", "KernelRuntimeError",
    "IRVerificationError", "LaunchError", "MemorySpace", "Op", "Operation", "ScalarKind", "ScalarType", "SimtError",
    "SourceLoc", "Successor", "TargetUnavailableError", "Type", "Value", "scalar_type", "verify",
]
