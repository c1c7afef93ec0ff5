"""Time the engine on the product's real calls against PennyLane, and against this machine's arithmetic floor.

For each circuit (1 qubit × 5 layers, 2 × 10, 4 × 15: ``CircuitSpec.paper`` with the paper's CZ entanglers on
2 and 4 qubits, fidelity cost, 2 classes) the run times, as medians of repeats:

``train``
    one ``Trainer.step()`` with Adam on 500 points in one batch (``Classifier.loss_and_grad`` + the update), the
    call the app makes per frame;
``grid100`` / ``grid200``
    the model on a 100×100 / 200×200 grid: ``engine.grid`` then ``Classifier.readout_from``, the calls
    ``Trainer.snapshot`` makes for the decision boundary.

The same run times PennyLane ``default.qubit`` with parameter broadcasting and backprop (torch interface if torch
imports, else autograd) on the same circuit, built independently from the spec with the authors'
``U(a) = qml.Rot(-a2, a0, -a1)``, ``a = θ + w∘x`` zero-padded: a train step is a forward pass on the batch, the
loss, the backward pass and an Adam step, in float64 like ours; a grid is one broadcast forward pass on all its
points without gradients, timed in float32 and in float64, keeping PennyLane's faster (ours runs the grid in
float32; PennyLane's float64 path was the faster where this was written).

The floor: the 4 × 15 circuit on the 200×200 grid applies, per point and rotation, a 2×2 complex matrix to
each of the 2**(Q−1) amplitude pairs; each pair costs 4 complex multiplies (6 real flops each) and 2 complex
adds (2 each) = 28 real flops. Summed over the compiled program's rotations (entanglers and read-out are not
counted), divided by this machine's single-thread float32 matrix-multiply rate, that is the time no float32
kernel on one core could beat.

Example
-------
>>> results = run_benchmarks(quick=True, pennylane=False)   # doctest: +SKIP
>>> print(format_report(results))                           # doctest: +SKIP
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from importlib import metadata

import numpy as np

from . import engine
from .classifier import Classifier
from .datasets import make_train_test
from .program import Program
from .spec import CircuitSpec
from .trainer import Trainer

__all__ = ["run_benchmarks", "format_report", "CASES", "grid_flops", "matmul_rate", "FLOPS_PER_PAIR"]

CASES = ((1, 5), (2, 10), (4, 15))  # (n_qubits, n_layers)
N_TRAIN = 500
GRIDS = (100, 200)
TARGET_RATIO = 50.0  # acceptance bar: ours at least this many times faster than PennyLane on every row
TARGET_FLOOR_RATIO = 3.0  # and the 4 × 15 200² grid within this factor of the floor
# One 2×2 complex matrix on one amplitude pair: 4 complex multiplies × 6 real flops + 2 complex adds × 2.
FLOPS_PER_PAIR = 4 * 6 + 2 * 2


def grid_flops(program: Program, n_points: int) -> int:
    """Real flops of the rotations of ``program`` on ``n_points`` points (see the module docstring)."""
    return int(n_points) * program.n_rot * 2 ** (program.n_qubits - 1) * FLOPS_PER_PAIR


def matmul_rate(*, n: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matrix-multiply rate on one thread, flop/s (best of ``repeats`` n×n products)."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    out = np.empty_like(a)
    best = float("inf")
    with threadpool_limits(limits=1):
        np.matmul(a, b, out=out)
        for _ in range(repeats):
            t0 = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best


def _times_ms(fn, repeats: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - t0))
    return times


def _median_ms(fn, repeats: int, warmup: int = 2) -> float:
    return statistics.median(_times_ms(fn, repeats, warmup))


def _spec(n_qubits: int, n_layers: int) -> CircuitSpec:
    return CircuitSpec.paper(n_qubits, n_layers, entangled=n_qubits > 1)


# ------------------------------------------------------------------------------------------------ ours
def _time_ours(n_qubits: int, n_layers: int, repeats: dict) -> dict:
    clf = Classifier(_spec(n_qubits, n_layers), n_classes=2, cost="fidelity")
    train, _ = make_train_test("circle", N_TRAIN, 0, seed=0)
    trainer = Trainer(clf, train, None, optimizer="adam", batch_size=N_TRAIN, seed=0)
    times = _times_ms(trainer.step, repeats["train"])
    # The median is the reported time; the minimum shows what an uncontended core gives on a shared machine.
    out = {"train_ms": statistics.median(times), "train_min_ms": min(times)}
    theta, weights = clf.split(trainer.params)
    for n in GRIDS:
        xs = np.linspace(-1.0, 1.0, n)

        def frame(xs=xs):
            probs, bloch = engine.grid(clf.program, theta, xs, xs)
            ny, nx = probs.shape[:2]
            return clf.readout_from(probs.reshape(ny * nx, -1), bloch.reshape(ny * nx, *bloch.shape[2:]), weights)

        times = _times_ms(frame, repeats["grid"])
        out[f"grid{n}_ms"], out[f"grid{n}_min_ms"] = statistics.median(times), min(times)
    out["n_params"] = clf.n_params
    out["n_rotations"] = clf.program.n_rot
    return out


# ------------------------------------------------------------------------------------------------ PennyLane
def _pennylane_interface() -> str | None:
    try:
        import pennylane  # noqa: F401
    except ImportError:
        return None
    try:
        import torch  # noqa: F401

        return "torch"
    except ImportError:
        return "autograd"


def _pl_circuit(spec: CircuitSpec, interface: str):
    """A QNode (theta (L, Q, 3), w (L, Q, d), X (P, d)) -> probs (P, 2**Q), built from the spec's description."""
    import pennylane as qml

    n_qubits, d = spec.n_qubits, spec.n_features
    dev = qml.device("default.qubit", wires=n_qubits)

    @qml.qnode(dev, interface=interface, diff_method="backprop")
    def circuit(theta, w, X):
        zero = 0.0 * X[:, 0]
        for li in range(spec.n_layers):
            for q in range(n_qubits):
                # a = θ + w∘x with x zero-padded to 3 features; the authors' U(a) = Rot(−a2, a0, −a1)
                a = [theta[li, q, j] + (w[li, q, j] * X[:, j] if j < d else zero) for j in range(3)]
                qml.Rot(-a[2], a[0], -a[1], wires=q)
            for a_, b_ in spec.entangler_pairs(li):
                qml.CZ(wires=[a_, b_])
        return qml.probs(wires=range(n_qubits))

    return circuit


def _time_pennylane(n_qubits: int, n_layers: int, repeats: dict, interface: str) -> dict:
    spec = _spec(n_qubits, n_layers)
    if spec.n_features > 3:
        raise ValueError("the PennyLane reference handles up to 3 features")
    circuit = _pl_circuit(spec, interface)
    train, _ = make_train_test("circle", N_TRAIN, 0, seed=0)
    rng = np.random.default_rng(0)
    theta0 = rng.random((n_layers, n_qubits, 3))
    w0 = rng.random((n_layers, n_qubits, spec.n_features))
    out = {}
    if interface == "torch":
        import torch

        torch.set_num_threads(1)  # one thread, like ours
        theta = torch.tensor(theta0, requires_grad=True)
        w = torch.tensor(w0, requires_grad=True)
        X = torch.tensor(train.X)
        y = torch.tensor(train.y)
        rows = torch.arange(len(y))
        opt = torch.optim.Adam([theta, w], lr=0.05)

        def step():
            opt.zero_grad()
            f = circuit(theta, w, X)[rows, y]  # fidelity cost, basis/pole label states: F_y = probs[y]
            loss = torch.mean(1.0 - torch.sqrt(torch.clamp(f, min=1e-12)))
            loss.backward()
            opt.step()

        out["pl_train_ms"] = _median_ms(step, repeats["pl_train"], warmup=1)
        for n in GRIDS:
            g = np.linspace(-1.0, 1.0, n)
            gx, gy = np.meshgrid(g, g)
            Xg = np.stack([gx.ravel(), gy.ravel()], axis=1)
            best = None
            for dtype in (torch.float32, torch.float64):  # keep PennyLane's faster precision
                args = (theta.detach().to(dtype), w.detach().to(dtype), torch.from_numpy(Xg).to(dtype))

                def frame(args=args):
                    with torch.no_grad():
                        return circuit(*args)

                ms = _median_ms(frame, repeats["pl_grid"], warmup=1)
                if best is None or ms < best[0]:
                    best = (ms, str(dtype).removeprefix("torch."))
            out[f"pl_grid{n}_ms"], out[f"pl_grid{n}_dtype"] = best
        return out

    import pennylane as qml
    from pennylane import numpy as pnp

    theta = pnp.array(theta0, requires_grad=True)
    w = pnp.array(w0, requires_grad=True)
    X = pnp.array(train.X, requires_grad=False)
    y = train.y
    rows = np.arange(len(y))
    opt = qml.AdamOptimizer(0.05)
    state = {"theta": theta, "w": w}

    def cost(theta, w):
        f = circuit(theta, w, X)[rows, y]
        return pnp.mean(1.0 - pnp.sqrt(pnp.maximum(f, 1e-12)))

    def step():
        state["theta"], state["w"] = opt.step(cost, state["theta"], state["w"])

    out["pl_train_ms"] = _median_ms(step, repeats["pl_train"], warmup=1)
    for n in GRIDS:
        g = np.linspace(-1.0, 1.0, n)
        gx, gy = np.meshgrid(g, g)
        Xg = np.stack([gx.ravel(), gy.ravel()], axis=1)
        best = None
        for dtype in (np.float32, np.float64):  # keep PennyLane's faster precision
            args = (np.asarray(state["theta"], dtype), np.asarray(state["w"], dtype), Xg.astype(dtype))
            ms = _median_ms(lambda args=args: circuit(*args), repeats["pl_grid"], warmup=1)
            if best is None or ms < best[0]:
                best = (ms, np.dtype(dtype).name)
        out[f"pl_grid{n}_ms"], out[f"pl_grid{n}_dtype"] = best
    return out


# ------------------------------------------------------------------------------------------------ machine
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _machine() -> dict:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "numba": _version("numba"),
        "pennylane": _version("pennylane"),
        "torch": _version("torch"),
        "load_average_1min": round(load[0], 2),
    }


# ------------------------------------------------------------------------------------------------ entry points
def run_benchmarks(*, quick: bool = False, pennylane: bool = True) -> dict:
    """Run every case (see the module docstring) and return a JSON-serialisable dict.

    Keys: ``backend``, ``machine`` (cpu, versions, load average at the start), ``settings``, ``rows`` (one dict
    per case: ``q``, ``layers``, ``entangled``, ``train_ms``, ``grid100_ms``, ``grid200_ms`` (medians; ``*_min_ms``
    the best of the same repeats, what an uncontended core gives on a shared machine) and, with PennyLane,
    ``pl_train_ms``, ``pl_grid100_ms``, ``pl_grid200_ms`` (and ``pl_grid*_dtype``, the precision that was
    faster), ``ratio`` = min over the three of PennyLane / ours, ``ratio_train``, ``ratio_grid100``,
    ``ratio_grid200``), ``floor`` (``matmul_gflops``, ``flops``, ``floor_ms``, ``grid200_ms``, ``floor_ratio``,
    ``floor_ratio_min``),
    ``floor_ms`` and ``floor_ratio`` again at the top, and ``targets`` (which acceptance bars were met; None
    when not measured). All times in milliseconds. ``quick`` takes fewer repeats and a smaller matrix for the
    floor (for tests; its numbers are noisy).
    """
    repeats = (
        {"train": 5, "grid": 3, "pl_train": 2, "pl_grid": 1}
        if quick
        else {"train": 41, "grid": 15, "pl_train": 9, "pl_grid": 3}
    )
    interface = _pennylane_interface() if pennylane else None
    machine = _machine()
    rows = []
    for n_qubits, n_layers in CASES:
        row = {"q": n_qubits, "layers": n_layers, "entangled": n_qubits > 1}
        row.update(_time_ours(n_qubits, n_layers, repeats))
        if interface is not None:
            row.update(_time_pennylane(n_qubits, n_layers, repeats, interface))
            for key in ("train", "grid100", "grid200"):
                row[f"ratio_{key}"] = row[f"pl_{key}_ms"] / row[f"{key}_ms"]
            row["ratio"] = min(row[f"ratio_{k}"] for k in ("train", "grid100", "grid200"))
        rows.append(row)
    rate = matmul_rate(n=1024 if quick else 2048, repeats=3 if quick else 5)
    big = next(r for r in rows if (r["q"], r["layers"]) == CASES[-1])
    program = Classifier(_spec(*CASES[-1]), n_classes=2).program
    flops = grid_flops(program, GRIDS[-1] ** 2)
    floor_ms = 1e3 * flops / rate
    floor = {
        "case": {"q": CASES[-1][0], "layers": CASES[-1][1], "grid": GRIDS[-1]},
        "flops": flops,
        "flops_per_pair": FLOPS_PER_PAIR,
        "matmul_gflops": rate / 1e9,
        "floor_ms": floor_ms,
        "grid200_ms": big["grid200_ms"],
        "floor_ratio": big["grid200_ms"] / floor_ms,
        "floor_ratio_min": big["grid200_min_ms"] / floor_ms,
    }
    targets = {
        "ratio_at_least": TARGET_RATIO,
        "ratio_met": None if interface is None else all(r["ratio"] >= TARGET_RATIO for r in rows),
        "floor_ratio_at_most": TARGET_FLOOR_RATIO,
        "floor_met": floor["floor_ratio"] <= TARGET_FLOOR_RATIO,
    }
    return {
        "backend": engine.default_backend(),
        "pennylane_interface": interface,
        "machine": machine,
        "settings": {
            "quick": quick,
            "n_train": N_TRAIN,
            "batch_size": N_TRAIN,
            "optimizer": "adam",
            "cost": "fidelity",
            "n_classes": 2,
            "grids": list(GRIDS),
            "repeats": repeats,
            "timing": "median wall-clock of repeats, after warm-up",
            "training_precision": "float64 (ours and PennyLane)",
            "grid_precision": "ours float32; PennyLane the faster of float32 and float64 (see pl_grid*_dtype)",
        },
        "rows": rows,
        "floor": floor,
        "floor_ms": floor["floor_ms"],
        "floor_ratio": floor["floor_ratio"],
        "targets": targets,
        "load_average_1min_after": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def format_report(results: dict) -> str:
    """The results of :func:`run_benchmarks` as a Markdown table and a few lines of text."""
    m = results["machine"]
    lines = [
        f"backend: {results['backend']}   PennyLane: {results['pennylane_interface'] or 'not run'}   "
        f"machine: {m['cpu']} ({m['logical_cpus']} logical CPUs), load {m['load_average_1min']} → "
        f"{results.get('load_average_1min_after')}",
        f"numpy {m['numpy']}, numba {m['numba']}, pennylane {m['pennylane']}, torch {m['torch']}, "
        f"python {m['python']}",
        "",
        "Median ms; 500 training points, one Adam step (float64); grid = engine.grid + readout_from (float32;",
        "PennyLane in its faster precision). × = PennyLane / ours.",
        "CircuitSpec.paper: CZ entanglers on 2 and 4 qubits.",
        "",
    ]
    have_pl = any("pl_train_ms" in r for r in results["rows"])
    if have_pl:
        lines += [
            "| qubits × layers | train | PL train | × | grid 100² | PL grid 100² | × | grid 200² | PL grid 200² | × |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
    else:
        lines += ["| qubits × layers | train | grid 100² | grid 200² |", "|---|---|---|---|"]
    for r in results["rows"]:
        name = f"{r['q']} × {r['layers']}"
        if have_pl:
            cells = [name]
            for key in ("train", "grid100", "grid200"):
                cells += [f"{r[f'{key}_ms']:.3f}", f"{r[f'pl_{key}_ms']:.1f}", f"{r[f'ratio_{key}']:.0f}×"]
        else:
            cells = [name] + [f"{r[f'{k}_ms']:.3f}" for k in ("train", "grid100", "grid200")]
        lines.append("| " + " | ".join(cells) + " |")
    f = results["floor"]
    t = results["targets"]
    lines += [
        "",
        f"Floor, {f['case']['q']} × {f['case']['layers']} on {f['case']['grid']}²: {f['flops'] / 1e6:.1f} Mflop "
        f"({f['flops_per_pair']} flops per amplitude pair and rotation) at {f['matmul_gflops']:.1f} Gflop/s "
        f"(float32 matmul, one thread) = {f['floor_ms']:.2f} ms; ours {f['grid200_ms']:.2f} ms = "
        f"{f['floor_ratio']:.2f}× the floor (best of the repeats: {f['floor_ratio_min']:.2f}×).",
        f"Targets: ≥ {t['ratio_at_least']:.0f}× PennyLane on every row: "
        f"{'not measured' if t['ratio_met'] is None else ('met' if t['ratio_met'] else 'NOT met')}; "
        f"within {t['floor_ratio_at_most']:.0f}× of the floor: {'met' if t['floor_met'] else 'NOT met'}.",
    ]
    return "\n".join(lines)
