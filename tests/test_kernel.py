"""The training kernel makes the reference's updates: repeated ``train_step``.

The compiled loops sum in another order than numpy's BLAS, so parameters, optimiser
state and metrics are held equal to the reference to 1e−12 relative (of the largest
value), over every activation, loss, optimiser, L1/L2, bias on and off, batch sizes
that do and do not divide n, and many steps. The minibatch order and the refusal of a
diverging step are exact.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest

from app.engine import kernel, kernel_loops
from app.engine.activations import ACTIVATIONS
from app.engine.initializers import initialize
from app.engine.kernel import EVAL_KERNEL_MAX_ROWS, Trainer, evaluate_compiled, uses_kernel
from app.engine.network import Network
from app.engine.optimizers import SGD, Adam, Momentum, Optimizer
from app.engine.training import (
    Batcher,
    Regularization,
    evaluate,
    evaluate_with,
    gradient_norms,
    train_step,
)

HIDDEN = [name for name in ACTIVATIONS if name != "softmax"]
OUTPUTS = [("sigmoid", "bce", 1), ("softmax", "cross_entropy", 3), ("linear", "mse", 2),
           ("sigmoid", "cross_entropy", 2), ("tanh", "mse", 1), ("softmax", "mse", 2),
           ("softplus", "mse", 1), ("square", "mse", 1), ("relu", "mse", 1),
           ("leaky_relu", "mse", 2), ("sigmoid", "mse", 1)]  # fmt: skip
OPTIMIZERS = [SGD(0.05), Momentum(0.05, beta=0.8), Adam(0.01)]
REGULARIZATIONS = [None, Regularization("l2", 0.01), Regularization("l1", 0.001)]
RTOL = 1e-12
NORMS_RTOL = 1e-9


def _data(n: int, n_in: int, n_out: int, loss: str, rng: np.random.Generator) -> tuple[Any, Any]:
    x = rng.normal(size=(n, n_in))
    if loss == "mse":
        return x, rng.normal(size=(n, n_out))
    if loss == "bce" or n_out == 1:
        return x, (rng.uniform(size=(n, n_out)) > 0.5).astype(np.float64)
    return x, np.eye(n_out)[rng.integers(0, n_out, n)]


def _reference(net: Network, opt: Optimizer, reg: Regularization | None, x: Any, y: Any,
               batcher: Batcher, batch: int, steps: int,
               state: Any = None) -> tuple[list[bool], Any, Any]:  # fmt: skip
    """What the traced path does: train_step on batcher.next_indices, one step at a time."""
    state = {} if state is None else state
    applied, trace = [], None
    for _ in range(steps):
        position = (batcher.epoch, batcher.cursor)
        idx = batcher.next_indices(len(x), batch)
        result, new_state = train_step(net, opt, state, x[idx], y[idx], reg)
        applied.append(result.applied)
        if not result.applied:
            batcher.epoch, batcher.cursor = position
            break
        state, trace = new_state, result.trace
    return applied, state, trace


def _close(a: Any, b: Any, rtol: float = RTOL, atol: float = 0.0) -> None:
    """Equal to ``rtol`` relative to the largest finite value (inf and NaN where b has them)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    finite = np.abs(b[np.isfinite(b)])
    scale = float(finite.max()) if finite.size else 0.0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=max(rtol * scale, atol))


def _same_metrics(got: Any, want: Any) -> None:
    g, w = asdict(got), asdict(want)
    for key in ("step", "train_accuracy", "test_accuracy"):
        assert g[key] == w[key], key
    for key in ("train_loss", "test_loss"):
        _close(g[key], w[key])
    # A gradient sums δ·a over the batch: where the terms (of order 1 here) nearly cancel,
    # a norm far below them keeps fewer digits in either order of summation.
    for key in ("delta_norms", "grad_norms"):
        _close(g[key], w[key], NORMS_RTOL, RTOL)


def _lockstep(a: Network, opt: Optimizer, reg: Regularization | None, x: Any, y: Any,
              batch: int, steps: int, seed: int) -> None:  # fmt: skip
    """``steps`` updates by the kernel, each from the reference's state (so that chaotic
    settings, e.g. square hidden layers, cannot amplify rounding across steps): the same θ,
    optimiser state, minibatch position and refusal, and every 10th step the same metrics."""
    b = a.copy()
    classification = a.layers[-1] > 1 or a.loss_name == "bce"
    trainer = Trainer(b, opt, x, y, batch, reg, compiled=True)
    ba, state_a = Batcher(seed), dict[str, Any]()
    for i in range(steps):
        b.params[:] = a.params
        bb = Batcher(seed, ba.epoch, ba.cursor)
        with np.errstate(all="ignore"):  # some pairings diverge: refusals must match
            applied, new_state, trace = _reference(a, opt, reg, x, y, ba, batch, 1, state_a)
        run, state_b = trainer.run(bb, state_a, 1)
        assert run.applied == sum(applied) and run.diverged == (not applied[0])
        _close(b.params, a.params)
        assert (ba.epoch, ba.cursor) == (bb.epoch, bb.cursor)
        assert new_state.keys() == state_b.keys()
        for key in new_state:
            _close(state_b[key], new_state[key])
        if run.diverged:
            return
        state_a = new_state
        if i % 10 == 0:
            with np.errstate(all="ignore"):
                want = evaluate(a, i, trace, x, y, len(x) * 2 // 3, classification)
            _same_metrics(trainer.evaluate(i, x, y, len(x) * 2 // 3, classification), want)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("out", "loss", "n_out"), OUTPUTS)
def test_every_update_is_the_references(hidden, out, loss, n_out):
    rng = np.random.default_rng(7)
    for i, (opt, reg) in enumerate(zip(OPTIMIZERS, REGULARIZATIONS, strict=True)):
        for batch in (8, 1, 50):  # 37 at batch 8: epoch boundaries mid-batch; 50 ≥ n
            a = Network([3, 5, 4, n_out], [hidden, hidden, out], loss, bias=i != 1)
            initialize(a, "xavier", i + batch)
            x, y = _data(37, 3, n_out, loss, rng)
            _lockstep(a, opt, reg, x, y, batch, 40, 3)


@pytest.mark.parametrize("seed", range(20))
def test_random_networks_match_over_many_steps(seed):
    """Random depth, widths, activations, loss, optimiser, penalty, bias and batch size."""
    rng = np.random.default_rng(seed)
    hidden_layers = int(rng.integers(0, 4))
    widths = [int(rng.integers(1, 7)) for _ in range(hidden_layers + 1)]
    out, loss, n_out = OUTPUTS[int(rng.integers(len(OUTPUTS)))]
    layers = [widths[0], *widths[1:], n_out]
    acts = [str(rng.choice(HIDDEN)) for _ in range(hidden_layers)] + [out]
    opt = [SGD(0.02), Momentum(0.02, beta=0.9), Adam(0.005)][seed % 3]
    reg = REGULARIZATIONS[int(rng.integers(3))]
    n, batch = int(rng.integers(5, 60)), int(rng.integers(1, 70))
    a = Network(layers, acts, loss, bias=bool(rng.integers(2)))
    initialize(a, "xavier", seed)
    x, y = _data(n, layers[0], n_out, loss, rng)
    _lockstep(a, opt, reg, x, y, batch, 300, seed)


@pytest.mark.parametrize(("acts", "loss", "opt"), [
    (["tanh", "tanh", "sigmoid"], "bce", SGD(0.03)),
    (["relu", "relu", "softmax"], "cross_entropy", Adam(0.01)),
    (["sigmoid", "leaky_relu", "linear"], "mse", Momentum(0.01, beta=0.9)),
])  # fmt: skip
def test_a_long_free_run_stays_with_the_reference(acts, loss, opt):
    """2,000 updates without resynchronising, in the product's usual settings."""
    rng = np.random.default_rng(0)
    n_out = 3 if loss == "cross_entropy" else 1
    a = Network([2, 4, 2, n_out], acts, loss)
    initialize(a, "xavier", 0)
    b = a.copy()
    x, y = _data(250, 2, n_out, loss, rng)
    _, state_a, _ = _reference(a, opt, Regularization("l2", 0.001), x, y, ba := Batcher(), 10, 2000)
    trainer = Trainer(b, opt, x, y, 10, Regularization("l2", 0.001), compiled=True)
    _, state_b = trainer.run(bb := Batcher(), {}, 2000)
    _close(b.params, a.params)
    assert (ba.epoch, ba.cursor) == (bb.epoch, bb.cursor)
    for key in state_a:
        _close(state_b[key], state_a[key])


def test_norms_and_delta_of_the_last_update_are_the_references():
    rng = np.random.default_rng(3)
    x, y = _data(20, 2, 1, "bce", rng)
    a = Network([2, 4, 1], ["tanh", "sigmoid"], "bce")
    initialize(a, "xavier", 1)
    b = a.copy()
    trainer = Trainer(b, SGD(0.1), x, y, 5, compiled=True)
    trainer.run(Batcher(), {}, 6)
    batcher = Batcher()
    for _ in range(6):
        idx = batcher.next_indices(20, 5)
        result, _ = train_step(a, SGD(0.1), {}, x[idx], y[idx])
    deltas, grads = gradient_norms(result.trace)
    _close(trainer.norms()[0], deltas)
    _close(trainer.norms()[1], grads)
    _close(trainer.last_delta, result.delta)


def test_evaluation_is_the_references_for_every_loss_and_no_test_rows():
    rng = np.random.default_rng(5)
    for out, loss, n_out in OUTPUTS:
        net = Network([2, 3, n_out], ["tanh", out], loss)
        initialize(net, "he", 2)
        x, y = _data(30, 2, n_out, loss, rng)
        trace = net.backward(x[:4], y[:4])
        norms = gradient_norms(trace)
        for n_train in (30, 20):  # without and with test rows
            for classification in (False, True):
                want = evaluate(net, 9, trace, x, y, n_train, classification)
                got = evaluate_compiled(net, 9, norms, x, y, n_train, classification)
                _same_metrics(got, want)


@pytest.mark.parametrize("rows", [8, EVAL_KERNEL_MAX_ROWS, EVAL_KERNEL_MAX_ROWS + 1, 500])
def test_a_trainers_evaluation_is_the_references_on_either_side_of_the_switch(rows):
    """Up to ``EVAL_KERNEL_MAX_ROWS`` rows the kernel's loop evaluates, above it numpy's
    forward pass: the record is the reference's either way."""
    rng = np.random.default_rng(rows)
    net = Network([2, 4, 2, 1], ["tanh", "tanh", "sigmoid"], "bce")
    initialize(net, "xavier", 3)
    x, y = _data(rows, 2, 1, "bce", rng)
    trainer = Trainer(net, SGD(0.1), x, y, 4)
    trainer.run(Batcher(), {}, 3)
    got = trainer.evaluate(3, x, y, rows // 2, True)
    _same_metrics(got, evaluate_with(net, 3, trainer.norms(), x, y, rows // 2, True))


def test_the_kernel_refuses_the_step_train_step_refuses():
    """w = −1e308, b = 1e308: a step with η = 1e308 overflows w (see test_training)."""
    a = Network([1, 1], ["linear"], "mse", params=np.array([-1e308, 1e308]))
    b = a.copy()
    x, y = np.array([[1.0]]), np.array([[-3.0]])
    with np.errstate(all="ignore"):
        applied, _, _ = _reference(a, SGD(1e308), None, x, y, Batcher(), 1, 3)
    run, state = Trainer(b, SGD(1e308), x, y, 1, compiled=True).run(batcher := Batcher(), {}, 3)
    assert applied == [False] and run.applied == 0 and run.diverged
    np.testing.assert_array_equal(b.params, [-1e308, 1e308])
    assert (batcher.epoch, batcher.cursor) == (0, 0) and state == {}


@pytest.mark.parametrize("loss", ["bce", "mse", "cross_entropy"])
def test_a_run_that_diverges_stops_at_the_references_step(loss):
    """A learning rate that blows up after some steps: both stop at the same one."""
    rng = np.random.default_rng(11)
    out, n_out = {"bce": ("sigmoid", 1), "mse": ("square", 1), "cross_entropy": ("softmax", 3)}[
        loss
    ]
    a = Network([2, 6, 6, n_out], ["square", "square", out], loss)
    initialize(a, "he", 4)
    b = a.copy()
    x, y = _data(40, 2, n_out, loss, rng)
    opt = Momentum(0.5, beta=0.99)
    with np.errstate(all="ignore"):
        applied, _, _ = _reference(a, opt, None, x, y, ba := Batcher(1), 7, 500)
    run, _ = Trainer(b, opt, x, y, 7, compiled=True).run(bb := Batcher(1), {}, 500)
    assert not applied[-1], "the setting should diverge"
    assert run.diverged and run.applied == len(applied) - 1
    assert (ba.epoch, ba.cursor) == (bb.epoch, bb.cursor)
    assert np.all(np.isfinite(b.params))
    _close(b.params, a.params)


@pytest.mark.parametrize("batch", [1, 10, 37, 50])
def test_batches_follow_the_batcher_from_any_position(batch):
    rng = np.random.default_rng(1)
    x, y = _data(37, 2, 1, "bce", rng)
    a = Network([2, 3, 1], ["tanh", "sigmoid"], "bce")
    initialize(a, "he", 0)
    b = a.copy()
    _reference(a, SGD(0.1), None, x, y, ba := Batcher(5, 2, 3), batch, 25)
    bb = Batcher(5, 2, 3)
    for steps in (3, 1, 21):  # in pieces, as a session trains call after call
        Trainer(b, SGD(0.1), x, y, batch, compiled=True).run(bb, {}, steps)
    _close(b.params, a.params)
    assert (ba.epoch, ba.cursor) == (bb.epoch, bb.cursor)


def test_large_networks_train_through_the_reference_itself():
    """Above the measured crossover the BLAS path is train_step: bit for bit."""
    assert uses_kernel([2, 4, 2, 1], 10) and uses_kernel([2, 8, 8, 1], 32)
    assert not uses_kernel([2, 32, 32, 32, 32, 1], 256)
    rng = np.random.default_rng(2)
    x, y = _data(300, 2, 1, "bce", rng)
    a = Network([2, 32, 32, 32, 32, 1], ["relu"] * 4 + ["sigmoid"], "bce")
    initialize(a, "he", 0)
    b = a.copy()
    _, _, trace = _reference(a, Adam(0.01), None, x, y, Batcher(), 256, 5)
    trainer = Trainer(b, Adam(0.01), x, y, 256)
    assert not trainer.compiled
    trainer.run(Batcher(), {}, 5)
    np.testing.assert_array_equal(b.params, a.params)
    assert trace is not None
    assert trainer.evaluate(5, x, y, 200, True) == evaluate(a, 5, trace, x, y, 200, True)


def test_a_deadline_stops_a_run_after_at_least_one_update():
    rng = np.random.default_rng(4)
    x, y = _data(50, 2, 1, "bce", rng)
    net = Network([2, 4, 1], ["tanh", "sigmoid"], "bce")
    run, _ = Trainer(net, SGD(0.1), x, y, 10, compiled=True).run(Batcher(), {}, 10**6, 0.0)
    assert run.applied == 1 and not run.diverged


def test_warm_up_compiles_the_loops():
    assert kernel.warm_up() >= 0.0
    assert kernel_loops.train.signatures  # compiled (or loaded from the cache)


def test_training_releases_the_gil():
    """While one long kernel call trains in a thread, Python keeps running in this one."""
    assert kernel_loops.train.targetoptions["nogil"]
    rng = np.random.default_rng(0)
    x, y = _data(250, 2, 1, "mse", rng)
    net = Network([2, 4, 2, 1], ["tanh", "tanh", "tanh"], "mse")
    initialize(net, "xavier", 0)
    trainer = Trainer(net, SGD(0.03), x, y, 10, compiled=True)
    trainer.run(Batcher(), {}, 1)
    started = threading.Event()

    def train() -> None:
        started.set()
        trainer.run(Batcher(), {}, 100_000)  # one call of the compiled loop

    worker = threading.Thread(target=train)
    worker.start()
    assert started.wait(10)
    time.sleep(0.01)  # let the worker enter the loop
    counted = 0
    while worker.is_alive():
        counted += 1
    worker.join()
    assert counted > 10_000  # with the GIL held, this thread would wait until the end
