"""The tracer: CPython bytecode of a kernel -> typed SSA IR (``simt.ir``)."""
