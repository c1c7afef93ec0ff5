"""The paper's Table 1 for `circle` on one qubit, through the real `playground train` command (about 25 s)."""

import json

import pytest

from playground import cli

PAPER = {
    "fidelity": {2: 0.85, 3: 0.85, 4: 0.90, 5: 0.89, 6: 0.92, 8: 0.93, 10: 0.95},
    "weighted_fidelity": {2: 0.94, 3: 0.94, 4: 0.94, 5: 0.96, 6: 0.95, 8: 0.97, 10: 0.96},
}


@pytest.mark.slow
@pytest.mark.parametrize("cost", sorted(PAPER))
@pytest.mark.parametrize("layers", [2, 3, 4, 5, 6, 8, 10])
def test_reaches_the_published_accuracy(capsys, cost, layers):
    argv = [
        "train", "--dataset", "circle", "--qubits", "1", "--cost", cost, "--optimizer", "lbfgs", "--seed", "30",
        "--train-size", "200", "--test-size", "4000", "--layers", str(layers), "--json",
    ]
    assert cli.main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_train"] == 200 and result["n_test"] == 4000
    assert result["test_accuracy"] >= PAPER[cost][layers] - 0.02
