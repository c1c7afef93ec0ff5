"""The paper's Tables 1–4 as data, and the sweep that reproduces every published cell.

Pérez-Salinas et al., Quantum 4, 226 (2020): test accuracy (4000 points) of single L-BFGS-B runs on the authors'
seed-30 draw, for ``circle`` (Table 1), ``three_circles`` (Table 2), ``hypersphere`` (Table 3) and ``annulus``
(Table 4); ``None`` where the paper ran nothing. Each table has the same eight columns (:data:`PAPER_COLUMNS`):
cost × qubits × entanglement.

:func:`paper_sweep` makes, for every published cell, on the authors' points (``--paper-draw``):

* ``SINGLE_SEEDS`` single starts (``--restarts 1 --seed s``), the paper's protocol repeated to show the spread;
* one run of the command line's default protocol (``--restarts 20``, the best fit of the training set).
"""

from __future__ import annotations

from typing import Any, Mapping

from .sweep import Sweep, choices, expand

__all__ = ["PAPER_TABLES", "PAPER_COLUMNS", "PAPER_LAYERS", "SINGLE_SEEDS", "BEST_OF", "paper_sweep", "paper_cells",
           "column_label"]

#: (cost, qubits, entangled) of each column, in the paper's order.
PAPER_COLUMNS: tuple[tuple[str, int, bool], ...] = (
    ("fidelity", 1, False),
    ("fidelity", 2, False),
    ("fidelity", 2, True),
    ("weighted_fidelity", 1, False),
    ("weighted_fidelity", 2, False),
    ("weighted_fidelity", 2, True),
    ("weighted_fidelity", 4, False),
    ("weighted_fidelity", 4, True),
)
PAPER_LAYERS = (1, 2, 3, 4, 5, 6, 8, 10)
SINGLE_SEEDS = tuple(range(10))
BEST_OF = 20

_ = None
#: dataset -> table number and rows (layers -> one figure per column of PAPER_COLUMNS).
PAPER_TABLES: dict[str, tuple[int, dict[int, tuple[float | None, ...]]]] = {
    "circle": (1, {
        1: (0.50, 0.75, _, 0.50, 0.76, _, 0.76, _),
        2: (0.85, 0.80, 0.73, 0.94, 0.96, 0.96, 0.96, 0.96),
        3: (0.85, 0.81, 0.93, 0.94, 0.97, 0.95, 0.97, 0.96),
        4: (0.90, 0.87, 0.87, 0.94, 0.97, 0.96, 0.97, 0.96),
        5: (0.89, 0.90, 0.93, 0.96, 0.96, 0.96, 0.96, 0.96),
        6: (0.92, 0.92, 0.90, 0.95, 0.96, 0.96, 0.96, 0.96),
        8: (0.93, 0.93, 0.96, 0.97, 0.95, 0.97, 0.95, 0.96),
        10: (0.95, 0.94, 0.96, 0.96, 0.96, 0.96, 0.96, 0.97),
    }),
    "three_circles": (2, {
        1: (0.73, 0.56, _, 0.75, 0.81, _, 0.88, _),
        2: (0.79, 0.77, 0.78, 0.76, 0.90, 0.83, 0.90, 0.89),
        3: (0.79, 0.76, 0.75, 0.78, 0.88, 0.89, 0.90, 0.89),
        4: (0.84, 0.80, 0.80, 0.86, 0.84, 0.91, 0.90, 0.90),
        5: (0.87, 0.84, 0.81, 0.88, 0.87, 0.89, 0.88, 0.92),
        6: (0.90, 0.88, 0.86, 0.85, 0.88, 0.89, 0.89, 0.90),
        8: (0.89, 0.85, 0.89, 0.89, 0.91, 0.90, 0.88, 0.91),
        10: (0.91, 0.86, 0.90, 0.92, 0.90, 0.91, 0.87, 0.91),
    }),
    "hypersphere": (3, {
        1: (0.87, 0.87, _, 0.87, 0.87, _, 0.90, _),
        2: (0.87, 0.87, 0.87, 0.87, 0.92, 0.91, 0.90, 0.98),
        3: (0.87, 0.87, 0.87, 0.89, 0.89, 0.97, _, _),
        4: (0.89, 0.87, 0.87, 0.90, 0.93, 0.97, _, _),
        5: (0.89, 0.87, 0.87, 0.90, 0.93, 0.98, _, _),
        6: (0.90, 0.87, 0.87, 0.95, 0.93, 0.97, _, _),
        8: (0.91, 0.87, 0.87, 0.97, 0.94, 0.97, _, _),
        10: (0.90, 0.87, 0.87, 0.96, 0.96, 0.97, _, _),
    }),
    "annulus": (4, {
        1: (0.34, 0.51, _, 0.43, 0.77, _, 0.81, _),
        2: (0.57, 0.63, 0.59, 0.76, 0.79, 0.82, 0.87, 0.96),
        3: (0.80, 0.68, 0.65, 0.68, 0.94, 0.95, 0.92, 0.94),
        4: (0.84, 0.78, 0.89, 0.79, 0.93, 0.96, 0.93, 0.96),
        5: (0.92, 0.86, 0.82, 0.88, 0.96, 0.96, 0.96, 0.95),
        6: (0.93, 0.91, 0.93, 0.91, 0.93, 0.96, 0.97, 0.96),
        8: (0.90, 0.89, 0.90, 0.92, 0.94, 0.95, 0.95, 0.94),
        10: (0.90, 0.91, 0.92, 0.93, 0.95, 0.96, 0.95, 0.95),
    }),
}
del _


def column_label(cost: str, qubits: int, entangled: bool) -> str:
    """A column's heading as the paper prints it: ``χ²_wf 2q ent``."""
    short = {"fidelity": "χ²_f", "weighted_fidelity": "χ²_wf"}[cost]
    ent = " ent" if entangled else (" no-ent" if qubits > 1 else "")
    return f"{short} {qubits}q{ent}"


def paper_cells() -> list[dict[str, Any]]:
    """Every published cell: dataset, table, layers, cost, qubits, entangled and the paper's figure."""
    cells = []
    for dataset, (table, rows) in PAPER_TABLES.items():
        for layers in PAPER_LAYERS:
            for (cost, qubits, entangled), figure in zip(PAPER_COLUMNS, rows[layers]):
                if figure is not None:
                    cells.append(dict(dataset=dataset, table=table, layers=layers, cost=cost, qubits=qubits,
                                      entangled=entangled, paper=figure))
    return cells


def paper_sweep(*, override: Mapping[str, Any] | None = None, seeds=SINGLE_SEEDS, best_of: int = BEST_OF) -> Sweep:
    """The runs that reproduce every published cell: single starts over ``seeds`` and one best of ``best_of``.

    All on the authors' points (``paper_draw``) with L-BFGS; ``override`` narrows it (the command line's
    flags, e.g. ``--dataset circle``): a run is kept when each overridden setting takes one of the given values.
    """
    runs = []
    for cell in paper_cells():
        common = dict(dataset=cell["dataset"], qubits=cell["qubits"], layers=cell["layers"],
                      entangle=cell["entangled"], cost=cell["cost"], optimizer="lbfgs", paper_draw=True)
        runs += [dict(common, restarts=1, seed=s) for s in seeds]
        runs.append(dict(common, restarts=best_of))
    sweep = expand([], runs)
    if override:
        allowed = {k: set(choices(k, v)) for k, v in override.items()}
        sweep = Sweep([r for r in sweep.runs if all(r.get(k) in vals for k, vals in allowed.items())], sweep.skipped)
        if not sweep.runs:
            raise ValueError("--preset paper: no published cell matches the given settings")
    return sweep
