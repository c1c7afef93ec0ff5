"""An independent PennyLane construction of a CircuitSpec, read straight from the spec (not the compiled program)."""

from __future__ import annotations

import math

import numpy as np
import pennylane as qml

from playground.spec import CircuitSpec


def _u(a, wire):
    # The authors' U(a0, a1, a2) = RZ(-a1) RY(a0) RZ(-a2)
    qml.RZ(-a[2], wires=wire)
    qml.RY(a[0], wires=wire)
    qml.RZ(-a[1], wires=wire)


def apply_spec(spec: CircuitSpec, params, x):
    """Queue the gates of ``spec`` for input ``x`` (shape (d,) or broadcast (P, d)) with flat ``params``."""
    d = spec.n_features
    off = 0
    for li, layer in enumerate(spec.layers):
        for q, slot in enumerate(layer.slots):
            for g in slot:
                n = g.n_params(d)
                p = params[off : off + n]
                off += n
                if g.kind in ("compressed", "original"):
                    chunks = math.ceil(d / 3) if d > 0 else 1
                    for c in range(chunks):
                        xs = [x[..., k] if k < d else 0.0 * x[..., 0] for k in range(3 * c, 3 * c + 3)]
                        if g.kind == "original":
                            _u(xs, q)
                            _u([p[3 * c + j] for j in range(3)], q)
                        else:
                            w = p[3 * chunks :]
                            a = [p[3 * c + j] + (w[3 * c + j] * xs[j] if 3 * c + j < d else 0.0) for j in range(3)]
                            _u(a, q)
                    continue
                gate = {"rx": qml.RX, "ry": qml.RY, "rz": qml.RZ}[g.kind]
                if g.angle == "trainable":
                    gate(p[0], wires=q)
                elif g.angle == "feature":
                    gate(p[0] * x[..., g.feature] + p[1], wires=q)
                elif g.angle == "data":
                    gate(x[..., g.feature], wires=q)
                else:
                    gate(g.value, wires=q)
        kind = layer.entangler.gate
        for a, b in spec.entangler_pairs(li):
            (qml.CZ if kind == "cz" else qml.CNOT)(wires=[a, b])


def pl_states(spec: CircuitSpec, params, X) -> np.ndarray:
    """Final states of shape (P, 2**Q) from PennyLane default.qubit, one circuit per point."""
    dev = qml.device("default.qubit", wires=spec.n_qubits)

    @qml.qnode(dev)
    def circuit(x):
        apply_spec(spec, params, x)
        return qml.state()

    return np.array([circuit(x) for x in X])
