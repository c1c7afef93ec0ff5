"""Time the simulator engine against PennyLane and this machine's arithmetic floor (see playground/bench.py).

Usage: ``python benchmarks/bench_engine.py [--quick] [--no-pennylane] [--json]``. Prints a Markdown table of
median times (a training step on 500 points, the model on 100² and 200² grids) for 1 × 5, 2 × 10 and 4 × 15
circuits, PennyLane's times and the ratios, and the 4 × 15 200² grid against the single-thread float32 floor.
The same as ``playground bench``.
"""

from __future__ import annotations

import argparse
import json
import sys

from playground.bench import format_report, run_benchmarks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test, noisy)")
    parser.add_argument("--no-pennylane", action="store_true", help="time our engine only")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of the report")
    args = parser.parse_args(argv)
    results = run_benchmarks(quick=args.quick, pennylane=not args.no_pennylane)
    print(json.dumps(results, indent=2) if args.json else format_report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
