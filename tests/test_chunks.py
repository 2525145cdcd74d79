"""Play chunks make exactly the REST step's updates (both through the training kernel;
tests/test_kernel.py holds the kernel to ``train_step``).

``Chunk`` records once per chunk; that may not change a single bit of the parameters,
the optimiser state, the minibatch order or the metrics recorded at the chunk's last step.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest

from app.api import schemas
from app.engine.features import apply_features
from app.engine.training import Batcher, train_step
from app.presets import DEFAULT_REQUEST, PRESETS
from app.sessions import compute, play
from app.sessions.play import Chunk, boundary_arrays
from app.sessions.retention import DENSE_SNAPSHOTS
from app.sessions.session import Session


def _session(request: dict[str, Any]) -> Session:
    return Session.create("test", schemas.CreateSession(**copy.deepcopy(request)))


def _chunked(s: Session, sizes: list[int]) -> list[Any]:
    metrics = []
    for size in sizes:
        chunk = Chunk(s, size)
        while not chunk.done:
            chunk.train()
        metrics += chunk.finish().metrics
    return metrics


@pytest.mark.parametrize(
    "request_",
    [DEFAULT_REQUEST] + [p["request"] for p in PRESETS],
    ids=["default"] + [p["id"] for p in PRESETS],
)
def test_chunks_make_the_rest_steps_and_store_the_same_metrics(request_):
    rest, played = _session(request_), _session(request_)
    sizes = [20, 45, 1, 100, 64]
    history = []
    with np.errstate(all="ignore"):
        for size in sizes:  # REST calls end where the chunks do, so both record there
            answer, rows, _ = compute.run_steps(rest, size, False)
            history += rows
            if answer["diverged"]:
                break
        metrics = _chunked(played, sizes)
    assert (played.step, played.batcher.epoch, played.batcher.cursor) == (
        rest.step, rest.batcher.epoch, rest.batcher.cursor,
    )  # fmt: skip
    np.testing.assert_array_equal(played.network.params, rest.network.params)
    for key in rest.opt_state:
        np.testing.assert_array_equal(played.opt_state[key], rest.opt_state[key])
    by_step = {m.step: asdict(m) for m in history}
    assert [asdict(m) for m in metrics] == [by_step[m.step] for m in metrics]
    if rest.step == 230:
        # every step of the run's start, then one record per chunk
        assert [m.step for m in metrics] == [*range(1, DENSE_SNAPSHOTS + 1), 65, 66, 166, 230]


def test_a_chunk_that_diverges_stops_where_the_rest_step_stops():
    """The diverging preset, first at a stable rate, then at its own η = 0.2."""
    request = copy.deepcopy(next(p["request"] for p in PRESETS if p["id"] == "diverging"))
    request["training"]["learning_rate"] = 0.001
    rest, played = _session(request), _session(request)
    with np.errstate(all="ignore"):
        compute.run_steps(rest, 60, False)
        _chunked(played, [60])
        for s in (rest, played):
            s.training = s.training.model_copy(update={"learning_rate": 0.2})
        answer, history, _ = compute.run_steps(rest, 100, False)
        chunk = Chunk(played, 100)
        while not chunk.done:
            chunk.train()
        result = chunk.finish()
    assert answer["diverged"] and result.diverged
    assert result.message == answer["message"]
    assert played.step == rest.step and result.applied == len(history)
    np.testing.assert_array_equal(played.network.params, rest.network.params)


def test_non_finite_metrics_at_the_end_of_a_chunk_replay_it_as_rest_does():
    """A test point far out makes the test loss overflow though every minibatch is fine:
    the REST step refuses the first update, and so must the chunk (found by its replay)."""
    request = {
        "network": {"layers": [1, 1], "activations": ["linear"], "loss": "mse",
                    "weights": [[[0.5]]], "biases": [[0.0]]},
        "dataset": {"x": [[1.0], [2.0]], "y": [[1.0], [2.0]],
                    "test_x": [[1e200]], "test_y": [[0.0]]},
        "training": {"optimizer": "sgd", "learning_rate": 0.01, "batch_size": 1},
        "state": {"step": DENSE_SNAPSHOTS + 10},
    }  # fmt: skip
    rest, played = _session(request), _session(request)
    with np.errstate(all="ignore"):
        answer, history, _ = compute.run_steps(rest, 5, False)
        chunk = Chunk(played, 5)
        while not chunk.done:
            chunk.train()
        result = chunk.finish()
    assert answer["diverged"] and history == []
    assert result.diverged and result.applied == 0 and result.message == answer["message"]
    assert played.step == DENSE_SNAPSHOTS + 10
    np.testing.assert_array_equal(played.network.params, rest.network.params)


def test_chunk_trains_at_most_to_its_deadline_and_at_least_one_update():
    s = _session(DEFAULT_REQUEST)
    _chunked(s, [DENSE_SNAPSHOTS])
    chunk = Chunk(s, 1000)
    assert chunk.train(deadline=0.0) == 1  # already past: still one update per call
    assert not chunk.done
    result = chunk.finish()
    assert result.applied == 1 and [m.step for m in result.metrics] == [DENSE_SNAPSHOTS + 1]


def test_boundary_arrays_are_the_rest_boundary_in_float32():
    s = _session(DEFAULT_REQUEST)
    grid = boundary_arrays(s, 12, True)
    rest = compute.boundary(s, 12, True)
    np.testing.assert_array_equal(grid["output"], rest["output"].astype(np.float32))
    for a, b in zip(grid["neurons"], rest["neurons"], strict=True):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b.astype(np.float32))


@pytest.mark.parametrize(
    ("weight", "shown"),
    [(1e300, np.finfo(np.float32).max), (-1e300, -np.finfo(np.float32).max), (np.inf, 0.0)],
)
def test_a_frames_grid_clamps_to_float32_and_shows_nan_as_zero(weight, shown):
    """Values beyond float32's range are clamped, never sent as inf; NaN (inf · 0 from a
    diverged network) is 0: a frame's grids are always finite."""
    request = copy.deepcopy(DEFAULT_REQUEST)
    request["network"] |= {"activations": ["tanh", "tanh", "linear"], "loss": "mse"}
    s = _session(request)
    net = s.network
    net.params[:] = 0.0
    net.params[net.layout[-1].w_start : net.layout[-1].b_start] = weight  # W^L on a ≥ 0
    net.params[net.layout[-1].b_start :] = 1.0  # so z^L = weight · Σa + 1
    net.params[net.layout[0].b_start : net.layout[0].end] = 0.5  # a^1 = tanh(0.5) > 0
    net.params[net.layout[1].b_start : net.layout[1].end] = 0.5
    if weight == np.inf:
        net.params[net.layout[1].b_start : net.layout[1].end] = 0.0  # a^2 = 0: inf · 0
    grid = boundary_arrays(s, 4, True)
    values = [grid["output"], grid["inputs"], *grid["neurons"]]
    assert all(np.isfinite(v).all() and v.dtype == np.float32 for v in values)
    assert (grid["output"] == np.float32(shown)).all()


def test_rest_steps_train_on_the_chosen_features_of_the_inputs():
    """The kernel sees a^0 = the feature columns (x₁², x₂², x₁x₂, sin x₁, sin x₂), as the
    reference train_step on ``apply_features`` of the raw points does."""
    request = copy.deepcopy(DEFAULT_REQUEST)
    names = ["x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]
    request["network"] |= {"layers": [5, 4, 2, 1], "features": names}
    request["training"] |= {"optimizer": "momentum", "regularization": "l2",
                            "regularization_rate": 0.001}  # fmt: skip
    s = _session(request)
    reference, batcher = s.network.copy(), Batcher(s.batcher.seed)
    state: dict[str, np.ndarray] = {}
    x, y = apply_features(s.data.x, names), s.inputs("train")[1]
    compute.run_steps(s, 120, False)
    for _ in range(120):
        idx = batcher.next_indices(len(x), 10)
        _, state = train_step(reference, s.optimizer(), state, x[idx], y[idx], s.regularization())
    np.testing.assert_allclose(s.network.params, reference.params, rtol=1e-12, atol=1e-14)
    assert (s.batcher.epoch, s.batcher.cursor) == (batcher.epoch, batcher.cursor)


def test_a_dense_start_chunk_is_long_until_measured_then_by_its_measure(monkeypatch):
    """Play trains a chunk on the event loop if it is expected to be short: the dense start
    (the REST path) counts as long until one such step was timed in the process, then by
    that time, so a class's first 50 steps stay off the worker threads."""
    monkeypatch.setattr(play, "_DENSE_PER_STEP", {})
    s = _session(DEFAULT_REQUEST)
    assert Chunk(s, 3).expected_seconds() == float("inf")
    Chunk(s, 3).train()
    per_step = play._DENSE_PER_STEP[play._dense_size(s)]
    assert 0 < per_step < 0.1
    assert Chunk(s, 3).expected_seconds() == pytest.approx(3 * per_step)
    s.step = DENSE_SNAPSHOTS - 1  # one dense step left, then the kernel's
    chunk = Chunk(s, 3)
    kernel = chunk._kernel().seconds_per_update
    assert chunk.expected_seconds() == pytest.approx(per_step + 2 * kernel)
