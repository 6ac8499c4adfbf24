"""The one ``Op`` enum of the IR and its named groups.

Everything keys off this file: the verifier checks operand shapes by group, the
printer prints ``op.value``, and each backend has a lowering table ``dict[Op, ...]``
with a test that every op of every group has an entry.

Operand conventions (the verifier enforces them):
- BINARY ops take two operands of one scalar type; the result has that type
  (TRUEDIV only on floats: the tracer converts ints first).
- COMPARE ops take two operands of one scalar type and produce ``bool``.
- UNARY ops and MATH_UNARY ops take one operand and keep its type (MATH_* on floats).
- MATH_BINARY ops (atan2, pow on floats, hypot, copysign, fmod) take two floats of one type.
- PREDICATES (isnan, isinf, isfinite) take a float and produce ``bool``.
- CAST converts its operand to the result type (float->int truncates toward zero and
  saturates, NaN -> 0; int->int wraps; x->bool is x != 0).
"""
from __future__ import annotations

import enum


class Op(enum.Enum):
    # values
    CONST = "const"            # attrs: value
    CAST = "cast"
    SELECT = "select"          # (cond: bool, a, b) -> a if cond else b

    # arithmetic (Python/NumPy semantics, see DESIGN.md)
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    TRUEDIV = "truediv"
    FLOORDIV = "floordiv"      # floors (Python); int division by zero gives 0
    MOD = "mod"                # sign of the divisor (Python); int modulo by zero gives 0
    POW = "pow"
    MIN = "min"                # Python min(a, b): b if b < a else a
    MAX = "max"                # Python max(a, b): b if b > a else a
    AND = "and"                # bitwise (logical on bool)
    OR = "or"
    XOR = "xor"
    SHL = "shl"                # shift >= width gives 0 (NumPy)
    SHR = "shr"                # arithmetic for signed; >= width gives 0 or -1 (NumPy)

    NEG = "neg"
    INVERT = "invert"          # bitwise not; logical not on bool
    NOT = "not"                # logical not of a bool
    ABS = "abs"                # abs(int min) wraps

    EQ = "eq"
    NE = "ne"                  # true when either operand is NaN
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"

    # math library (floats)
    SQRT = "sqrt"
    EXP = "exp"
    EXP2 = "exp2"
    EXPM1 = "expm1"
    LOG = "log"
    LOG2 = "log2"
    LOG10 = "log10"
    LOG1P = "log1p"
    SIN = "sin"
    COS = "cos"
    TAN = "tan"
    ASIN = "asin"
    ACOS = "acos"
    ATAN = "atan"
    SINH = "sinh"
    COSH = "cosh"
    TANH = "tanh"
    ASINH = "asinh"
    ACOSH = "acosh"
    ATANH = "atanh"
    ERF = "erf"
    ERFC = "erfc"
    FLOOR = "floor"
    CEIL = "ceil"
    TRUNC = "trunc"
    FABS = "fabs"
    CBRT = "cbrt"
    ATAN2 = "atan2"
    HYPOT = "hypot"
    COPYSIGN = "copysign"
    FMOD = "fmod"
    FMA = "fma"                # (a, b, c) -> a*b+c with one rounding
    ISNAN = "isnan"
    ISINF = "isinf"
    ISFINITE = "isfinite"

    # the launch
    THREAD_IDX = "thread_idx"  # attrs: axis (0, 1, 2)
    BLOCK_IDX = "block_idx"
    BLOCK_DIM = "block_dim"
    GRID_DIM = "grid_dim"
    LANE_ID = "lane_id"

    # memory
    ARRAY_DIM = "array_dim"    # (array) attrs: axis -> int64
    LOAD = "load"              # (array, *indices) -> element
    STORE = "store"            # (array, *indices, value)

    # side effects
    PRINT = "print"            # attrs: parts (str for literal text, None for an operand)

    # memory spaces, cooperation inside blocks and warps
    SHARED_ARRAY = "shared_array"  # attrs: shape (tuple; (0,) = dynamic), name -> shared array
    LOCAL_ARRAY = "local_array"    # attrs: shape, name -> a per-thread array
    BARRIER = "barrier"            # attrs: kind sync|count|and|or; (pred: bool)? -> int32 unless sync
    SYNCWARP = "syncwarp"          # (mask: uint32)
    FENCE = "fence"                # attrs: scope block|device|system
    ATOMIC = "atomic"              # attrs: op; (array, *indices, value) -> the old element
    ATOMIC_CAS = "atomic_cas"      # (array, *indices, expected, value) -> the old element
    SHFL = "shfl"                  # attrs: mode idx|up|down|xor; (mask: uint32, value, lane: int32)
    VOTE = "vote"                  # attrs: mode all|any|eq|ballot; (mask: uint32, pred: bool)
    ACTIVEMASK = "activemask"      # -> uint32
    LANEMASK_LT = "lanemask_lt"    # -> uint32
    POPC = "popc"                  # int -> int32
    CLZ = "clz"                    # int -> int32
    FFS = "ffs"                    # int -> int32 (1-based lowest set bit, 0 for 0)
    BREV = "brev"                  # int -> the same int type

    # terminators
    BR = "br"
    CBR = "cbr"
    RET = "ret"


BINARY = frozenset({
    Op.ADD, Op.SUB, Op.MUL, Op.TRUEDIV, Op.FLOORDIV, Op.MOD, Op.POW, Op.MIN, Op.MAX,
    Op.AND, Op.OR, Op.XOR, Op.SHL, Op.SHR,
})
INT_ONLY_BINARY = frozenset({Op.SHL, Op.SHR})
BITWISE = frozenset({Op.AND, Op.OR, Op.XOR, Op.INVERT})
UNARY = frozenset({Op.NEG, Op.INVERT, Op.NOT, Op.ABS})
COMPARE = frozenset({Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE})
MATH_UNARY = frozenset({
    Op.SQRT, Op.EXP, Op.EXP2, Op.EXPM1, Op.LOG, Op.LOG2, Op.LOG10, Op.LOG1P,
    Op.SIN, Op.COS, Op.TAN, Op.ASIN, Op.ACOS, Op.ATAN, Op.SINH, Op.COSH, Op.TANH,
    Op.ASINH, Op.ACOSH, Op.ATANH, Op.ERF, Op.ERFC, Op.FLOOR, Op.CEIL, Op.TRUNC,
    Op.FABS, Op.CBRT,
})
MATH_BINARY = frozenset({Op.ATAN2, Op.HYPOT, Op.COPYSIGN, Op.FMOD})
MATH_TERNARY = frozenset({Op.FMA})
PREDICATES = frozenset({Op.ISNAN, Op.ISINF, Op.ISFINITE})
SPECIAL_REGISTERS = frozenset({Op.THREAD_IDX, Op.BLOCK_IDX, Op.BLOCK_DIM, Op.GRID_DIM, Op.LANE_ID})
MEMORY = frozenset({Op.ARRAY_DIM, Op.LOAD, Op.STORE})
TERMINATORS = frozenset({Op.BR, Op.CBR, Op.RET})
ALLOCATIONS = frozenset({Op.SHARED_ARRAY, Op.LOCAL_ARRAY})
SYNCHRONIZATION = frozenset({Op.BARRIER, Op.SYNCWARP, Op.FENCE})
ATOMICS = frozenset({Op.ATOMIC, Op.ATOMIC_CAS})
WARP = frozenset({Op.SHFL, Op.VOTE, Op.ACTIVEMASK, Op.LANEMASK_LT})
BIT_OPS = frozenset({Op.POPC, Op.CLZ, Op.FFS, Op.BREV})
ATOMIC_KINDS = ("add", "sub", "max", "min", "exch", "inc", "dec", "and", "or", "xor")

# Ops that neither read mutable state nor have effects: foldable, CSE-able, removable if unused.
PURE = frozenset(
    {Op.CONST, Op.CAST, Op.SELECT} | BINARY | UNARY | COMPARE | MATH_UNARY | MATH_BINARY
    | MATH_TERNARY | PREDICATES | SPECIAL_REGISTERS | {Op.ARRAY_DIM} | BIT_OPS
    | {Op.LANEMASK_LT}
)
# Ops that must stay even when their result is unused (and must not be merged by CSE:
# warp ops and allocations depend on which threads execute them, not only on operands).
SIDE_EFFECTS = frozenset({Op.STORE, Op.PRINT}) | TERMINATORS | ALLOCATIONS | SYNCHRONIZATION \
    | ATOMICS | WARP - {Op.LANEMASK_LT}
# Ops that may raise at run time (bounds checks): not removable even when unused.
MAY_TRAP = frozenset({Op.LOAD})

# Every op belongs to exactly one of these; backends check their tables against it.
GROUPS: dict[str, frozenset[Op]] = {
    "values": frozenset({Op.CONST, Op.CAST, Op.SELECT}),
    "binary": BINARY,
    "unary": UNARY,
    "compare": COMPARE,
    "math_unary": MATH_UNARY,
    "math_binary": MATH_BINARY,
    "math_ternary": MATH_TERNARY,
    "predicates": PREDICATES,
    "special_registers": SPECIAL_REGISTERS,
    "memory": MEMORY,
    "effects": frozenset({Op.PRINT}),
    "allocations": ALLOCATIONS,
    "synchronization": SYNCHRONIZATION,
    "atomics": ATOMICS,
    "warp": WARP,
    "bits": BIT_OPS,
    "terminators": TERMINATORS,
}
