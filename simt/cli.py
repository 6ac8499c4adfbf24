"""The ``simt`` command line (also ``python -m simt``).

    simt demo
    simt ir    FILE.py:KERNEL --sig "float32, float32[:]" [--cfg] [--ptx]
    simt ptx   FILE.py:KERNEL --sig ... [--arch sm_90] [--sass] [--raw]
    simt run   FILE.py:KERNEL --sig ... [--grid G] [--block B] [--target numpy|ptx-emu|cuda]
    simt check FILE.py:KERNEL --sig ... [--examples N] [--grid G] [--block B] [--ulp N]

Output is rich on a terminal and plain text with ``--plain``, with ``NO_COLOR`` set,
or when stdout is not a terminal. Exit codes: 0 success, 1 a disagreement or a
kernel error (compile or run time), 2 bad usage (a wrong path, kernel name,
signature or option; a target or tool that this machine lacks).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import traceback
from types import FunctionType
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_GRID, DEFAULT_BLOCK = "2", "32"


class UsageError(Exception):
    """Bad usage: printed as one line, exit status 2."""


class KernelFileError(Exception):
    """The kernel's file raised while being imported: one line, exit status 1."""


# ------------------------------------------------------------------ arguments
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simt", description="simt: GPU kernels as Python functions")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("demo", help="trace example kernels, show their IR, run and check them")

    kernel = argparse.ArgumentParser(add_help=False)
    kernel.add_argument("kernel", metavar="FILE.py:KERNEL",
                        help="a Python file and the name of a kernel (or plain function) in it")
    kernel.add_argument("--sig", required=True, metavar="TYPES",
                        help='argument types, e.g. "float32, float32[:], int64=50, float64[64, 96]"')
    kernel.add_argument("--plain", action="store_true", help="plain text, no colour")
    launch = argparse.ArgumentParser(add_help=False)
    launch.add_argument("--grid", default=DEFAULT_GRID, metavar="G",
                        help=f"blocks per grid: 4, 4,2 or 4x2 (default {DEFAULT_GRID})")
    launch.add_argument("--block", default=DEFAULT_BLOCK, metavar="B",
                        help=f"threads per block (default {DEFAULT_BLOCK}); arrays written [:] "
                             "get one element per thread along each axis")
    launch.add_argument("--seed", type=int, default=0, help="seed of the inputs (default 0)")

    ir = commands.add_parser("ir", parents=[kernel], help="show the typed SSA beside the Python source")
    cfg = ir.add_mutually_exclusive_group()
    cfg.add_argument("--cfg", dest="cfg", action="store_const", const=True, default=None,
                     help="always show the control-flow graph (default: for kernels with loops)")
    cfg.add_argument("--no-cfg", dest="cfg", action="store_const", const=False,
                     help="never show the control-flow graph")
    ir.add_argument("--ptx", action="store_true", help="also show the PTX under each Python line")
    ir.add_argument("--arch", default="sm_90", help="the GPU architecture for --ptx (default sm_90)")

    ptx = commands.add_parser("ptx", parents=[kernel], help="show the PTX under each Python line")
    ptx.add_argument("--arch", default="sm_90", help="the GPU architecture (default sm_90)")
    output = ptx.add_mutually_exclusive_group()
    output.add_argument("--raw", action="store_true", help="print the PTX module as it is")
    output.add_argument("--sass", action="store_true",
                        help="print the SASS instead (needs nvdisasm from the CUDA toolkit)")

    run = commands.add_parser("run", parents=[kernel, launch],
                              help="launch on random inputs; summarize outputs and timing")
    run.add_argument("--target", default="numpy", choices=("numpy", "ptx-emu", "cuda"))
    run.add_argument("--repeat", type=int, default=1, metavar="N",
                     help="launch N times and report the best time (default 1)")

    check = commands.add_parser("check", parents=[kernel, launch],
                                help="differential check: the CPython oracle against every target")
    check.add_argument("--examples", type=int, default=100, metavar="N",
                       help="how many inputs hypothesis draws (default 100)")
    check.add_argument("--targets", default=None, metavar="T,T",
                       help="the targets to compare (default: every available one)")
    check.add_argument("--ulp", type=int, default=0, metavar="N",
                       help="accept float results within N ulp (default 0: bitwise)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from .demo import run
        return EXIT_OK if run() else EXIT_FAILED
    from .ir.errors import LaunchError, SimtError, TargetUnavailableError

    try:
        return COMMANDS[args.command](args)
    except (UsageError, LaunchError, TargetUnavailableError) as exc:
        return fail(str(exc).splitlines()[0], EXIT_USAGE)
    except KernelFileError as exc:
        return fail(str(exc), EXIT_FAILED)
    except SimtError as exc:         # the kernel itself: compile or run-time error
        return fail(str(exc), EXIT_FAILED)
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_FAILED)


def fail(message: str, status: int) -> int:
    print(f"simt: error: {message}", file=sys.stderr)
    return status


# ------------------------------------------------------------------ loading kernels
def load_kernel(reference: str):
    """The kernel named by ``FILE.py:KERNEL`` (a plain function is wrapped with simt.kernel)."""
    import simt

    path, colon, name = reference.rpartition(":")
    if not colon or not path or not name:
        raise UsageError(f"name a kernel as FILE.py:KERNEL, got {reference!r}")
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    module = import_file(os.path.abspath(path))
    if not hasattr(module, name):
        kernels = sorted(k for k, v in vars(module).items()
                         if isinstance(v, simt.Dispatcher) and not v.is_device)
        known = f" (its kernels: {', '.join(kernels)})" if kernels else " (it defines no @simt.kernel)"
        raise UsageError(f"{path} has no kernel named {name!r}{known}")
    value = getattr(module, name)
    if isinstance(value, simt.Dispatcher):
        if value.is_device:
            raise UsageError(f"{name!r} in {path} is a device function; name a kernel")
        return value
    if isinstance(value, FunctionType):
        return simt.kernel(value)
    raise UsageError(f"{name!r} in {path} is a {type(value).__name__}, not a kernel")


def import_file(path: str):
    stem = os.path.splitext(os.path.basename(path))[0]
    module_name = stem if stem.isidentifier() and stem not in sys.modules else "__simt_kernel_file__"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, os.path.dirname(path))   # its sibling imports work, as for a script
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise KernelFileError(f"{os.path.basename(exc.filename or path)}:{exc.lineno}: "
                              f"SyntaxError: {exc.msg}") from None
    except Exception as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
        where = f"{os.path.basename(path)}:{frames[-1].lineno}: " if frames else ""
        raise KernelFileError(f"importing {os.path.basename(path)} failed: {where}"
                              f"{type(exc).__name__}: {exc}") from None
    return module


def kernel_and_params(args: argparse.Namespace):
    from .signature import SignatureError, check_arity, parse_signature

    dispatcher = load_kernel(args.kernel)
    try:
        params = parse_signature(args.sig)
        code = dispatcher.py_func.__code__
        check_arity(params, dispatcher.__name__, code.co_varnames[:code.co_argcount])
    except SignatureError as exc:
        raise UsageError(f"--sig: {exc}") from None
    return dispatcher, params


def launch_dims(args: argparse.Namespace) -> tuple[tuple[int, ...], tuple[int, ...]]:
    from .signature import SignatureError, parse_dims

    try:
        return parse_dims(args.grid, "grid"), parse_dims(args.block, "block")
    except SignatureError as exc:
        raise UsageError(str(exc)) from None


def check_arch(arch: str) -> None:
    try:
        from .backends.ptx import SUPPORTED_ARCHS
    except ImportError:
        return      # no backend: the view says so
    if arch not in SUPPORTED_ARCHS:
        raise UsageError(f"unsupported --arch {arch}; choose one of {', '.join(SUPPORTED_ARCHS)}")


# ------------------------------------------------------------------ output
def plain_output(args: argparse.Namespace) -> bool:
    if getattr(args, "plain", False) or os.environ.get("NO_COLOR"):
        return True
    if os.environ.get("FORCE_COLOR"):
        return False
    return not sys.stdout.isatty()


def console():
    from rich.console import Console
    return Console(highlight=False)


def show(view: Any, args: argparse.Namespace) -> None:
    if plain_output(args):
        print(str(view))
    else:
        console().print(view)


# ------------------------------------------------------------------ commands
def command_ir(args: argparse.Namespace) -> int:
    dispatcher, params = kernel_and_params(args)
    if args.ptx:
        check_arch(args.arch)
    view = dispatcher.inspect(sig=args.sig, ptx=args.ptx, arch=args.arch, cfg=args.cfg)
    show(view, args)
    return EXIT_OK


def command_ptx(args: argparse.Namespace) -> int:
    from .views.ptx import PtxUnavailable, PtxView, compile_ptx, sass
    from .views.source import SourceIndex, python_functions

    dispatcher, params = kernel_and_params(args)
    check_arch(args.arch)
    function = dispatcher.compile(tuple(p.spec for p in params))
    try:
        text = compile_ptx(function, args.arch)
        if args.sass:
            print(sass(text, args.arch), end="")
            return EXIT_OK
    except PtxUnavailable as exc:
        return fail(str(exc), EXIT_USAGE)
    if args.raw:
        print(text, end="" if text.endswith("\n") else "\n")
        return EXIT_OK
    show(PtxView(text, arch=args.arch, index=SourceIndex(python_functions(dispatcher.py_func))), args)
    return EXIT_OK


def command_run(args: argparse.Namespace) -> int:
    from .views.run import run_kernel

    dispatcher, params = kernel_and_params(args)
    grid, block = launch_dims(args)
    if args.repeat < 1:
        raise UsageError("--repeat must be at least 1")
    report = run_kernel(dispatcher, params, grid, block, target=args.target, seed=args.seed,
                        repeat=args.repeat)
    show(report, args)
    return EXIT_OK


def command_check(args: argparse.Namespace) -> int:
    from .targets import TARGETS

    if importlib.util.find_spec("hypothesis") is None:   # an optional dependency (the test extra)
        raise UsageError("simt check needs hypothesis: pip install hypothesis "
                         "(or pip install -e \".[test]\")")
    from .views.check import check_kernel

    dispatcher, params = kernel_and_params(args)
    grid, block = launch_dims(args)
    if args.examples < 1 or args.ulp < 0:
        raise UsageError("--examples must be at least 1 and --ulp at least 0")
    targets = None
    if args.targets:
        targets = [t.strip() for t in args.targets.split(",") if t.strip()]
        unknown = [t for t in targets if t not in TARGETS]
        if unknown or not targets:
            raise UsageError(f"--targets: unknown target {', '.join(unknown) or '(none)'}; "
                             f"choose from {', '.join(TARGETS)}")
    options = dict(examples=args.examples, targets=targets, ulp=args.ulp, seed=args.seed)
    if plain_output(args) or not sys.stdout.isatty():
        report = check_kernel(dispatcher, params, grid, block, **options)
    else:
        report = check_with_progress(dispatcher, params, grid, block, options)
    show(report, args)
    return EXIT_OK if report.ok else EXIT_FAILED


def check_with_progress(dispatcher, params, grid, block, options: dict):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .views.check import check_kernel

    total = options["examples"]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console(), transient=True) as progress:
        task = progress.add_task(f"checking {dispatcher.__name__}", total=total)

        def update(runs: int, shrinking: bool) -> None:
            if shrinking:
                progress.update(task, description=f"shrinking a disagreement ({runs} runs)",
                                completed=total)
            else:
                progress.update(task, completed=min(runs, total))

        return check_kernel(dispatcher, params, grid, block, progress=update, **options)


COMMANDS = {"ir": command_ir, "ptx": command_ptx, "run": command_run, "check": command_check}


if __name__ == "__main__":
    sys.exit(main())
