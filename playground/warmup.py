"""Compile the fast kernels before the first user waits for them: an application's start-up step, above the engine."""

from __future__ import annotations

import numpy as np

from . import engine
from .classifier import Classifier
from .spec import CircuitSpec, EntanglerSpec, GateSpec, LayerSpec

__all__ = ["warm_up"]


def warm_up() -> bool:
    """Compile (or load from the on-disk cache) every kernel signature the app uses, through the same calls the
    app makes (engine, classifier, trainer read-outs) on a tiny entangled circuit, in single and double precision.

    A server calls this once at start: a cold compile takes tens of seconds of CPU, a cached start well under one.
    Returns False, compiling nothing, when the Numba backend is not available (the NumPy reference needs no warm-up).
    """
    if "numba" not in engine.available_backends():
        return False
    from . import kernels  # only now: importing it needs Numba
    spec = CircuitSpec(
        2,
        (
            LayerSpec(((GateSpec("compressed"),), (GateSpec.rot("rx", "feature", 1),)), EntanglerSpec("cz", "chain")),
            LayerSpec(((GateSpec.rot("ry"),), (GateSpec("original"),)), EntanglerSpec("cnot", "ring")),
        ),
        2,
    )
    X = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]])
    y = np.array([0, 1, 0])
    xs = np.linspace(-1.0, 1.0, 3)
    for cost in ("fidelity", "weighted_fidelity", "cross_entropy"):
        for strategy in ("state", "focused"):
            for one_qubit in (False, True):
                clf = Classifier(spec.with_n_qubits(1) if one_qubit else spec, 2, cost, strategy)
                params = np.linspace(0.1, 0.9, clf.n_params)
                theta, weights = clf.split(params)
                clf.loss_and_grad(params, X, y, backend="numba")
                for single in (False, True):
                    out = engine.forward(clf.program, theta, X, record_layers=single, single=single, backend="numba")
                    clf.readout_from(out.probs, out.bloch, weights)
                probs, bloch = engine.grid(clf.program, theta, xs, xs, backend="numba")
                clf.readout_from(probs.reshape(9, -1), bloch.reshape(9, *bloch.shape[2:]), weights)
    prog = Classifier(spec).program
    params = np.linspace(0.1, 0.9, prog.n_params)
    out = kernels.forward(prog, params, X, record_layers=False, dtype=np.complex128)
    kernels.backward(prog, params, X, out.state, out.state)
    return True
