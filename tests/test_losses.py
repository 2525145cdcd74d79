"""Losses: hand-computed values, δ^L = J_σᵀ ∇_a C against its closed forms, extremes, targets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine.activations import ACTIVATIONS, Array, Softmax
from app.engine.errors import SpecError
from app.engine.losses import LOSSES
from app.engine.network import Network

LN3 = math.log(3.0)


def grad_a(loss: str, a: Array, y: Array) -> Array:
    """∇_a C_b written out from the contract's definitions."""
    if loss == "mse":
        return a - y
    if loss == "bce":
        return (a - y) / (a * (1.0 - a))
    return -y / a  # cross_entropy


def jacobian_form(loss: str, activation: str, z: Array, y: Array) -> Array:
    """δ^L = J_σ(z)ᵀ ∇_a C_b with the Jacobian built explicitly, B × n × n."""
    sigma = ACTIVATIONS[activation]
    a = sigma.value(z)
    if isinstance(sigma, Softmax):
        jac = sigma.jacobian(a)  # jac[b, i, j] = ∂a_i/∂z_j
    else:
        jac = np.stack([np.diag(row) for row in sigma.derivative(z, a)])
    return np.einsum("bij,bi->bj", jac, grad_a(loss, a, y))


def output_delta(loss: str, activation: str, z: Array, y: Array) -> Array:
    sigma = ACTIVATIONS[activation]
    return LOSSES[loss].output_delta(z, sigma.value(z), y, sigma)


def identity_network(loss: str, activation: str, n: int) -> Network:
    """[n, n] with W = I and b = 0, so z^L equals the input x."""
    net = Network([n, n], [activation], loss)
    net.weights[0][...] = np.eye(n)
    return net


def targets(loss: str, rng: np.random.Generator, batch: int, n: int) -> Array:
    if loss == "bce":
        return rng.uniform(size=(batch, n))
    if loss == "cross_entropy":
        return rng.dirichlet(np.ones(n), size=batch)
    return rng.normal(size=(batch, n))


# --- δ^L: closed forms against J_σᵀ ∇_a C -------------------------------------------------


def one_hot(batch: int, n: int, rng: np.random.Generator) -> Array:
    return np.eye(n)[rng.integers(n, size=batch)]


@pytest.mark.parametrize(
    ("loss", "activation", "make_y", "closed_form"),
    [
        pytest.param(
            "cross_entropy",
            "softmax",
            one_hot,
            lambda a, y: a - y,
            id="softmax+ce one-hot: a-y",
        ),
        pytest.param(
            "cross_entropy",
            "softmax",
            lambda b, n, rng: rng.uniform(0.0, 2.0, size=(b, n)),  # rows need not sum to 1
            lambda a, y: a * y.sum(axis=1, keepdims=True) - y,
            id="softmax+ce general: a*sum(y)-y",
        ),
        pytest.param(
            "bce",
            "sigmoid",
            lambda b, n, rng: rng.uniform(size=(b, n)),
            lambda a, y: a - y,
            id="sigmoid+bce: a-y",
        ),
        pytest.param(
            "mse",
            "linear",
            lambda b, n, rng: rng.normal(size=(b, n)),
            lambda a, y: a - y,
            id="linear+mse: a-y",
        ),
        pytest.param(
            "cross_entropy",
            "sigmoid",
            one_hot,
            lambda a, y: -y * (1.0 - a),
            id="sigmoid+ce: -y(1-a)",
        ),
    ],
)
def test_output_delta_closed_form_equals_jacobian_form(loss, activation, make_y, closed_form, rng):
    z = rng.normal(scale=2.0, size=(6, 4))
    y = make_y(6, 4, rng)
    a = ACTIVATIONS[activation].value(z)
    delta = output_delta(loss, activation, z, y)
    np.testing.assert_allclose(delta, closed_form(a, y), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(delta, jacobian_form(loss, activation, z, y), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("loss", "activation"),
    [
        (loss, out)
        for loss, spec in LOSSES.items()
        for out in (spec.output_activations or tuple(ACTIVATIONS))
    ],
)
def test_every_allowed_output_delta_is_the_jacobian_form(loss, activation, rng):
    z = rng.normal(scale=1.5, size=(5, 3))
    y = targets(loss, rng, 5, 3)
    delta = output_delta(loss, activation, z, y)
    np.testing.assert_allclose(delta, jacobian_form(loss, activation, z, y), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_grad_output_is_the_written_out_gradient(loss, rng):
    a = rng.uniform(0.05, 0.95, size=(4, 3))
    y = targets(loss, rng, 4, 3)
    np.testing.assert_allclose(LOSSES[loss].grad_output(a, y), grad_a(loss, a, y), rtol=1e-14)


# --- loss values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "activation", "z", "y", "expected"),
    [
        ("mse", "linear", [1.0, 2.0], [0.0, 0.0], 2.5),  # ½(1 + 4)
        ("mse", "linear", [3.0, -1.0], [1.0, 1.0], 4.0),  # ½(4 + 4)
        ("mse", "sigmoid", [0.0], [1.0], 0.125),  # ½(½ − 1)²
        ("bce", "sigmoid", [0.0], [1.0], math.log(2.0)),  # −ln ½
        ("bce", "sigmoid", [LN3], [1.0], math.log(4 / 3)),  # a = ¾
        ("bce", "sigmoid", [LN3], [0.25], -(0.25 * math.log(0.75) + 0.75 * math.log(0.25))),
        ("bce", "sigmoid", [0.0, LN3], [1.0, 0.0], math.log(2.0) + math.log(4.0)),  # Σ_j
        ("cross_entropy", "softmax", [0.0, 0.0, 0.0], [0.0, 1.0, 0.0], LN3),  # a = ⅓ each
        ("cross_entropy", "softmax", [0.0, LN3], [0.0, 1.0], math.log(4 / 3)),  # a = (¼, ¾)
        ("cross_entropy", "softmax", [0.0, LN3], [0.5, 0.5], 0.5 * math.log(4 * 4 / 3)),
        ("cross_entropy", "sigmoid", [0.0], [1.0], math.log(2.0)),
    ],
)
def test_loss_values_by_hand(loss, activation, z, y, expected):
    net = identity_network(loss, activation, len(z))
    trace = net.backward(np.array([z]), np.array([y]))
    assert trace.loss == pytest.approx(expected, rel=1e-13)
    assert trace.sample_losses.tolist() == pytest.approx([expected], rel=1e-13)


def test_batch_loss_is_the_mean_of_sample_losses():
    net = identity_network("mse", "linear", 2)
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    y = np.array([[0.0, 0.0], [1.0, 1.0]])
    trace = net.backward(x, y)
    assert trace.sample_losses.tolist() == [2.5, 4.0]
    assert trace.loss == 3.25


# --- extreme pre-activations: finite, right, and silent -----------------------------------


@pytest.mark.parametrize(
    ("loss", "activation", "z", "y", "expected_loss", "expected_delta"),
    [
        ("bce", "sigmoid", [-1000.0], [1.0], 1000.0, [-1.0]),
        ("bce", "sigmoid", [1000.0], [0.0], 1000.0, [1.0]),
        ("bce", "sigmoid", [1000.0], [1.0], 0.0, [0.0]),
        ("bce", "sigmoid", [-1000.0], [0.5], 500.0, [-0.5]),  # −½ ln σ(−1000)
        ("bce", "sigmoid", [1000.0, -1000.0], [0.0, 1.0], 2000.0, [1.0, -1.0]),
        ("cross_entropy", "softmax", [1000.0, -1000.0], [0.0, 1.0], 2000.0, [1.0, -1.0]),
        ("cross_entropy", "softmax", [1000.0, -1000.0], [1.0, 0.0], 0.0, [0.0, 0.0]),
        (
            "cross_entropy",
            "softmax",
            [-1000.0, 1000.0, 0.0],
            [0.5, 0.0, 0.5],
            1500.0,
            [-0.5, 1.0, -0.5],
        ),
        ("cross_entropy", "sigmoid", [-1000.0], [1.0], 1000.0, [-1.0]),
        ("mse", "sigmoid", [1000.0, -1000.0], [0.0, 1.0], 1.0, [0.0, 0.0]),  # saturated: σ' = 0
        ("mse", "softmax", [1000.0, -1000.0], [0.0, 1.0], 1.0, [0.0, 0.0]),
        ("mse", "tanh", [1000.0, -1000.0], [0.0, 1.0], 2.5, [0.0, 0.0]),
    ],
)
def test_extreme_inputs_give_the_right_finite_loss_and_delta(
    loss, activation, z, y, expected_loss, expected_delta
):
    net = identity_network(loss, activation, len(z))
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        trace = net.backward(np.array([z]), np.array([y]))
    assert trace.loss == pytest.approx(expected_loss, abs=1e-12)
    np.testing.assert_allclose(trace.layers[-1].delta, [expected_delta], atol=1e-12)
    assert np.all(np.isfinite(trace.grad))


# --- target validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "activation", "y", "loc", "words"),
    [
        ("bce", "sigmoid", [[0.5, 1.5]], "train.y", "[0, 1]"),
        ("bce", "sigmoid", [[0.5, 0.5], [-0.1, 0.0]], "train.y", "[0, 1]"),
        ("cross_entropy", "softmax", [[1.0, 0.0], [0.7, 0.2]], "train.y[1]", "sum to 1"),
        ("cross_entropy", "softmax", [[0.6, 0.6]], "train.y[0]", "1.2"),
        ("cross_entropy", "softmax", [[1.5, -0.5]], "train.y", "≥ 0"),
    ],
)
def test_invalid_targets_name_the_field(loss, activation, y, loc, words):
    net = Network([2, 2], [activation], loss)
    with pytest.raises(SpecError) as info:
        net.check_targets(np.array(y), "train.y")
    assert info.value.loc == loc
    assert words in info.value.message


@pytest.mark.parametrize(
    ("loss", "activation", "y"),
    [
        ("bce", "sigmoid", [[0.0, 1.0], [0.25, 0.75]]),
        ("cross_entropy", "softmax", [[1.0, 0.0], [0.3, 0.7]]),
        ("cross_entropy", "softmax", [[1.0 + 1e-9, 0.0]]),  # rounding is tolerated
        ("mse", "linear", [[-5.0, 7.0]]),
    ],
)
def test_valid_targets_pass(loss, activation, y):
    net = Network([2, 2], [activation], loss)
    np.testing.assert_array_equal(net.check_targets(np.array(y)), y)
