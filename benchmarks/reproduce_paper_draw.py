"""The paper's Table 1 (`circle`, one qubit) on the authors' own points from the authors' own start, beside the paper.

Runs, for each cost and number of layers of the table, exactly::

    playground train --dataset circle --qubits 1 --layers L --cost COST --optimizer lbfgs \
        --paper-draw --init paper --restarts 1 --json

that is, the paper's experiment except for the optimizer (ours: L-BFGS with exact gradients; theirs: SciPy's
L-BFGS-B with finite differences), and prints a Markdown table: our test accuracy, the paper's figure, the
difference, and the seconds each run took. A report, not a bar: single runs from one start may land in different
minima when the optimizers' paths differ. Usage: ``python benchmarks/reproduce_paper_draw.py [--layers 1 2 ...]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from reproduce_circle import PAPER


def run(cost: str, layers: int) -> dict:
    cmd = [
        sys.executable, "-m", "playground.cli", "train", "--dataset", "circle", "--qubits", "1", "--layers",
        str(layers), "--cost", cost, "--optimizer", "lbfgs", "--paper-draw", "--init", "paper", "--restarts", "1",
        "--json",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, nargs="+", default=sorted(PAPER["fidelity"]))
    args = parser.parse_args(argv)
    rows = []
    for layers in args.layers:
        cells = [str(layers)]
        for cost in ("fidelity", "weighted_fidelity"):
            res = run(cost, layers)
            paper = PAPER[cost][layers]
            cells += [f"{res['test_accuracy']:.3f}", f"{paper:.2f}", f"{res['test_accuracy'] - paper:+.3f}",
                      f"{res['steps']}", f"{res['seconds']:.1f} s"]
        rows.append("| " + " | ".join(cells) + " |")
        print(rows[-1], file=sys.stderr, flush=True)
    print("| layers | χ²_f ours | χ²_f paper | diff | iterations | time "
          "| χ²_wf ours | χ²_wf paper | diff | iterations | time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
