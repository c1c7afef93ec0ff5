"""Synthetic snapshots: the widgets are tested on arrays with the documented shapes, not on a simulator."""

from __future__ import annotations

import numpy as np
import pytest

from playground.classifier import label_bloch_vectors
from playground.trainer import TrainerSnapshot


def unit_vectors(rng, shape):
    v = rng.normal(size=shape + (3,))
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def make_snapshot(*, P=30, M=20, C=2, Q=1, L=3, res=16, m=8, seed=0, history_rows=3) -> TrainerSnapshot:
    rng = np.random.default_rng(seed)
    xs = np.linspace(-1, 1, res)
    gx, gy = np.meshgrid(xs, xs)
    # class c wins in the c-th vertical stripe, sure in the middle of a stripe and unsure at its edges
    stripe = np.clip(((gx + 1) / 2 * C).astype(int), 0, C - 1)
    proba = np.full((res, res, C), 0.1 / max(C - 1, 1), dtype=np.float32)
    np.put_along_axis(proba, stripe[..., None], 0.9, axis=2)
    train_proba = rng.dirichlet(np.ones(C), size=P)
    h = history_rows
    return TrainerSnapshot(
        n_steps=10 * max(h - 1, 0),
        epoch=max(h - 1, 0),
        loss=0.3,
        train_accuracy=0.8,
        test_accuracy=0.75,
        history={
            "step": np.arange(h, dtype=float) * 10,
            "epoch": np.arange(h, dtype=float),
            "loss": np.linspace(0.5, 0.3, h),
            "train_loss": np.linspace(0.5, 0.3, h),
            "train_accuracy": np.linspace(0.5, 0.8, h),
            "test_accuracy": np.linspace(0.5, 0.75, h),
        },
        params=np.zeros(5),
        grid_x=xs,
        grid_y=xs.copy(),
        grid_proba=proba,
        train_proba=train_proba,
        train_pred=np.argmax(train_proba, axis=1),
        train_fidelities=train_proba,
        test_pred=rng.integers(0, C, M),
        final_bloch=unit_vectors(rng, (P, Q)),
        layer_bloch=unit_vectors(rng, (L + 1, Q, P)).astype(np.float32),
        layer_maps=rng.uniform(-1, 1, (L + 1, Q, m, m)).astype(np.float32),
        label_bloch=label_bloch_vectors(C),
    )


@pytest.fixture
def snapshot_factory():
    return make_snapshot
