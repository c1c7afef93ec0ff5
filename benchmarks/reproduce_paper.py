"""Reproduce every published cell of the paper's Tables 1–4, with the spread over starts, beside the paper.

Runs (or resumes) ``playground sweep --preset paper`` into ``assets/paper_grid.csv`` (the table the Explore page
ships): for each of the 232 published cells, on the authors' own points (``--paper-draw``) with L-BFGS, ten single
starts (``--restarts 1 --seed 0..9``, the paper's protocol repeated) and one run of the command line's default
(``--restarts 20``: the best fit of the training set of 20 starts). Then prints, per table, each cell as
``mean ± sd · best-of (paper)``, the counts of cells whose mean and whose best-of reach the paper's figure within
0.02 (and the best-of within 0.03), and the misses; ``--full FILE`` also writes every cell with its median.

``--misses FILE`` then makes, for every cell whose best of 20 falls more than 0.03 below the paper, the same best
of 20 with SciPy's own iteration cap (``--epochs 15000``, what the authors' L-BFGS-B ran with; ours stops at 1000)
into that table, and prints both.

Usage: ``python benchmarks/reproduce_paper.py [--table FILE] [--no-run] [--workers N] [--full FILE] [--misses FILE]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playground.paper_tables import PAPER_COLUMNS, PAPER_LAYERS, PAPER_TABLES, column_label, paper_sweep  # noqa: E402
from playground.results import BUILT_IN_TABLE, read_table, summarise  # noqa: E402
from playground.sweep import run_sweep  # noqa: E402

NAMES = {"circle": "circle", "three_circles": "3 circles", "hypersphere": "4-D hypersphere", "annulus": "annulus"}


def cells(table: str):
    """dataset → {(cost, qubits, entangled, layers): summary row} for the published cells."""
    summary = summarise(read_table(table))
    out: dict[str, dict] = {}
    for _, row in summary[summary["paper"].notna()].iterrows():
        key = (row["cost"], int(row["n_qubits"]), bool(row["entangled"]), int(row["n_layers"]))
        out.setdefault(row["dataset"], {})[key] = row
    return out


def report(table: str, full: str | None = None) -> tuple[str, dict]:
    """The Markdown report and the counts; ``counts["missed"]`` lists the (dataset, cost, qubits, entangled, layers,
    best-of, paper, best-of's training accuracy) of the cells whose best of 20 is more than 0.03 below the paper."""
    found = cells(table)
    lines, misses, long_rows = [], [], []
    counts = dict(cells=0, mean_002=0, best_002=0, best_003=0, missing=0, missed=[])
    for dataset, (number, rows) in PAPER_TABLES.items():
        lines.append(f"\n**Table {number}: {NAMES[dataset]}** (mean ± sd of 10 single starts · best of 20 (paper))\n")
        lines.append("| layers | " + " | ".join(column_label(*c) for c in PAPER_COLUMNS) + " |")
        lines.append("|---|" + "---|" * len(PAPER_COLUMNS))
        for layers in PAPER_LAYERS:
            out = [str(layers)]
            for (cost, q, ent), paper in zip(PAPER_COLUMNS, rows[layers]):
                if paper is None:
                    out.append("–")
                    continue
                counts["cells"] += 1
                row = found.get(dataset, {}).get((cost, q, ent, layers))
                if row is None or row["runs"] < 1 or row["best_of"] != row["best_of"]:
                    counts["missing"] += 1
                    out.append(f"not run ({paper:.2f})")
                    continue
                mean, sd, best, median = row["mean"], row["std"], row["best_of"], row["median"]
                counts["mean_002"] += mean >= paper - 0.02
                counts["best_002"] += best >= paper - 0.02
                counts["best_003"] += best >= paper - 0.03
                flag = "" if best >= paper - 0.03 else " ✗"
                out.append(f"{mean:.2f}±{sd:.2f} · {best:.2f}{flag} ({paper:.2f})")
                if best < paper - 0.03:
                    counts["missed"].append((dataset, cost, q, ent, layers, best, paper, row["best_of_train"]))
                    misses.append(f"Table {number} {NAMES[dataset]}, {column_label(cost, q, ent)}, {layers} layers: "
                                  f"best of 20 {best:.3f}, mean {mean:.3f} ± {sd:.3f}, max of the single starts "
                                  f"{row['max']:.3f}, paper {paper:.2f}")
                long_rows.append(f"| {number} | {dataset} | {column_label(cost, q, ent)} | {layers} | {paper:.2f} | "
                                 f"{mean:.3f} ± {sd:.3f} | {median:.3f} | {row['min']:.3f}–{row['max']:.3f} | "
                                 f"{best:.3f} | {row['best_of_train']:.3f} |")
            lines.append("| " + " | ".join(out) + " |")
    n = counts["cells"]
    not_run = f", {counts['missing']} not run yet" if counts["missing"] else ", all run"
    lines.append(f"\nCells: {n} published{not_run}. Mean of single starts within 0.02 of the "
                 f"paper or above: {counts['mean_002']}/{n}; best of 20 within 0.02: {counts['best_002']}/{n}; "
                 f"within 0.03: {counts['best_003']}/{n}.")
    if misses:
        lines.append("\nBest of 20 more than 0.03 below the paper:\n")
        lines += [f"- {m}" for m in misses]
    if full:
        Path(full).write_text(
            "| table | dataset | column | layers | paper | mean ± sd (10 starts) | median | min–max | best of 20 | "
            "its train acc |\n|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(long_rows) + "\n",
            encoding="utf-8")
    return "\n".join(lines), counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=BUILT_IN_TABLE, help="the sweep table (default: assets/paper_grid.csv)")
    parser.add_argument("--no-run", action="store_true", help="only report what the table holds")
    parser.add_argument("--workers", type=int, default=None, help="Dask workers (default: one per core)")
    parser.add_argument("--full", metavar="FILE", help="also write every cell (with its median) as Markdown")
    parser.add_argument("--misses", metavar="FILE", help="re-run the missed cells with 15000 iterations into FILE")
    args = parser.parse_args(argv)
    if not args.no_run:
        done = run_sweep(paper_sweep(), args.table, workers=args.workers)
        print(f"sweep: {done.done} runs made, {done.already} already in {args.table}", file=sys.stderr)
    text, counts = report(args.table, args.full)
    print(text)
    print("\nCells within 0.02 of the paper (or above) for the start each rule keeps:")
    print(selection_rules(args.table))
    if args.misses and counts["missed"]:
        print(check_misses(counts["missed"], args.misses, args.workers))
    return 0 if counts["missing"] == 0 else 1


def selection_rules(table: str) -> str:
    """Which start to keep, judged on every table: among each cell's ten single starts, the CLI's rule (highest
    training accuracy, ties to the lower training loss) against the lowest training loss and against one start
    (seed 0). Both rules look at the training set only; the test accuracy of the start each keeps is then
    compared with the paper."""
    frame = read_table(table)
    single = frame[(frame["status"] == "ok") & (frame["restarts"] == 1)]
    rules = {"highest training accuracy (the CLI's rule)": lambda g: g.sort_values(
                 ["train_accuracy", "final_loss"], ascending=[False, True]).iloc[0],
             "lowest training loss": lambda g: g.sort_values("final_loss").iloc[0],
             "one start (seed 0)": lambda g: g.sort_values("seed").iloc[0]}
    lines = ["\n| rule (from the 10 single starts of each cell) | " + " | ".join(
        f"Table {n}" for n, _ in PAPER_TABLES.values()) + " | all | mean test accuracy kept |",
        "|---|" + "---|" * (len(PAPER_TABLES) + 2)]
    keys = ["dataset", "cost", "n_qubits", "entangled", "n_layers"]
    for name, pick in rules.items():
        per, total, cells, acc = {}, 0, 0, []
        for key, group in single.groupby(keys):
            dataset, cost, q, ent, layers = key
            number, rows = PAPER_TABLES[dataset]
            paper = dict(zip(PAPER_COLUMNS, rows[int(layers)])).get((cost, int(q), bool(ent)))
            if paper is None or len(group) < 10:
                continue
            kept = pick(group)
            ok = kept["test_accuracy"] >= paper - 0.02
            per[number] = per.get(number, [0, 0])
            per[number][0] += ok
            per[number][1] += 1
            total += ok
            cells += 1
            acc.append(kept["test_accuracy"])
        lines.append(f"| {name} | " + " | ".join(f"{per.get(n, [0, 0])[0]}/{per.get(n, [0, 0])[1]}"
                                                  for n, _ in PAPER_TABLES.values())
                     + f" | {total}/{cells} | {sum(acc) / max(1, len(acc)):.4f} |")
    return "\n".join(lines)


def check_misses(missed, table: str, workers: int | None) -> str:
    """The missed cells' best of 20 again with SciPy's iteration cap (15000): does the cap explain the miss?"""
    from playground.sweep import expand

    runs = [dict(dataset=d, qubits=q, layers=layers, entangle=ent, cost=cost, optimizer="lbfgs", paper_draw=True,
                 restarts=20, epochs=15000) for d, cost, q, ent, layers, *_ in missed]
    run_sweep(expand([], runs), table, workers=workers)
    done = {(r["dataset"], r["cost"], int(r["n_qubits"]), bool(r["entangled"]), int(r["n_layers"])): r
            for _, r in read_table(table).iterrows() if r["status"] == "ok"}
    lines = ["\n| cell | paper | best of 20, at most 1000 iterations | best of 20, at most 15000 | its steps | "
             "its train acc (1000 → 15000) |", "|---|---|---|---|---|---|"]
    for d, cost, q, ent, layers, best, paper, train in missed:
        r = done.get((d, cost, q, ent, layers))
        if r is None:
            continue
        lines.append(f"| {NAMES[d]}, {column_label(cost, q, ent)}, {layers} layers | {paper:.2f} | {best:.3f} | "
                     f"{r['test_accuracy']:.3f} | {int(r['steps'])} | {train:.3f} → {r['train_accuracy']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
