"""The authors' exact draw: the paper's points and starting parameters, from NumPy's legacy generator seeded with 30.

The authors' driver (``big_functions.minimizer`` in AdrianPerezSalinas/universal_qlassifier) calls
``np.random.seed(30)`` once, draws every point as ``x = 2*np.random.rand(d) - 1``, one after another (4200 points
for the 2-D problems, 4500 for ``sphere``, 5000 for ``hypersphere``), keeps the first 200 for training (500 for
``sphere``, 1000 for ``hypersphere``) and the next 4000 for testing, and only then draws the starting parameters
from the same generator: ``theta = np.random.rand(Q, L, 3)`` and then ``alpha = np.random.rand(Q, L, d)``
(``problem_gen.py``), the class weights being ones. Nothing else consumes random numbers in between. This
module replays that stream with a local ``np.random.RandomState(30)`` (never the global generator), so a
comparison with the paper's tables runs on the authors' own points from the authors' own start.

Examples
--------
>>> train, test = paper_draw("circle")
>>> train.n_samples, test.n_samples, np.bincount(test.y).tolist()
(200, 4000, [2064, 1936])
"""

from __future__ import annotations

import numpy as np

from .datasets import DATASETS, Dataset, DatasetError
from .spec import CircuitSpec

__all__ = ["PAPER_SEED", "PAPER_SIZES", "paper_draw", "paper_start", "PaperStartError"]

PAPER_SEED = 30
#: (n_train, n_test) of the authors' draw for each of the paper's problems.
PAPER_SIZES: dict[str, tuple[int, int]] = {
    name: ({"sphere": 500, "hypersphere": 1000}.get(name, 200), 4000) for name, info in DATASETS.items() if info.paper
}


class PaperStartError(ValueError):
    """The authors' starting parameters are not defined for this problem or circuit."""


def _check_problem(name) -> tuple[int, int, int]:
    if not isinstance(name, str) or name not in PAPER_SIZES:
        raise DatasetError(f"dataset: expected one of the paper's problems ({', '.join(PAPER_SIZES)}) for the "
                           f"paper's draw, got {name!r}")
    n_train, n_test = PAPER_SIZES[name]
    return DATASETS[name].n_features, n_train, n_test


def _points(generator: np.random.RandomState, n_features: int, n_points: int) -> np.ndarray:
    # One rand(d) per point, in order, is the same stream as one rand(n, d) (the legacy generator fills
    # row-major from one sequence of doubles).
    return 2.0 * generator.random_sample((n_points, n_features)) - 1.0


def paper_draw(name: str) -> tuple[Dataset, Dataset]:
    """The authors' (train, test) points for one of the paper's nine problems, labelled by its rule.

    Parameters
    ----------
    name : str
        A paper problem of :data:`playground.datasets.DATASETS` (``circle``, ``three_circles``, ...).

    Returns
    -------
    train : Dataset
        X of shape (n_train, d): the first 200 points drawn (``sphere``: 500, ``hypersphere``: 1000).
    test : Dataset
        X of shape (4000, d): the next 4000.

    Raises
    ------
    DatasetError
        When ``name`` is not one of the paper's problems.
    """
    d, n_train, n_test = _check_problem(name)
    X = _points(np.random.RandomState(PAPER_SEED), d, n_train + n_test)
    info = DATASETS[name]
    C = info.default_n_classes
    full = Dataset(X=X, y=info.rule(X), n_classes=C, name=name, class_names=tuple(str(k) for k in range(C)))
    return full.subset(slice(0, n_train)), full.subset(slice(n_train, None))


def paper_start(name: str, spec: CircuitSpec) -> np.ndarray:
    """The circuit parameters the authors' code starts from, for problem ``name`` and circuit ``spec``.

    Replays the generator past the data (:func:`paper_draw`), then draws ``theta`` of shape (Q, L, 3) (four
    features: (Q, L, 6)) and ``alpha`` of shape (Q, L, d) as ``problem_gen.py`` does, and writes them into this
    project's parameter order: the slot of layer ``l`` on wire ``w`` takes ``theta[q, l]`` and ``alpha[q, l]``
    with ``q = Q - 1 - w``. (The authors' qubit q is bit q of the basis index, least significant first; our wire 0
    is the most significant bit. Reversing the wires keeps every basis state, and so the label states, the same.)
    Up to three features the slot is one ``compressed`` gate: [θ₀, θ₁, θ₂, α₀ .. α_{d−1}]. With four, it is
    :meth:`CircuitSpec.paper_code`'s six single-axis gates: [−θ₂, α₀, θ₀, −α₁, −θ₁, −θ₅, α₂, θ₃, −α₃, −θ₄].
    Class weights are not drawn: they start at 1 in both codes.

    Parameters
    ----------
    name : str
        One of the paper's nine problems.
    spec : CircuitSpec
        The code's circuit for the problem (:meth:`CircuitSpec.paper_code`, entangled or not; for up to three
        features that is :meth:`CircuitSpec.paper`), with ``n_features`` equal to the problem's.

    Returns
    -------
    ndarray of shape (spec.n_params,)

    Raises
    ------
    PaperStartError
        For another problem or another circuit, naming what does not fit.
    """
    if not isinstance(name, str) or name not in PAPER_SIZES:
        raise PaperStartError(f"init: 'paper' needs one of the paper's problems ({', '.join(PAPER_SIZES)}), "
                              f"got {name!r}")
    d, n_train, n_test = _check_problem(name)
    if spec.n_features != d:
        raise PaperStartError(f"init: 'paper' for {name!r} needs a circuit for {d} features, got {spec.n_features}")
    Q, L = spec.n_qubits, spec.n_layers
    code = CircuitSpec.paper_code(1, 1, n_features=d).layers[0].slots[0]
    want = tuple(g.without_uid() for g in code)
    for li, layer in enumerate(spec.layers):
        for q, slot in enumerate(layer.slots):
            if tuple(g.without_uid() for g in slot) != want:
                raise PaperStartError(
                    f"init: 'paper' needs the authors' circuit ({' '.join(g.label for g in code)} in every slot), "
                    f"got {' '.join(g.label for g in slot) or 'an empty slot'} in layer {li + 1} on qubit {q}")
    generator = np.random.RandomState(PAPER_SEED)
    _points(generator, d, n_train + n_test)
    theta = generator.random_sample((Q, L, 6 if d == 4 else 3))
    alpha = generator.random_sample((Q, L, d))
    per_slot = spec.n_params // (Q * L)
    params = np.empty(spec.n_params)
    for li in range(L):
        for wire in range(Q):  # slots are stored layer by layer, wire by wire
            t, a = theta[Q - 1 - wire, li], alpha[Q - 1 - wire, li]
            if d == 4:
                values = [-t[2], a[0], t[0], -a[1], -t[1], -t[5], a[2], t[3], -a[3], -t[4]]
            else:
                values = [*t, *a]
            start = (li * Q + wire) * per_slot
            params[start:start + per_slot] = values
    return params
