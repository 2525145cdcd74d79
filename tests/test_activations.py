"""Activations: σ' against central differences, softmax's Jacobian, kinks and extremes."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.activations import ACTIVATIONS, LEAKY_SLOPE, Softmax

ELEMENTWISE = [name for name, act in ACTIVATIONS.items() if act.elementwise]


def _softmax() -> Softmax:
    act = ACTIVATIONS["softmax"]
    assert isinstance(act, Softmax)
    return act


SOFTMAX = _softmax()

# Twelve points in [−3, 3], none at relu's kink z = 0.
Z = np.linspace(-3.0, 3.0, 12).reshape(3, 4)


def test_names_are_the_contracts():
    assert set(ACTIVATIONS) == {
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "linear",
        "softplus",
        "square",
        "softmax",
    }
    assert [name for name in ACTIVATIONS if name != "softmax"] == ELEMENTWISE
    for name, act in ACTIVATIONS.items():
        assert act.name == name and act.formula and act.derivative_formula


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_difference(name):
    act = ACTIVATIONS[name]
    h = 1e-6
    numeric = (act.value(Z + h) - act.value(Z - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(Z, act.value(Z)), numeric, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_vjp_is_g_times_derivative(name, rng):
    act = ACTIVATIONS[name]
    g = rng.normal(size=Z.shape)
    a = act.value(Z)
    np.testing.assert_allclose(act.vjp(Z, a, g), g * act.derivative(Z, a), rtol=1e-15)


@pytest.mark.parametrize(
    ("name", "z", "value"),
    [
        ("sigmoid", [0.0, np.log(3.0)], [0.5, 0.75]),
        ("tanh", [0.0, np.log(2.0)], [0.0, 0.6]),  # (4 − 1) / (4 + 1)
        ("relu", [-2.0, 0.0, 3.0], [0.0, 0.0, 3.0]),
        ("leaky_relu", [-2.0, 0.0, 3.0], [-0.02, 0.0, 3.0]),
        ("linear", [-2.0, 3.0], [-2.0, 3.0]),
        ("softplus", [0.0, np.log(3.0)], [np.log(2.0), np.log(4.0)]),
        ("square", [-3.0, 0.5], [9.0, 0.25]),
        ("softmax", [0.0, np.log(3.0)], [0.25, 0.75]),
    ],
)
def test_values_by_hand(name, z, value):
    np.testing.assert_allclose(ACTIVATIONS[name].value(np.array([z])), [value], rtol=1e-14)


def test_softmax_jacobian_matches_central_difference(rng):
    z = rng.normal(size=(2, 4))
    h = 1e-6
    numeric = np.empty((2, 4, 4))
    for j in range(4):
        step = np.zeros(4)
        step[j] = h
        numeric[:, :, j] = (SOFTMAX.value(z + step) - SOFTMAX.value(z - step)) / (2 * h)
    np.testing.assert_allclose(SOFTMAX.jacobian(SOFTMAX.value(z)), numeric, atol=1e-9)


def test_softmax_vjp_is_jacobian_transpose_times_g(rng):
    z = rng.normal(scale=2.0, size=(5, 4))
    g = rng.normal(size=(5, 4))
    a = SOFTMAX.value(z)
    expected = np.einsum("bij,bi->bj", SOFTMAX.jacobian(a), g)  # (Jᵀ g)_j = Σ_i J_ij g_i
    np.testing.assert_allclose(SOFTMAX.vjp(z, a, g), expected, rtol=1e-12, atol=1e-15)


def test_softmax_rows_sum_to_one_and_ignore_a_shift(rng):
    z = rng.normal(scale=3.0, size=(4, 5))
    a = SOFTMAX.value(z)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(SOFTMAX.value(z + 100.0), a, rtol=1e-12)


@pytest.mark.parametrize(
    ("name", "z", "derivative"),
    [
        ("relu", [0.0], [0.0]),  # exactly 0 at the kink, as the contract fixes
        ("relu", [-1e-300, 1e-300], [0.0, 1.0]),
        ("relu", [-5.0, 5.0], [0.0, 1.0]),
        ("leaky_relu", [-5.0, -1e-300], [LEAKY_SLOPE, LEAKY_SLOPE]),
        ("leaky_relu", [1e-300, 5.0], [1.0, 1.0]),
    ],
)
def test_relu_family_slopes(name, z, derivative):
    act = ACTIVATIONS[name]
    zs = np.array([z])
    assert act.derivative(zs, act.value(zs)).tolist() == [derivative]


def test_leaky_slope_is_one_hundredth():
    assert LEAKY_SLOPE == 0.01
    assert ACTIVATIONS["leaky_relu"].value(np.array([[-100.0]])).tolist() == [[-1.0]]


@pytest.mark.parametrize(
    ("name", "z", "value", "derivative"),
    [
        ("sigmoid", [1000.0, -1000.0], [1.0, 0.0], [0.0, 0.0]),
        ("tanh", [1000.0, -1000.0], [1.0, -1.0], [0.0, 0.0]),
        ("softplus", [1000.0, -1000.0], [1000.0, 0.0], [1.0, 0.0]),
        ("softmax", [1000.0, -1000.0], [1.0, 0.0], [0.0, 0.0]),
    ],
)
def test_extreme_inputs_are_finite_and_silent(name, z, value, derivative):
    act = ACTIVATIONS[name]
    zs = np.array([z])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        a = act.value(zs)
        d = act.derivative(zs, a)
    assert a.tolist() == [value]
    assert d.tolist() == [derivative]
