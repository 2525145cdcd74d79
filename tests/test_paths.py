"""Summing the chain rule over every path gives the δ recurrence's number, at exponential cost."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from app.engine.errors import SpecError
from app.engine.network import Network
from app.engine.paths import (
    cost_by_depth,
    dp_multiply_adds,
    path_count,
    path_multiply_adds,
    sum_over_paths,
)

# (widths, activations, loss); the output may be softmax, hidden layers are element-wise.
NETWORKS = [
    ([1, 1], ["square"], "mse"),
    ([2, 3, 1], ["tanh", "sigmoid"], "bce"),
    ([2, 3, 4, 2], ["tanh", "leaky_relu", "softmax"], "cross_entropy"),
    ([3, 2, 3, 2, 2], ["softplus", "sigmoid", "square", "linear"], "mse"),
    ([2, 4, 3], ["relu", "softmax"], "mse"),
]


def sample(loss: str, n_out: int, rng: np.random.Generator) -> np.ndarray:
    if loss == "cross_entropy":
        return rng.dirichlet(np.ones(n_out), size=1)
    if loss == "bce":
        return rng.uniform(size=(1, n_out))
    return rng.normal(size=(1, n_out))


def make(widths, activations, loss, rng, bias=True):
    net = Network(widths, activations, loss, bias)
    net.params[:] = rng.normal(scale=0.8, size=net.n_params)
    x = rng.normal(size=(1, widths[0]))
    return net, x, sample(loss, widths[-1], rng)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("widths", "activations", "loss"), NETWORKS)
def test_path_sum_equals_the_delta_recurrence_for_every_weight(
    widths, activations, loss, bias, rng
):
    net, x, y = make(widths, activations, loss, rng, bias)
    trace = net.backward(x, y)
    for l in range(1, len(widths)):
        for j in range(widths[l]):
            for k in range(widths[l - 1]):
                result = sum_over_paths(net, x, y, l, j, k)
                expected = trace.layers[l - 1].grad_weights[j, k]
                assert result.dp_gradient == expected
                assert result.path_gradient == pytest.approx(expected, rel=1e-10, abs=1e-14)
                assert (result.layer, result.row, result.column) == (l, j, k)
                assert result.paths == math.prod(widths[l + 1 :])


def test_path_gradient_is_not_trivially_zero(rng):
    net, x, y = make([2, 3, 4, 2], ["tanh", "leaky_relu", "softmax"], "cross_entropy", rng)
    result = sum_over_paths(net, x, y, 1, 0, 1)
    assert abs(result.path_gradient) > 1e-6
    assert result.paths == 8


@pytest.mark.parametrize(
    ("widths", "layer", "paths", "path_ops", "dp_ops"),
    [
        # 4 · 2 paths of 2·2 + 2 factors (σ₁', W², σ₂', W³, δ³, a⁰_k): 5 multiplications each.
        # δ¹ from δ³: (4·3 + 3) + (2·4 + 4) multiply-adds, then × a⁰_k.
        ([2, 3, 4, 2], 1, 8, 40, 28),
        ([2, 3, 4, 2], 2, 2, 6, 13),  # 2 paths × 3; (2·4 + 4) + 1
        ([2, 3, 4, 2], 3, 1, 1, 1),  # δ³ · a²_k
        ([3, 5, 5, 5, 1], 1, 25, 175, 2 * (5 * 5 + 5) + (1 * 5 + 5) + 1),
    ],
)
def test_cost_formulas(widths, layer, paths, path_ops, dp_ops):
    assert path_count(widths, layer) == paths
    assert path_multiply_adds(widths, layer) == path_ops
    assert dp_multiply_adds(widths, layer) == dp_ops


def test_cost_is_reported_with_the_result(rng):
    net, x, y = make([2, 3, 4, 2], ["tanh", "leaky_relu", "softmax"], "cross_entropy", rng)
    result = sum_over_paths(net, x, y, 1, 2, 0)
    assert (result.paths, result.path_multiply_adds, result.dp_multiply_adds) == (8, 40, 28)


def test_cost_by_depth_is_exponential_for_paths_and_linear_for_delta():
    rows = cost_by_depth(hidden_width=3, n_in=2, n_out=1, max_depth=8)
    assert [row["hidden_layers"] for row in rows] == list(range(9))
    assert [row["paths"] for row in rows] == [1, 1, 3, 9, 27, 81, 243, 729, 2187]
    for row in rows[1:]:
        h = row["hidden_layers"]
        assert row["path_multiply_adds"] == 3 ** (h - 1) * (2 * h + 1)
    dp = [row["dp_multiply_adds"] for row in rows]
    assert [b - a for a, b in itertools.pairwise(dp[1:])] == [3 * 3 + 3] * 7  # linear
    assert rows[-1]["path_multiply_adds"] > 100 * rows[-1]["dp_multiply_adds"]


def test_huge_path_counts_stay_exact():
    assert path_count([2] + [10] * 30 + [1], 1) == 10**29  # beyond int64, exact as int


# --- refusals -----------------------------------------------------------------------------


@pytest.fixture
def deep():
    net = Network([2, 4, 4, 4, 4], ["tanh", "tanh", "tanh", "linear"], "mse")
    net.params[:] = np.random.default_rng(0).normal(size=net.n_params)
    return net, np.array([[0.5, -0.5]]), np.array([[1.0, 0.0, -1.0, 0.5]])


def test_refuses_more_paths_than_the_limit(deep):
    net, x, y = deep
    assert sum_over_paths(net, x, y, 1, 0, 0, max_paths=64).paths == 64
    with pytest.raises(SpecError) as info:
        sum_over_paths(net, x, y, 1, 0, 0, max_paths=63)
    assert info.value.loc == "layer"
    assert "64 paths" in info.value.message and "63" in info.value.message
    assert sum_over_paths(net, x, y, 2, 0, 0, max_paths=63).paths == 16


@pytest.mark.parametrize(
    ("layer", "row", "column", "loc"),
    [
        (0, 0, 0, "layer"),
        (5, 0, 0, "layer"),
        (-1, 0, 0, "layer"),
        (1, 4, 0, "row"),
        (1, -1, 0, "row"),
        (1, 0, 2, "column"),
        (2, 0, 4, "column"),
        (4, 4, 0, "row"),  # W⁴ is 4 × 4
    ],
)
def test_refuses_weights_outside_the_network(deep, layer, row, column, loc):
    net, x, y = deep
    with pytest.raises(SpecError) as info:
        sum_over_paths(net, x, y, layer, row, column)
    assert info.value.loc == loc


def test_refuses_a_hidden_softmax_on_the_way_to_the_loss(rng):
    net, x, y = make([2, 3, 2], ["softmax", "linear"], "mse", rng)
    with pytest.raises(SpecError) as info:
        sum_over_paths(net, x, y, 1, 0, 0)
    assert info.value.loc == "network.activations[0]"
    assert "softmax" in info.value.message and "layer 1" in info.value.message
    # Above the softmax layer every path is element-wise again.
    result = sum_over_paths(net, x, y, 2, 1, 2)
    assert result.path_gradient == pytest.approx(result.dp_gradient, rel=1e-12)


@pytest.mark.parametrize(
    ("x", "y", "loc"),
    [
        ([[0.5, -0.5], [1.0, 1.0]], [[1.0, 0.0, 0.0, 0.0]] * 2, "x"),
        ([[0.5, -0.5]], [[1.0, 0.0, 0.0, 0.0]] * 2, "y"),
        ([[0.5, -0.5, 1.0]], [[1.0, 0.0, 0.0, 0.0]], "x"),
        ([[0.5, -0.5]], [[1.0]], "y"),
    ],
)
def test_refuses_anything_but_one_sample(deep, x, y, loc):
    net, _, _ = deep
    with pytest.raises(SpecError) as info:
        sum_over_paths(net, np.array(x), np.array(y), 1, 0, 0)
    assert info.value.loc == loc


# --- the largest paths ----------------------------------------------------------------------


@pytest.mark.parametrize("top", [1, 3, 64])
def test_top_paths_are_sorted_by_size_and_well_formed(deep, top):
    net, x, y = deep
    result = sum_over_paths(net, x, y, 1, 2, 1, top=top)
    sizes = [abs(p.contribution) for p in result.top_paths]
    assert len(result.top_paths) == top
    assert sizes == sorted(sizes, reverse=True)
    for path in result.top_paths:
        assert path.neurons[0] == 2  # starts at neuron j of layer l
        assert len(path.neurons) == 4  # i_1 … i_4
        assert all(0 <= i < n for i, n in zip(path.neurons, net.layers[1:], strict=True))
    if top == 64:  # every path: they are distinct and add up to the gradient
        assert len({tuple(p.neurons) for p in result.top_paths}) == 64
        total = math.fsum(p.contribution for p in result.top_paths)
        assert total == pytest.approx(result.path_gradient, rel=1e-12)
        assert total == pytest.approx(result.dp_gradient, rel=1e-10)


def test_a_path_term_is_the_product_along_it(rng):
    """One path written out: a⁰_k σ₁'(z¹_j) W²_{ij} δ²_i."""
    net, x, y = make([2, 3, 2], ["tanh", "linear"], "mse", rng)
    trace = net.backward(x, y)
    result = sum_over_paths(net, x, y, 1, 1, 0, top=2)
    first, second = trace.layers
    for path in result.top_paths:
        j, i = path.neurons
        expected = x[0, 0] * (1 - first.a[0, j] ** 2) * net.weights[1][i, j] * second.delta[0, i]
        assert path.contribution == pytest.approx(expected, rel=1e-14)
