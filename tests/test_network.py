"""Network: validation that names field, layer and shape; the flat params layout; both passes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.engine.errors import SpecError
from app.engine.network import Network

# A valid [2, 3, 1] network: W¹ is 3 × 2, W² is 1 × 3.
W1 = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
W2 = [[1.0, -1.0, 0.5]]
B1 = [0.0, 0.1, -0.1]
B2 = [0.2]
SPEC: dict[str, Any] = {
    "layers": [2, 3, 1],
    "activations": ["tanh", "sigmoid"],
    "loss": "mse",
    "weights": [W1, W2],
    "biases": [B1, B2],
}


def build(**changes: Any) -> Network:
    return Network.from_arrays(**{**SPEC, **changes})


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "loc", "words"),
    [
        pytest.param(
            {"weights": [W1, [[1.0], [2.0], [3.0]]]},
            "network.weights[1]",
            ["layer 2", "1 × 3", "n_2 × n_1", "got 3 × 1"],
            id="W2 transposed",
        ),
        pytest.param(
            {"weights": [[[0.1, 0.2], [0.3, 0.4]], W2]},
            "network.weights[0]",
            ["layer 1", "3 × 2", "n_1 × n_0", "got 2 × 2"],
            id="W1 missing a row",
        ),
        pytest.param(
            {"weights": [W1, 1.0]},
            "network.weights[1]",
            ["layer 2", "1 × 3", "a scalar"],
            id="W2 a scalar",
        ),
        pytest.param(
            {"biases": [[0.0, 0.1], B2]},
            "network.biases[0]",
            ["layer 1", "shape 3", "n_1", "got 2"],
            id="b1 too short",
        ),
        pytest.param(
            {"weights": [W1, [[1.0, 2.0], [3.0]]]},
            "network.weights[1]",
            ["layer 2", "rectangular"],
            id="ragged",
        ),
        pytest.param(
            {"weights": [W1, [["a", "b", "c"]]]},
            "network.weights[1]",
            ["layer 2", "numbers"],
            id="not numbers",
        ),
        pytest.param(
            {"weights": [W1]},
            "network.weights",
            ["expected 2 matrices"],
            id="one weight matrix too few",
        ),
        pytest.param(
            {"biases": [B1, B2, B2]},
            "network.biases",
            ["expected 2 vectors"],
            id="one bias vector too many",
        ),
        pytest.param({"biases": None}, "network.biases", ["required"], id="biases missing"),
        pytest.param(
            {"weights": [[[0.1, np.nan], [0.3, 0.4], [0.5, 0.6]], W2]},
            "network.weights[0]",
            ["layer 1", "finite"],
            id="NaN weight",
        ),
        pytest.param(
            {"biases": [B1, [np.inf]]},
            "network.biases[1]",
            ["layer 2", "finite"],
            id="infinite bias",
        ),
        pytest.param(
            {"weights": [W1, [[1.0, 10**400, 0.5]]]},
            "network.weights[1]",
            ["layer 2", "finite"],
            id="integer beyond float64",
        ),
        pytest.param(
            {"activations": ["tanh", "sigmod"]},
            "network.activations[1]",
            ["'sigmod'", "layer 2", "sigmoid"],
            id="unknown activation",
        ),
        pytest.param(
            {"activations": ["tanh"]},
            "network.activations",
            ["expected 2", "got 1"],
            id="too few activations",
        ),
        pytest.param(
            {"loss": "hinge"},
            "network.loss",
            ["'hinge'", "mse", "bce", "cross_entropy"],
            id="unknown loss",
        ),
        pytest.param(
            {"loss": "bce", "activations": ["tanh", "tanh"]},
            "network.activations[1]",
            ["'bce'", "layer 2", "sigmoid", "'tanh'"],
            id="bce with a tanh output",
        ),
        pytest.param(
            {"loss": "cross_entropy", "activations": ["tanh", "softmax"]},
            "network.layers",
            ["softmax", "2 neurons"],
            id="softmax over a single output",
        ),
        pytest.param(
            {"bias": False},
            "network.biases",
            ["omitted"],
            id="bias false with biases",
        ),
        pytest.param(
            {"layers": [2, 0, 1]},
            "network.layers[1]",
            ["≥ 1", "got 0"],
            id="zero width",
        ),
        pytest.param(
            {"layers": [2], "activations": []},
            "network.layers",
            ["at least 2"],
            id="no output layer",
        ),
    ],
)
def test_from_arrays_errors_name_field_layer_and_shape(changes, loc, words):
    with pytest.raises(SpecError) as info:
        build(**changes)
    assert info.value.loc == loc
    for word in words:
        assert word in info.value.message
    assert str(info.value) == f"{loc}: {info.value.message}"


def test_from_arrays_without_bias():
    net = build(bias=False, biases=None)
    assert net.biases is None
    assert net.n_params == 6 + 3
    np.testing.assert_array_equal(net.weights[1], W2)


def test_params_of_the_wrong_length_are_refused():
    with pytest.raises(SpecError) as info:
        Network([2, 3, 1], ["tanh", "sigmoid"], "mse", params=np.zeros(12))
    assert info.value.loc == "network.params"
    assert "13" in info.value.message


@pytest.mark.parametrize(
    ("method", "value", "words"),
    [
        ("check_input", [[1.0, 2.0, 3.0]], ["B × 2", "n_0 = 2"]),
        ("check_input", [1.0, 2.0], ["B × 2"]),
        ("check_input", [[1.0, np.inf]], ["finite"]),
        ("check_input", [[1.0, 2.0], [3.0]], ["rectangular"]),
        ("check_targets", [[1.0, 2.0]], ["B × 1", "n_L = 1"]),
        ("check_targets", [[np.nan]], ["finite"]),
        ("check_targets", [[1.0], [2.0, 3.0]], ["rectangular"]),
    ],
)
def test_input_and_target_errors_name_the_field(method, value, words):
    net = build()
    with pytest.raises(SpecError) as info:
        getattr(net, method)(value, "dataset.data")
    assert info.value.loc == "dataset.data"
    for word in words:
        assert word in info.value.message


# --- the flat parameter vector --------------------------------------------------------------


@pytest.fixture
def net() -> Network:
    return build()


def test_params_layout_is_w1_b1_w2_b2(net):
    expected = [v for block in (W1, [B1], W2, [B2]) for row in block for v in row]
    assert net.params.tolist() == expected
    assert net.n_params == 13
    assert net.weight_mask.tolist() == [True] * 6 + [False] * 3 + [True] * 3 + [False]


def test_weights_and_biases_are_views_into_params(net):
    assert net.biases is not None
    net.params[1] = 7.0  # W¹[0, 1]
    net.params[7] = 8.0  # b¹[1]
    net.params[12] = 9.0  # b²[0]
    assert net.weights[0][0, 1] == 7.0
    assert net.biases[0][1] == 8.0
    assert net.biases[1][0] == 9.0
    net.weights[1][0, 2] = -4.0
    assert net.params[11] == -4.0
    for view in (*net.weights, *net.biases):
        assert np.shares_memory(view, net.params)


def test_gradient_uses_the_same_layout(net):
    trace = net.backward(np.array([[0.5, -1.0]]), np.array([[1.0]]))
    grad_w, grad_b = net.views(trace.grad)
    assert grad_b is not None
    for layer, gw, gb in zip(trace.layers, grad_w, grad_b, strict=True):
        assert np.shares_memory(layer.grad_weights, trace.grad)
        np.testing.assert_array_equal(layer.grad_weights, gw)
        assert layer.grad_biases is not None
        np.testing.assert_array_equal(layer.grad_biases, gb)


def test_copy_is_independent(net):
    twin = net.copy()
    np.testing.assert_array_equal(twin.params, net.params)
    twin.params[0] = 123.0
    twin.weights[1][0, 0] = 456.0
    assert net.params[0] == 0.1
    assert net.weights[1][0, 0] == 1.0


@pytest.mark.parametrize(
    ("bias", "index", "name"),
    [
        (True, 0, ("W", 1, 0, 0)),
        (True, 1, ("W", 1, 0, 1)),
        (True, 2, ("W", 1, 1, 0)),
        (True, 5, ("W", 1, 2, 1)),
        (True, 6, ("b", 1, 0, 0)),
        (True, 8, ("b", 1, 2, 0)),
        (True, 9, ("W", 2, 0, 0)),
        (True, 11, ("W", 2, 0, 2)),
        (True, 12, ("b", 2, 0, 0)),
        (False, 5, ("W", 1, 2, 1)),
        (False, 6, ("W", 2, 0, 0)),
        (False, 8, ("W", 2, 0, 2)),
    ],
)
def test_param_name(bias, index, name):
    assert Network([2, 3, 1], ["tanh", "sigmoid"], "mse", bias).param_name(index) == name


@pytest.mark.parametrize(("bias", "index"), [(True, 13), (False, 9)])
def test_param_name_past_the_end(bias, index):
    with pytest.raises(IndexError):
        Network([2, 3, 1], ["tanh", "sigmoid"], "mse", bias).param_name(index)


# --- the two passes -------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [1, 4])
def test_forward_and_trace_shapes(bias, batch, rng):
    widths = [3, 5, 4, 2]
    net = Network(widths, ["relu", "tanh", "softmax"], "cross_entropy", bias)
    net.params[:] = rng.normal(size=net.n_params)
    x = rng.normal(size=(batch, 3))
    fwd = net.forward(x)
    assert [z.shape for z in fwd.zs] == [(batch, n) for n in widths[1:]]
    assert [a.shape for a in fwd.activations] == [(batch, n) for n in widths[1:]]
    assert fwd.output is fwd.activations[-1]
    trace = net.backward(x, np.eye(2)[np.arange(batch) % 2])
    assert trace.sample_losses.shape == (batch,)
    assert trace.grad.shape == (net.n_params,)
    for l, layer in enumerate(trace.layers, start=1):
        assert layer.delta.shape == (batch, widths[l])
        assert layer.grad_weights.shape == (widths[l], widths[l - 1])
        if bias:
            assert layer.grad_biases is not None
            assert layer.grad_biases.shape == (widths[l],)
        else:
            assert layer.grad_biases is None


def test_tiny_network_by_hand():
    """[2, 2, 1], relu then linear, mse, two samples; every number worked out below."""
    net = Network.from_arrays(
        [2, 2, 1],
        ["relu", "linear"],
        "mse",
        weights=[[[1.0, -1.0], [0.5, 2.0]], [[2.0, -1.0]]],
        biases=[[0.0, -1.0], [0.5]],
    )
    x = np.array([[1.0, 2.0], [0.0, 1.0]])
    y = np.array([[1.0], [0.5]])
    trace = net.backward(x, y)
    first, second = trace.layers

    # Sample 1: z¹ = (1 − 2 + 0, 0.5 + 4 − 1) = (−1, 3.5), a¹ = (0, 3.5)
    #           z² = 2·0 − 3.5 + 0.5 = −3,  C₁ = ½(−3 − 1)² = 8
    # Sample 2: z¹ = (0 − 1 + 0, 0 + 2 − 1) = (−1, 1), a¹ = (0, 1)
    #           z² = 0 − 1 + 0.5 = −0.5,   C₂ = ½(−0.5 − 0.5)² = 0.5
    assert first.z.tolist() == [[-1.0, 3.5], [-1.0, 1.0]]
    assert first.a.tolist() == [[0.0, 3.5], [0.0, 1.0]]
    assert second.z.tolist() == [[-3.0], [-0.5]]
    assert second.a.tolist() == [[-3.0], [-0.5]]
    assert trace.sample_losses.tolist() == [8.0, 0.5]
    assert trace.loss == 4.25

    # δ² = a² − y = (−4, −1); δ¹ = (W²)ᵀ δ² ⊙ relu'(z¹) = (2δ², −δ²) ⊙ (0, 1)
    assert second.delta.tolist() == [[-4.0], [-1.0]]
    assert first.delta.tolist() == [[0.0, 4.0], [0.0, 1.0]]

    # ∂C/∂W² = ½[(−4)(0, 3.5) + (−1)(0, 1)] = (0, −7.5); ∂C/∂b² = ½(−4 − 1)
    assert second.grad_weights.tolist() == [[0.0, -7.5]]
    assert second.grad_biases is not None and second.grad_biases.tolist() == [-2.5]
    # ∂C/∂W¹ = ½[(0, 4)ᵀ(1, 2) + (0, 1)ᵀ(0, 1)] = [[0, 0], [2, 4.5]]; ∂C/∂b¹ = ½(0, 5)
    assert first.grad_weights.tolist() == [[0.0, 0.0], [2.0, 4.5]]
    assert first.grad_biases is not None and first.grad_biases.tolist() == [0.0, 2.5]

    assert trace.grad.tolist() == [0.0, 0.0, 2.0, 4.5, 0.0, 2.5, 0.0, -7.5, -2.5]
    assert net.loss_value(x, y) == 4.25
