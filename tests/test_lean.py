"""The lean training loop and play chunks make exactly the REST step's updates.

``LeanTrainer`` skips the traces, and ``Chunk`` evaluates once per chunk instead of
once per step; neither may change a single bit of the parameters, the optimiser
state, the minibatch order or the metrics recorded at the chunk's last step.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest

from app.api import schemas
from app.engine.activations import ACTIVATIONS
from app.engine.initializers import initialize
from app.engine.lean import LeanTrainer
from app.engine.network import Network
from app.engine.optimizers import SGD, Adam, Momentum, Optimizer
from app.engine.training import Batcher, Regularization, gradient_norms, train_step
from app.presets import DEFAULT_REQUEST, PRESETS
from app.sessions import compute
from app.sessions.play import Chunk, boundary_arrays
from app.sessions.retention import DENSE_SNAPSHOTS
from app.sessions.session import Session

HIDDEN = [name for name in ACTIVATIONS if name != "softmax"]
OUTPUTS = [("sigmoid", "bce", 1), ("softmax", "cross_entropy", 3), ("linear", "mse", 2),
           ("sigmoid", "cross_entropy", 2), ("tanh", "mse", 1)]  # fmt: skip
OPTIMIZERS = [SGD(0.05), Momentum(0.05, beta=0.8), Adam(0.01)]
REGULARIZATIONS = [None, Regularization("l2", 0.01), Regularization("l1", 0.001)]


def _data(n: int, n_in: int, n_out: int, loss: str, rng: np.random.Generator) -> tuple[Any, Any]:
    x = rng.normal(size=(n, n_in))
    if loss == "mse":
        return x, rng.normal(size=(n, n_out))
    if loss == "bce" or n_out == 1:
        return x, (rng.uniform(size=(n, n_out)) > 0.5).astype(np.float64)
    return x, np.eye(n_out)[rng.integers(0, n_out, n)]


def _reference(net: Network, opt: Optimizer, reg: Regularization | None, x: Any, y: Any,
               batcher: Batcher, batch: int, steps: int) -> tuple[list[bool], Any]:  # fmt: skip
    """What the REST path does: train_step on batcher.next_indices, one step at a time."""
    state: dict[str, Any] = {}
    applied = []
    for _ in range(steps):
        position = (batcher.epoch, batcher.cursor)
        idx = batcher.next_indices(len(x), batch)
        result, new_state = train_step(net, opt, state, x[idx], y[idx], reg)
        applied.append(result.applied)
        if not result.applied:
            batcher.epoch, batcher.cursor = position
            break
        state = new_state
    return applied, state


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("out", "loss", "n_out"), OUTPUTS)
def test_lean_steps_equal_train_step_bit_for_bit(hidden, out, loss, n_out):
    rng = np.random.default_rng(7)
    for i, (opt, reg) in enumerate(zip(OPTIMIZERS, REGULARIZATIONS, strict=True)):
        layers = [3, 5, 4, n_out]
        a = Network(layers, [hidden, hidden, out], loss, bias=i != 1)
        initialize(a, "xavier", i)
        b = a.copy()
        x, y = _data(37, 3, n_out, loss, rng)  # 37 at batch 8: epoch boundaries mid-batch
        lean = LeanTrainer(b, opt, x, y, 8, reg)
        with np.errstate(all="ignore"):  # some pairings diverge: the refusal must match too
            applied, state_a = _reference(a, opt, reg, x, y, batcher_a := Batcher(3), 8, 60)
            run, state_b = lean.run(batcher_b := Batcher(3), {}, 60)
        assert run.applied == sum(applied)
        np.testing.assert_array_equal(a.params, b.params)
        assert (batcher_a.epoch, batcher_a.cursor) == (batcher_b.epoch, batcher_b.cursor)
        assert state_a.keys() == state_b.keys()
        for key in state_a:
            np.testing.assert_array_equal(state_a[key], state_b[key])


@pytest.mark.parametrize("batch", [1, 10, 37, 50])
def test_lean_batches_follow_the_batcher_including_whole_set_batches(batch):
    rng = np.random.default_rng(1)
    x, y = _data(37, 2, 1, "bce", rng)
    a = Network([2, 3, 1], ["tanh", "sigmoid"], "bce")
    initialize(a, "he", 0)
    b = a.copy()
    _reference(a, SGD(0.1), None, x, y, batcher_a := Batcher(5, 2, 3), batch, 25)
    LeanTrainer(b, SGD(0.1), x, y, batch).run(batcher_b := Batcher(5, 2, 3), {}, 25)
    np.testing.assert_array_equal(a.params, b.params)
    assert (batcher_a.epoch, batcher_a.cursor) == (batcher_b.epoch, batcher_b.cursor)


def test_lean_refuses_the_step_train_step_refuses():
    """w = −1e308, b = 1e308: a step with η = 1e308 overflows w (see test_training)."""
    a = Network([1, 1], ["linear"], "mse", params=np.array([-1e308, 1e308]))
    b = a.copy()
    x, y = np.array([[1.0]]), np.array([[-3.0]])
    with np.errstate(all="ignore"):
        applied, _ = _reference(a, SGD(1e308), None, x, y, Batcher(), 1, 3)
        run, state = LeanTrainer(b, SGD(1e308), x, y, 1).run(batcher := Batcher(), {}, 3)
    assert applied == [False] and run.applied == 0 and run.diverged
    np.testing.assert_array_equal(b.params, [-1e308, 1e308])
    assert (batcher.epoch, batcher.cursor) == (0, 0) and state == {}


def test_last_trace_gives_the_norms_of_the_last_update():
    rng = np.random.default_rng(3)
    x, y = _data(20, 2, 1, "bce", rng)
    a = Network([2, 4, 1], ["tanh", "sigmoid"], "bce")
    initialize(a, "xavier", 1)
    b = a.copy()
    lean = LeanTrainer(b, SGD(0.1), x, y, 5)
    lean.run(Batcher(), {}, 6)
    batcher = Batcher()
    for _ in range(6):
        idx = batcher.next_indices(20, 5)
        result, _ = train_step(a, SGD(0.1), {}, x[idx], y[idx])
    assert gradient_norms(lean.last_trace()) == gradient_norms(result.trace)


# --- chunks against run_steps ----------------------------------------------------------------


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
    with np.errstate(all="ignore"):
        _, history, _ = compute.run_steps(rest, 230, False)
        metrics = _chunked(played, [20, 45, 1, 100, 64])
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
