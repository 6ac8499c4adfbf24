"""Long random-kernel campaigns: generate kernels, run them everywhere, keep what disagrees.

    python scripts/fuzz.py --minutes 30 [--seed S] [--out DIR] [--targets numpy,ptx-emu]
                           [--features device,math,...] [--batch N] [--no-assemble]

Each batch of ``--batch`` kernels uses one hypothesis seed (S, S+1, ...); a
failure in a batch is shrunk to a small kernel and written to
``DIR/seed<S>.txt`` (source, launch, inputs as Python, each target's output
where they differ), then the campaign goes on with the next seed. The summary
line lists the distinct failures. Turn each into a regression test in
tests/fuzz/test_regressions.py. Failures of the known bugs listed in
tests/fuzz/known_bugs.py are counted, not reported (``--report-known`` reports them).
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, required=True, help="how long to run")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000,
                        help="first hypothesis seed (default: from the clock)")
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"),
                        help="folder for the failures found (default: fuzz-findings)")
    parser.add_argument("--targets", default=None,
                        help="comma-separated targets (default: every available one)")
    parser.add_argument("--features", default=None,
                        help="comma-separated generator features (default: every available one)")
    parser.add_argument("--batch", type=int, default=200, help="kernels per seed")
    parser.add_argument("--no-assemble", action="store_true",
                        help="skip assembling the PTX of every kernel")
    parser.add_argument("--report-known", action="store_true",
                        help="report failures of the known bugs in tests/fuzz/known_bugs.py too")
    args = parser.parse_args(argv)
    # As in the test suite (pyproject.toml): a warning from simt's own code is a bug, and
    # NumPy's overflow/invalid/divide warnings from defined wrap-around are expected.
    warnings.filterwarnings("error", module="simt")
    for message in ("overflow encountered", "invalid value encountered", "divide by zero"):
        warnings.filterwarnings("ignore", message=message, category=RuntimeWarning)

    from simt.testing import fuzz
    from simt.testing.compare import available_targets
    from simt.testing.generator import FEATURES

    targets = args.targets.split(",") if args.targets else None
    features = args.features.split(",") if args.features else None
    print(f"targets: {', '.join(available_targets(targets))}; features: "
          f"{', '.join(sorted(features or FEATURES))}; seed {args.seed}; "
          f"findings in {args.out}/", flush=True)
    known = None if args.report_known else _known_bugs()
    failures = fuzz.campaign(args.minutes, args.seed, args.out, targets=targets,
                             features=features, batch=args.batch,
                             archs=() if args.no_assemble else None, known=known,
                             log=lambda line: print(line, flush=True))
    for failure in failures:
        print(f"  {failure.summary}")
    return 1 if failures else 0


def _known_bugs():
    """tests/fuzz/known_bugs.py's matcher, when run from a checkout (else None)."""
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    try:
        from tests.fuzz.known_bugs import known_bug
    except ImportError:
        return None
    finally:
        sys.path.remove(str(root))
    return known_bug


if __name__ == "__main__":
    sys.exit(main())
