"""Compare two ``playground bench --json`` results row by row: did a change make any timing worse?

Usage::

    python benchmarks/compare_bench.py BEFORE.json AFTER.json [--tolerance 0.10]

Prints, for every case and timing (``train``, ``grid100``, ``grid200``; median and best of the repeats), the
two figures and their ratio, and exits with status 1 when a median is slower than ``BEFORE`` by more than the
tolerance. Several files per side (``BEFORE1.json,BEFORE2.json``) take the best of each figure, which evens out
a noisy shared machine; measure both sides in one session, alternating, so that they see the same machine.
"""

from __future__ import annotations

import argparse
import json
import sys

TIMINGS = ("train", "grid100", "grid200")


def _load(paths: str) -> dict[tuple[int, int], dict[str, float]]:
    """(q, layers) → {"train_ms": ..., "train_min_ms": ..., ...}, the best over the comma-separated files."""
    best: dict[tuple[int, int], dict[str, float]] = {}
    for path in paths.split(","):
        with open(path, encoding="utf-8") as f:
            results = json.load(f)
        for row in results["rows"]:
            key = (row["q"], row["layers"])
            into = best.setdefault(key, {})
            for t in TIMINGS:
                for name in (f"{t}_ms", f"{t}_min_ms"):
                    into[name] = min(into.get(name, float("inf")), float(row[name]))
    return best


def compare(before: dict, after: dict, tolerance: float) -> tuple[list[str], bool]:
    lines = [f"{'case':<12}{'timing':<14}{'before ms':>11}{'after ms':>11}{'after/before':>14}"]
    ok = True
    for key in sorted(before):
        if key not in after:
            lines.append(f"q={key[0]} L={key[1]}: missing after")
            ok = False
            continue
        for t in TIMINGS:
            for name, label in ((f"{t}_ms", f"{t} median"), (f"{t}_min_ms", f"{t} best")):
                b, a = before[key][name], after[key][name]
                ratio = a / b
                flag = ""
                if name.endswith("_ms") and not name.endswith("_min_ms") and ratio > 1 + tolerance:
                    ok = False
                    flag = "  SLOWER"
                lines.append(f"q={key[0]} L={key[1]:<4}{label:<14}{b:>11.3f}{a:>11.3f}{ratio:>14.3f}{flag}")
    return lines, ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="bench --json output(s) before the change, comma-separated")
    parser.add_argument("after", help="bench --json output(s) after the change, comma-separated")
    parser.add_argument("--tolerance", type=float, default=0.10, help="allowed slow-down of a median (0.10 = 10 %%)")
    args = parser.parse_args(argv)
    lines, ok = compare(_load(args.before), _load(args.after), args.tolerance)
    print("\n".join(lines))
    print(f"every median within {args.tolerance:.0%} (or faster)" if ok else "slower beyond the tolerance")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
