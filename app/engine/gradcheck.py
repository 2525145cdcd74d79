"""Numeric gradient check: central differences beside backprop, per layer.

For every parameter θ_i the fourth-order central difference

    [C(θ − 2h e_i) − 8 C(θ − h e_i) + 8 C(θ + h e_i) − C(θ + 2h e_i)] / 12h

approximates ∂C/∂θ_i with error O(h⁴) (the familiar two-point
(C(θ + h) − C(θ − h)) / 2h is O(h²), and float64 round-off caps it near 1e-7).
With h = 1e-3 a correct backprop agrees to ~1e-9 relative; a missing factor
shows up as errors near 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.activations import Activation, Array
from app.engine.network import Network

DEFAULT_STEP = 1e-3
PASS_THRESHOLD = 1e-6
# Below this both numbers are zero for practical purposes (e.g. a dead ReLU's weights).
ABSOLUTE_FLOOR = 1e-10
_STENCIL = ((-2.0, 1.0), (-1.0, -8.0), (1.0, 8.0), (2.0, -1.0))  # (offset in h, weight)


def relative_error(a: Array, b: Array) -> Array:
    """|a − b| / max(|a|, |b|, floor): 0 where both are ~0."""
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), ABSOLUTE_FLOOR)


def numeric_gradient(net: Network, x: Array, y: Array, h: float = DEFAULT_STEP) -> Array:
    """Central-difference ∂C/∂θ for every parameter, flat in ``params``' layout."""
    theta = net.params
    grad = np.empty_like(theta)
    for i in range(theta.size):
        saved = theta[i]
        total = 0.0
        for offset, weight in _STENCIL:
            theta[i] = saved + offset * h
            total += weight * net.loss_value(x, y)
        theta[i] = saved
        grad[i] = total / (12.0 * h)
    return grad


@dataclass
class LayerCheck:
    layer: int
    backprop_weights: Array
    numeric_weights: Array
    backprop_biases: Array | None
    numeric_biases: Array | None
    max_relative_error: float


@dataclass
class GradientCheck:
    layers: list[LayerCheck]
    max_relative_error: float
    step: float
    threshold: float

    @property
    def passed(self) -> bool:
        return self.max_relative_error <= self.threshold


class _WithoutDerivative(Activation):
    """σ with σ' dropped from backprop: the deliberate bug a class can inspect."""

    def __init__(self, inner: Activation) -> None:
        object.__setattr__(self, "name", inner.name)
        object.__setattr__(self, "formula", inner.formula)
        object.__setattr__(self, "derivative_formula", "1")
        object.__setattr__(self, "output_range", inner.output_range)
        object.__setattr__(self, "_inner", inner)

    def value(self, z: Array) -> Array:
        return self._inner.value(z)  # type: ignore[attr-defined]

    def derivative(self, z: Array, a: Array) -> Array:
        return np.ones_like(z)

    def vjp(self, z: Array, a: Array, g: Array) -> Array:
        return g


def gradient_check(
    net: Network,
    x: Array,
    y: Array,
    h: float = DEFAULT_STEP,
    threshold: float = PASS_THRESHOLD,
    drop_derivative_layer: int | None = None,
) -> GradientCheck:
    """Compare backprop with central differences for each layer l = 1 … L.

    With ``drop_derivative_layer = l`` the backprop side forgets σ_l' (the
    numeric side is untouched), to show what a wrong gradient looks like.
    """
    backprop_net = net
    if drop_derivative_layer is not None:
        backprop_net = net.copy()
        i = drop_derivative_layer - 1
        backprop_net.sigmas[i] = _WithoutDerivative(backprop_net.sigmas[i])
    analytic = backprop_net.backward(x, y).grad
    numeric = numeric_gradient(net.copy(), x, y, h)
    errors = relative_error(analytic, numeric)

    bw, bb = net.views(analytic)
    nw, nb = net.views(numeric)
    ew, eb = net.views(errors)
    layers = []
    for i in range(len(bw)):
        worst = float(ew[i].max(initial=0.0))
        if eb is not None:
            worst = max(worst, float(eb[i].max(initial=0.0)))
        layers.append(
            LayerCheck(
                i + 1,
                bw[i],
                nw[i],
                bb[i] if bb is not None else None,
                nb[i] if nb is not None else None,
                worst,
            )
        )
    worst_all = max(layer.max_relative_error for layer in layers)
    return GradientCheck(layers, worst_all, h, threshold)
