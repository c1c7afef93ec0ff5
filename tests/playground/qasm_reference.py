"""An independent reading of the OpenQASM 3 export: the reference parser's AST (``openqasm3.parse``) interpreted
gate by gate with NumPy, for tests (shared by tests/playground/test_export.py and the browser tests)."""

from __future__ import annotations

import numpy as np
import openqasm3
from openqasm3 import ast as qast

__all__ = ["simulate_qasm", "bloch_vectors"]


_MATRICES = {
    "rx": lambda a: np.array([[np.cos(a / 2), -1j * np.sin(a / 2)], [-1j * np.sin(a / 2), np.cos(a / 2)]]),
    "ry": lambda a: np.array([[np.cos(a / 2), -np.sin(a / 2)], [np.sin(a / 2), np.cos(a / 2)]]),
    "rz": lambda a: np.diag([np.exp(-0.5j * a), np.exp(0.5j * a)]),
}


def _value(expr) -> float:
    if isinstance(expr, (qast.FloatLiteral, qast.IntegerLiteral)):
        return float(expr.value)
    if isinstance(expr, qast.UnaryExpression) and expr.op.name == "-":
        return -_value(expr.expression)
    raise AssertionError(f"unexpected expression {expr!r}")


def simulate_qasm(text: str) -> np.ndarray:
    """A tiny interpreter over openqasm3's AST: rx/ry/rz, cz, cx on one register; final state (2**Q,)."""
    program = openqasm3.parse(text)
    state = None
    n = 0
    counts = {"include": 0}
    for st in program.statements:
        if isinstance(st, qast.Include):
            assert st.filename == "stdgates.inc"
            counts["include"] += 1
        elif isinstance(st, qast.QubitDeclaration):
            n = st.size.value
            state = np.zeros((2,) * n, dtype=complex)
            state[(0,) * n] = 1.0
        elif isinstance(st, qast.QuantumGate):
            name = st.name.name
            wires = [q.indices[0][0].value for q in st.qubits]
            if name in _MATRICES:
                (w,) = wires
                m = _MATRICES[name](_value(st.arguments[0]))
                state = np.moveaxis(np.tensordot(m, state, axes=([1], [w])), 0, w)
            elif name == "cz":
                a, b = wires
                idx = [slice(None)] * n
                idx[a], idx[b] = 1, 1
                state[tuple(idx)] *= -1
            elif name == "cx":
                c, t = wires
                idx = [slice(None)] * n
                idx[c] = 1
                sub = state[tuple(idx)]
                state[tuple(idx)] = np.flip(sub, axis=t if t < c else t - 1)
            else:
                raise AssertionError(f"unexpected gate {name}")
        elif isinstance(st, (qast.ClassicalDeclaration, qast.QuantumMeasurementStatement)):
            pass
        else:
            raise AssertionError(f"unexpected statement {type(st).__name__}")
    assert counts["include"] == 1
    return state.reshape(-1)


def bloch_vectors(state: np.ndarray, n: int) -> np.ndarray:
    """Bloch vectors (Q, 3) of each qubit of a pure state (2**Q,), from the reduced density matrices."""
    psi = state.reshape((2,) * n)
    out = np.empty((n, 3))
    for q in range(n):
        s = np.moveaxis(psi, q, 0).reshape(2, -1)
        rho = s @ s.conj().T
        out[q] = [2 * rho[0, 1].real, -2 * rho[0, 1].imag, (rho[0, 0] - rho[1, 1]).real]
    return out
