"""Semantics tables of the PTX instructions, one module per family. Importing
this package registers every family's builders with ``lowering``."""
from . import atomic, bits, compare, control, convert, data, floating, integer  # noqa: F401
from . import loadstore, natives, warp  # noqa: F401
