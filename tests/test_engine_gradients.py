"""Backprop against central differences: every activation × loss × depth × bias."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.activations import ACTIVATIONS
from app.engine.gradcheck import gradient_check, numeric_gradient
from app.engine.losses import LOSSES
from app.engine.network import Network

# Every loss with every output activation it accepts; mse accepts all of them.
LOSS_OUTPUTS = [
    (loss, out)
    for loss, spec in LOSSES.items()
    for out in (spec.output_activations or tuple(ACTIVATIONS))
]


def _targets(loss: str, rng: np.random.Generator, batch: int, width: int) -> np.ndarray:
    if loss == "bce":
        return rng.uniform(size=(batch, width))
    if loss == "cross_entropy":
        return rng.dirichlet(np.ones(width), size=batch)
    return rng.normal(size=(batch, width))


def _network(hidden: str, out: str, loss: str, depth: int, bias: bool, rng) -> Network:
    widths = [3] + [4] * (depth - 1) + [2]
    net = Network(widths, [hidden] * (depth - 1) + [out], loss, bias)
    net.params[:] = rng.normal(scale=0.7, size=net.n_params)
    return net


def _well_conditioned_input(
    net: Network, y: np.ndarray, rng: np.random.Generator, kink_margin: float
) -> np.ndarray:
    """Inputs (redrawing the weights if need be) where a finite difference can be trusted.

    Every z is far from relu's kink at 0, every layer has some z > 0 (a relu
    layer is not dead), no z is huge, and no layer's gradient has vanished
    below the round-off of C/h.
    """
    kinked = [name in ("relu", "leaky_relu") for name in net.activation_names]
    for _ in range(2000):
        x = rng.normal(size=(4, net.layers[0]))
        zs = net.forward(x).zs
        if all(
            np.abs(z).max() < 8 and (not kink or (np.abs(z).min() > kink_margin and z.max() > 0.1))
            for z, kink in zip(zs, kinked, strict=True)
        ):
            grads = net.backward(x, y).layers
            if all(np.abs(layer.grad_weights).max() > 1e-3 for layer in grads):
                return x
        net.params[:] = rng.normal(scale=rng.uniform(0.3, 1.2), size=net.n_params)
    raise AssertionError("no well-conditioned input found")


# (hidden activation, loss, output activation, depth); depth 1 has no hidden layer.
CASES = [(out, loss, out, 1) for loss, out in LOSS_OUTPUTS] + [
    (hidden, loss, out, depth)
    for hidden in ACTIVATIONS
    for loss, out in LOSS_OUTPUTS
    for depth in (2, 3, 4, 5)
]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("hidden,loss,out,depth", CASES)
def test_backprop_equals_central_differences(hidden, loss, out, depth, bias, rng):
    net = _network(hidden, out, loss, depth, bias, rng)
    # square makes C a polynomial of degree up to 2^depth in W: its high derivatives
    # are large, so the stencil needs a smaller step to stay accurate.
    h = 1e-4 if "square" in (hidden, out) else 1e-3
    y = _targets(loss, rng, 4, 2)
    x = _well_conditioned_input(net, y, rng, kink_margin=50 * h)
    backprop = net.backward(x, y).grad
    numeric = numeric_gradient(net, x, y, h=h)
    scale = np.abs(backprop).max()
    assert scale > 0
    # Norm-wise relative error: the largest disagreement against the largest component.
    assert np.abs(backprop - numeric).max() <= 1e-7 * scale


def test_gradient_check_reports_every_layer_and_passes(rng):
    net = _network("tanh", "sigmoid", "bce", 3, True, rng)
    x, y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    check = gradient_check(net, x, y)
    assert [layer.layer for layer in check.layers] == [1, 2, 3]
    assert check.passed and check.max_relative_error < 1e-7
    for layer, trace_layer in zip(check.layers, net.backward(x, y).layers, strict=True):
        np.testing.assert_array_equal(layer.backprop_weights, trace_layer.grad_weights)
        assert layer.numeric_weights.shape == trace_layer.grad_weights.shape


def test_dropping_a_derivative_fails_the_check_in_that_layer_and_below(rng):
    net = _network("tanh", "sigmoid", "bce", 3, True, rng)
    x, y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    check = gradient_check(net, x, y, drop_derivative_layer=2)
    errors = [layer.max_relative_error for layer in check.layers]
    assert not check.passed
    assert errors[0] > 1e-2 and errors[1] > 1e-2  # δ² and everything below it are wrong
    assert errors[2] < 1e-7  # the output layer does not use σ₂'
    # The bug lives in the check only: the network's own backprop is untouched.
    assert gradient_check(net, x, y).passed
