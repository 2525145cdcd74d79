"""Optimisers by hand, train_step (regularisation, divergence), Batcher, metrics, initialisers."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from app.engine.initializers import INITIALIZERS, initialize
from app.engine.network import Network
from app.engine.optimizers import SGD, Adam, Momentum, Optimizer, State, make_optimizer
from app.engine.training import (
    Batcher,
    Regularization,
    accuracy,
    all_finite,
    evaluate,
    train_step,
)

EPS = 1e-8  # Adam's ε


def run(optimizer: Optimizer, grads: list[list[float]]) -> tuple[list[np.ndarray], State]:
    """Δθ of each successive step, and the final state."""
    state: State = {}
    deltas = []
    for g in grads:
        delta, state = optimizer.propose(np.array(g), state)
        deltas.append(delta)
    return deltas, state


# --- optimisers against hand-computed steps -----------------------------------------------


def test_sgd_steps():
    deltas, state = run(SGD(0.1), [[1.0, -2.0, 0.5], [0.0, 4.0, -1.0]])
    np.testing.assert_allclose(deltas[0], [-0.1, 0.2, -0.05], rtol=1e-15)
    np.testing.assert_allclose(deltas[1], [0.0, -0.4, 0.1], rtol=1e-15)
    assert state == {}


def test_momentum_steps():
    deltas, state = run(Momentum(0.1, beta=0.9), [[1.0, -2.0], [0.5, 0.5], [0.0, 0.0]])
    # v₁ = −0.1 g₁;  v₂ = 0.9 v₁ − 0.1 g₂ = (−0.09 − 0.05, 0.18 − 0.05);  v₃ = 0.9 v₂
    np.testing.assert_allclose(deltas[0], [-0.1, 0.2], rtol=1e-14)
    np.testing.assert_allclose(deltas[1], [-0.14, 0.13], rtol=1e-14)
    np.testing.assert_allclose(deltas[2], [-0.126, 0.117], rtol=1e-14)
    np.testing.assert_array_equal(state["velocity"], deltas[2])


def test_adam_steps():
    deltas, state = run(Adam(0.1), [[1.0, -2.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    # Step 1: m = 0.1 g, v = 0.001 g², so m̂ = g, v̂ = g² and Δθ = −0.1 g / (|g| + ε).
    np.testing.assert_allclose(deltas[0], [-0.1 / (1 + EPS), 0.2 / (2 + EPS), 0.0], rtol=1e-14)
    # Step 2: m = (0.09 + 0.1, −0.18, 0) = (0.19, −0.18, 0), 1 − β₁² = 0.19;
    #         v = (0.000999 + 0.001, 0.003996, 0), 1 − β₂² = 0.001999.
    m_hat = np.array([1.0, -0.18 / 0.19, 0.0])
    v_hat = np.array([1.0, 0.003996 / 0.001999, 0.0])
    np.testing.assert_allclose(deltas[1], -0.1 * m_hat / (np.sqrt(v_hat) + EPS), rtol=1e-12)
    # Step 3: m = (0.171 + 0.1, −0.162, 0), 1 − β₁³ = 0.271;
    #         v = (0.001997001 + 0.001, 0.003992004, 0), 1 − β₂³ = 0.002997001.
    m_hat = np.array([1.0, -0.162 / 0.271, 0.0])
    v_hat = np.array([1.0, 0.003992004 / 0.002997001, 0.0])
    np.testing.assert_allclose(deltas[2], -0.1 * m_hat / (np.sqrt(v_hat) + EPS), rtol=1e-12)
    np.testing.assert_allclose(state["m"], [0.271, -0.162, 0.0], rtol=1e-12)
    np.testing.assert_allclose(state["v"], [0.002997001, 0.003992004, 0.0], rtol=1e-12)
    assert state["t"].tolist() == [3.0]


@pytest.mark.parametrize(
    ("name", "options", "kind"),
    [("sgd", {}, SGD), ("momentum", {"beta": 0.5}, Momentum), ("adam", {"beta1": 0.8}, Adam)],
)
def test_make_optimizer(name, options, kind):
    opt = make_optimizer(name, 0.3, **options)
    assert type(opt) is kind
    assert opt.learning_rate == 0.3
    for key, value in options.items():
        assert getattr(opt, key) == value


@pytest.mark.parametrize("optimizer", [SGD(0.1), Momentum(0.1), Adam(0.1)], ids=repr)
def test_propose_does_not_mutate_its_state(optimizer):
    _, state = optimizer.propose(np.array([1.0, -2.0]), {})
    before = copy.deepcopy(state)
    _, after = optimizer.propose(np.array([3.0, 0.5]), state)
    assert state.keys() == before.keys()
    for key in state:
        np.testing.assert_array_equal(state[key], before[key])
    if state:
        assert after is not state
        assert not all(np.array_equal(after[k], state[k]) for k in state)


# --- train_step -------------------------------------------------------------------------------


def tiny_net() -> Network:
    return Network.from_arrays(
        [2, 2, 1],
        ["tanh", "linear"],
        "mse",
        weights=[[[1.0, -1.0], [0.5, 2.0]], [[2.0, -1.0]]],
        biases=[[0.3, -1.0], [0.5]],
    )


X = np.array([[1.0, 2.0], [0.0, 1.0]])
Y = np.array([[1.0], [0.5]])


def test_applied_step_moves_params_by_delta():
    net = tiny_net()
    before = net.params.copy()
    grad = net.backward(X, Y).grad
    result, state = train_step(net, SGD(0.5), {}, X, Y)
    assert result.applied and not result.diverged
    np.testing.assert_array_equal(result.delta, -0.5 * grad)
    np.testing.assert_array_equal(net.params, before + result.delta)
    assert state == {}


@pytest.mark.parametrize(
    ("kind", "penalty_gradient"),
    [("l2", lambda w: 0.1 * w), ("l1", lambda w: 0.1 * np.sign(w))],
)
def test_regularisation_touches_weights_not_biases(kind, penalty_gradient):
    net = tiny_net()
    before = net.params.copy()
    data_grad = net.backward(X, Y).grad
    result, _ = train_step(net, SGD(0.5), {}, X, Y, Regularization(kind, 0.1))
    mask = net.weight_mask
    assert mask.sum() == 6 and (~mask).sum() == 3
    expected = -0.5 * (data_grad + penalty_gradient(before) * mask)
    np.testing.assert_allclose(result.delta, expected, rtol=1e-15)
    np.testing.assert_array_equal(result.delta[~mask], -0.5 * data_grad[~mask])  # biases
    assert not np.allclose(result.delta[mask], -0.5 * data_grad[mask])
    # The trace shows the data loss and its gradient alone.
    np.testing.assert_array_equal(result.trace.grad, data_grad)
    assert result.trace.loss == tiny_net().loss_value(X, Y)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("l1", 0.1 * (1 + 1 + 0.5 + 2 + 2 + 1)),  # λ Σ|w|, biases left out
        ("l2", 0.05 * (1 + 1 + 0.25 + 4 + 4 + 1)),  # ½ λ Σ w²
        ("none", 0.0),
    ],
)
def test_penalty(kind, expected):
    net = tiny_net()
    assert Regularization(kind, 0.1).penalty(net.params, net.weight_mask) == pytest.approx(
        expected, rel=1e-14
    )


@pytest.mark.parametrize("reg", [Regularization(), Regularization("l2", 0.0)])
def test_no_penalty_has_no_gradient(reg):
    net = tiny_net()
    assert reg.gradient(net.params, net.weight_mask) is None


def overflowing_net() -> tuple[Network, np.ndarray, np.ndarray]:
    """w = −1e308 and b = 1e308 cancel for x = 1, so z = 0, C = ½·3² and ∂C/∂(w, b) = (3, 3).

    Any step of about −1e308 or more on w overflows it to −inf.
    """
    net = Network([1, 1], ["linear"], "mse", params=np.array([-1e308, 1e308]))
    return net, np.array([[1.0]]), np.array([[-3.0]])


@pytest.mark.parametrize(
    ("optimizer", "state"),
    [
        pytest.param(SGD(1e308), {}, id="sgd"),
        pytest.param(Momentum(1e308), {"velocity": np.array([-0.3, -0.3])}, id="momentum"),
        # The state after one step with g = (3, 3): the next Δθ is exactly −η per parameter.
        pytest.param(
            Adam(1e308),
            {"m": np.array([0.3, 0.3]), "v": np.array([0.009, 0.009]), "t": np.array([1.0])},
            id="adam",
        ),
    ],
)
def test_diverging_step_is_not_applied(optimizer, state):
    net, x, y = overflowing_net()
    before = net.params.copy()
    saved = copy.deepcopy(state)
    assert net.backward(x, y).grad.tolist() == [3.0, 3.0]
    # Overflow warnings are the caller's to silence (the API does, once per call).
    with np.errstate(over="ignore", invalid="ignore"):
        result, new_state = train_step(net, optimizer, state, x, y)
        assert not np.all(np.isfinite(before + result.delta))  # what the step would have done
    assert result.diverged and not result.applied
    np.testing.assert_array_equal(net.params, before)
    assert new_state is state
    for key in saved:
        np.testing.assert_array_equal(state[key], saved[key])
    assert result.trace.loss == 4.5
    # The network stays usable: a sane step afterwards is applied.
    sane, _ = train_step(net, SGD(1e-3), {}, x, y)
    assert sane.applied and np.all(np.isfinite(net.params))


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1.0, -2.0], True), ([1e300, -1e300, 1.7e308], True),  # Σv² overflows: still finite
     ([1.0, math.inf], False), ([-math.inf, 1.0], False), ([math.nan, 1.0], False),
     ([1e300, math.nan], False), ([], True)],
)  # fmt: skip
def test_all_finite_checks_every_element_without_warning(values, expected):
    # (warnings are errors in this suite: an overflowing Σv² must not warn)
    assert all_finite(np.array(values, dtype=np.float64)) is expected


# --- Batcher ----------------------------------------------------------------------------------


def batches(batcher: Batcher, n: int, batch_size: int, count: int) -> list[list[int]]:
    return [batcher.next_indices(n, batch_size).tolist() for _ in range(count)]


def test_batcher_is_deterministic_by_seed():
    first = batches(Batcher(seed=3), 10, 3, 12)
    assert first == batches(Batcher(seed=3), 10, 3, 12)
    assert first != batches(Batcher(seed=4), 10, 3, 12)


@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (10, 5), (7, 2), (12, 4), (5, 4), (9, 1)])
def test_batcher_covers_each_sample_once_per_epoch(n, batch_size):
    epochs = 4
    stream = [i for b in batches(Batcher(seed=1), n, batch_size, epochs * n) for i in b]
    stream = stream[: epochs * n]
    assert all(len(b) == batch_size for b in batches(Batcher(seed=1), n, batch_size, 20))
    orders = [stream[e * n : (e + 1) * n] for e in range(epochs)]
    for order in orders:
        assert sorted(order) == list(range(n))
    assert len({tuple(order) for order in orders}) > 1  # reshuffled each epoch


@pytest.mark.parametrize("batch_size", [5, 8])
def test_batch_at_least_n_takes_everything(batch_size):
    batcher = Batcher(seed=0)
    for epoch in range(1, 4):
        assert batcher.next_indices(5, batch_size).tolist() == [0, 1, 2, 3, 4]
        assert batcher.epoch == epoch


def test_epoch_boundary_finishes_with_the_next_epochs_first_samples():
    batcher = Batcher(seed=7)
    perm0 = np.random.default_rng([7, 0]).permutation(10).tolist()
    perm1 = np.random.default_rng([7, 1]).permutation(10).tolist()
    assert batches(batcher, 10, 4, 2) == [perm0[:4], perm0[4:8]]
    assert (batcher.epoch, batcher.cursor) == (0, 8)
    assert batcher.next_indices(10, 4).tolist() == perm0[8:] + perm1[:2]
    assert (batcher.epoch, batcher.cursor) == (1, 2)
    assert batcher.next_indices(10, 4).tolist() == perm1[2:6]


@pytest.mark.parametrize("steps", [0, 2, 3, 5])
def test_batcher_resumes_from_its_position(steps):
    original = Batcher(seed=11)
    batches(original, 10, 4, steps)
    resumed = Batcher(seed=11, epoch=original.epoch, cursor=original.cursor)
    assert batches(resumed, 10, 4, 6) == batches(original, 10, 4, 6)


# --- metrics ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "y", "expected"),
    [
        ([[0.9], [0.2], [0.5], [0.49]], [[1.0], [0.0], [0.0], [1.0]], 0.5),  # threshold ½
        ([[0.9], [0.1]], [[1.0], [0.0]], 1.0),
        (
            [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]],
            [[0, 1, 0], [1, 0, 0], [0, 1, 0]],
            2 / 3,
        ),
        ([[0.1, 0.9], [0.8, 0.2]], [[1.0, 0.0], [0.0, 1.0]], 0.0),
    ],
)
def test_accuracy(output, y, expected):
    assert accuracy(np.array(output), np.array(y, dtype=float)) == pytest.approx(expected)


def test_evaluate_fields():
    net = tiny_net()
    trace = net.backward(X, Y)
    test_x, test_y = np.array([[0.5, 0.5]]), np.array([[0.0]])
    both_x, both_y = np.vstack([X, test_x]), np.vstack([Y, test_y])
    metrics = evaluate(net, 7, trace, both_x, both_y, len(X), classification=True)
    assert metrics.step == 7
    assert metrics.train_loss == pytest.approx(net.loss_value(X, Y), rel=1e-15)
    assert metrics.test_loss == pytest.approx(net.loss_value(test_x, test_y), rel=1e-15)
    assert metrics.train_accuracy == accuracy(net.forward(X).output, Y)
    assert metrics.test_accuracy == accuracy(net.forward(test_x).output, test_y)
    assert metrics.delta_norms == pytest.approx(
        [np.linalg.norm(layer.delta) / math.sqrt(2) for layer in trace.layers]
    )
    assert metrics.grad_norms == pytest.approx(
        [np.linalg.norm(layer.grad_weights) for layer in trace.layers]
    )
    assert len(metrics.delta_norms) == len(metrics.grad_norms) == 2


def test_evaluate_without_test_set_or_classes():
    net = tiny_net()
    metrics = evaluate(net, 0, net.backward(X, Y), X, Y, len(X), classification=False)
    assert metrics.test_loss is None
    assert metrics.train_accuracy is None and metrics.test_accuracy is None
    assert metrics.train_loss == pytest.approx(net.loss_value(X, Y), rel=1e-15)


# --- initialisers -----------------------------------------------------------------------------


def big_net() -> Network:
    net = Network([600, 400, 3], ["tanh", "sigmoid"], "mse")
    net.params[:] = 5.0  # initialize must overwrite everything, biases included
    return net


@pytest.mark.parametrize("scheme", list(INITIALIZERS))
def test_initializers_are_deterministic_and_zero_the_biases(scheme):
    a, b, c = big_net(), big_net(), big_net()
    for net, seed in ((a, 5), (b, 5), (c, 6)):
        initialize(net, scheme, seed)
    np.testing.assert_array_equal(a.params, b.params)
    assert np.array_equal(a.params, c.params) == (scheme == "zeros")
    assert [w.shape for w in a.weights] == [(400, 600), (3, 400)]
    assert a.biases is not None
    assert not any(bias.any() for bias in a.biases)


@pytest.mark.parametrize(
    ("scheme", "variance"),
    [
        ("xavier", 2 / (600 + 400)),
        ("he", 2 / 600),
        ("normal", 1.0),
        ("zeros", 0.0),
    ],
)
def test_initializer_variance_on_a_big_layer(scheme, variance):
    net = big_net()
    initialize(net, scheme, seed=0)
    w = net.weights[0]  # 240 000 draws: the sample variance is within ~0.3 % (1 σ)
    assert abs(w.mean()) <= 0.01 * math.sqrt(variance)
    assert w.var() == pytest.approx(variance, rel=0.02)
    if scheme == "zeros":
        assert not net.params.any()
