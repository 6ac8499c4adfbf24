"""The numpy target: a lockstep SIMT interpreter over NumPy arrays that defines what
a kernel means (the reference every other target must agree with).

Modules, each with one job:
- ``elementwise`` / ``fma`` / ``bits``: the meaning of every pure value op, over
  arrays or scalars;
- ``constant``: ``evaluate_constant`` for the IR constant folder (same functions);
- ``values`` / ``affine``: value kinds (uniform, affine, range predicates, varying)
  and the symbolic fast paths;
- ``active``: active sets and how branches split them;
- ``geometry``: batches of blocks, special registers;
- ``memory``: loads, stores and bounds checks;
- ``allocations``: shared and local arrays;
- ``barrier``: barriers (when they open, divergence) and fences;
- ``atomics``: atomic read-modify-writes in thread order;
- ``warp``: shuffles, votes and the warp mask rules;
- ``handlers``: ``NUMPY_IMPL``, the per-op lowering table;
- ``order`` / ``plan``: per-Function block order, segments and cached execution plans;
- ``slots`` / ``interpreter``: batch-wide value storage and the scheduler;
- ``launcher``: ``launch``, argument checks and batching.
"""
from .constant import evaluate_constant
from .handlers import NUMPY_IMPL
from .launcher import DEFAULT_MAX_THREADS_PER_BATCH, launch

__all__ = ["DEFAULT_MAX_THREADS_PER_BATCH", "NUMPY_IMPL", "evaluate_constant", "launch"]
