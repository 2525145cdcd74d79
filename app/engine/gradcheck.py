"""Numeric gradient check: central differences beside backprop, parameter by parameter.

The numeric side. For every parameter θ_i the fourth-order central difference

    D(h) = [C(θ − 2h e_i) − 8 C(θ − h e_i) + 8 C(θ + h e_i) − C(θ + 2h e_i)] / 12h

approximates ∂C/∂θ_i with a truncation error O(h⁴). Two more evaluations, at θ ± 4h e_i,
give D(2h); since D's truncation error grows 16× when h doubles, |D(h) − D(2h)| is about
15 times D(h)'s truncation error (Richardson). The float64 rounding of each C is about ε
(= 2.2e-16) times the size of the terms it sums — at least ~1, as targets and outputs
are — which the stencil turns into about ε max(1, |C|)/h in D(h).

The comparison. With b the backprop value and n = D(h):

    error_i     = |b − n| / s_i,   s_i = max(|b|, |n|, ρ G)
    tolerance_i = r + (|D(h) − D(2h)| + R ε max(1, max_k |C_k|) / h) / s_i

G is the largest |b| or |n| over all parameters, so a gradient that is tiny beside the
others is judged against the size of the gradients (ρ = 1e-3), and nothing is ever divided
by an exactly-zero gradient (if G = 0 every value is 0 and the error is 0). r = 1e-6 is
the relative agreement asked of a correct backprop; the second term is what the step h
itself can explain (truncation, and rounding with a safety factor R = 100). A parameter
passes when error_i ≤ tolerance_i.

Kinks. relu and leaky_relu have a kink at z = 0, where C has no derivative and a
difference across it is not an estimate of anything. Each of the six evaluations of θ_i
records the z of every relu-family layer; if some z that θ_i moves comes within the
perturbation's reach of 0 — |z₀| ≤ max_k |z_k − z₀|, which includes every change of sign
— the parameter's verdict is ``"kink"``: neither pass nor fail. Its numbers are reported,
but the summary's ``passed`` counts only the parameters that were checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from app.engine.activations import Activation, Array
from app.engine.network import Network

DEFAULT_STEP = 1e-3
PASS_THRESHOLD = 1e-6  # r: relative agreement asked of a correct backprop
GRADIENT_FLOOR = 1e-3  # ρ: the error of a gradient below ρ G is measured against ρ G
ROUNDING_SAFETY = 100.0  # R: rounding in C is a few ε|C|; the forward pass adds some more
KINK_ACTIVATIONS = frozenset({"relu", "leaky_relu"})
# Offsets (in h) of the evaluations: ±h, ±2h for D(h), and ±4h for D(2h).
_OFFSETS = (-4.0, -2.0, -1.0, 1.0, 2.0, 4.0)
_EPS = float(np.finfo(np.float64).eps)

Verdict = Literal["pass", "fail", "kink"]


@dataclass(frozen=True, slots=True)
class ParameterCheck:
    """One parameter's comparison: W^l_{jk} (``kind`` "W") or b^l_j (``kind`` "b", column 0)."""

    kind: str
    layer: int
    row: int
    column: int
    backprop: float
    numeric: float
    error: float
    tolerance: float
    verdict: Verdict

    @property
    def name(self) -> str:
        """Plain-text name in the book's notation: W^l_{jk} or b^l_j."""
        if self.kind == "W":
            return f"W^{self.layer}_{{{self.row},{self.column}}}"
        return f"b^{self.layer}_{{{self.row}}}"


@dataclass(slots=True)
class NumericGradient:
    """D(h) per parameter, with what the comparison needs beside it (params' layout)."""

    value: Array  # D(h)
    step_error: Array  # |D(h) − D(2h)| + R ε max_k |C_k| / h
    kink: Array  # bool: a relu-family z came within the perturbation's reach of 0


@dataclass
class LayerCheck:
    layer: int
    backprop_weights: Array
    numeric_weights: Array
    backprop_biases: Array | None
    numeric_biases: Array | None
    max_relative_error: float  # the largest error of the layer's checked (non-kink) parameters
    parameters: list[ParameterCheck]  # W^l row by row, then b^l
    worst: int  # index in ``parameters`` of the one that decides the layer's verdict

    @property
    def passed(self) -> bool:
        return all(p.verdict != "fail" for p in self.parameters)


@dataclass
class GradientCheck:
    layers: list[LayerCheck]
    max_relative_error: float  # over checked parameters
    step: float
    threshold: float  # r, the relative part of every tolerance
    gradient_scale: float  # G

    @property
    def parameters(self) -> list[ParameterCheck]:
        return [p for layer in self.layers for p in layer.parameters]

    def count(self, verdict: Verdict) -> int:
        return sum(p.verdict == verdict for p in self.parameters)

    @property
    def passed(self) -> bool:
        """No checked parameter failed (kinks are neither pass nor fail)."""
        return all(layer.passed for layer in self.layers)


def _evaluate(net: Network, x: Array, y: Array, kinked: list[int]) -> tuple[float, list[Array]]:
    """C and the z of each relu-family layer (indices ``kinked``), from one forward pass."""
    fwd = net.forward(x)
    loss = float(net.loss.per_sample(fwd.zs[-1], fwd.output, y, net.sigmas[-1]).mean())
    return loss, [fwd.zs[i] for i in kinked]


def numeric_gradient_details(
    net: Network, x: Array, y: Array, h: float = DEFAULT_STEP
) -> NumericGradient:
    """D(h) for every parameter, its step error and whether it sits at a kink (module doc)."""
    theta = net.params
    kinked = [i for i, name in enumerate(net.activation_names) if name in KINK_ACTIVATIONS]
    c0, z0 = _evaluate(net, x, y, kinked)
    value = np.empty_like(theta)
    step_error = np.empty_like(theta)
    kink = np.zeros(theta.size, dtype=bool)
    for i in range(theta.size):
        saved = theta[i]
        c: dict[float, float] = {}
        reach = [np.zeros_like(z) for z in z0]
        for offset in _OFFSETS:
            theta[i] = saved + offset * h
            c[offset], zs = _evaluate(net, x, y, kinked)
            for r, z, base in zip(reach, zs, z0, strict=True):
                np.maximum(r, np.abs(z - base), out=r)
        theta[i] = saved
        # Differences first: C's that agree cancel exactly (a parameter that changes nothing
        # gets exactly 0), and no large multiple of C is rounded before they do.
        d_h = (8.0 * (c[1.0] - c[-1.0]) - (c[2.0] - c[-2.0])) / (12.0 * h)
        d_2h = (8.0 * (c[2.0] - c[-2.0]) - (c[4.0] - c[-4.0])) / (24.0 * h)
        loudest = max(1.0, abs(c0), *(abs(v) for v in c.values()))
        value[i] = d_h
        step_error[i] = abs(d_h - d_2h) + ROUNDING_SAFETY * _EPS * loudest / h
        # Every z that θ_i moves, and that comes within that move of 0, is a kink crossed
        # or nearly crossed (a change of sign gives |z₀| ≤ |z_k − z₀| too).
        kink[i] = any(
            bool(np.any((r > 0) & (np.abs(base) <= r))) for r, base in zip(reach, z0, strict=True)
        )
    return NumericGradient(value, step_error, kink)


def numeric_gradient(net: Network, x: Array, y: Array, h: float = DEFAULT_STEP) -> Array:
    """Central-difference ∂C/∂θ (D(h) of the module doc) for every parameter, flat in
    ``params``' layout."""
    return numeric_gradient_details(net, x, y, h).value


def compare(
    backprop: Array,
    numeric: NumericGradient,
    threshold: float = PASS_THRESHOLD,
) -> tuple[Array, Array, list[Verdict], float]:
    """Per parameter: error, tolerance and verdict (the module doc's comparison), and G."""
    b, n = backprop, numeric.value
    size = np.maximum(np.abs(b), np.abs(n))
    finite = np.isfinite(size)
    scale = float(size[finite].max(initial=0.0))
    s = np.maximum(size, GRADIENT_FLOOR * scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        # s = 0 only where b = n = 0 (then G = 0 too): no error, and no division by 0.
        error = np.where(s > 0, np.abs(b - n) / np.where(s > 0, s, 1.0), 0.0)
        tolerance = threshold + np.where(s > 0, numeric.step_error / np.where(s > 0, s, 1.0), 0.0)
    error = np.where(np.isfinite(b) & np.isfinite(n), error, np.inf)
    verdicts: list[Verdict] = [
        "kink" if k else ("pass" if e <= t else "fail")
        for k, e, t in zip(numeric.kink.tolist(), error.tolist(), tolerance.tolist(), strict=True)
    ]
    return error, tolerance, verdicts, scale


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


def _worst(params: list[ParameterCheck]) -> int:
    """The parameter that decides a layer's verdict: the checked one with the largest
    error / tolerance (a failure if there is one), or the first kink if none was checked."""
    checked = [i for i, p in enumerate(params) if p.verdict != "kink"]
    if not checked:
        return 0
    return max(checked, key=lambda i: params[i].error / params[i].tolerance)


def gradient_check(
    net: Network,
    x: Array,
    y: Array,
    h: float = DEFAULT_STEP,
    threshold: float = PASS_THRESHOLD,
    drop_derivative_layer: int | None = None,
) -> GradientCheck:
    """Compare backprop with central differences for every parameter of l = 1 … L.

    With ``drop_derivative_layer = l`` the backprop side forgets σ_l' (the
    numeric side is untouched), to show what a wrong gradient looks like.
    """
    backprop_net = net
    if drop_derivative_layer is not None:
        backprop_net = net.copy()
        i = drop_derivative_layer - 1
        backprop_net.sigmas[i] = _WithoutDerivative(backprop_net.sigmas[i])
    analytic = backprop_net.backward(x, y).grad
    numeric = numeric_gradient_details(net.copy(), x, y, h)
    error, tolerance, verdicts, scale = compare(analytic, numeric, threshold)

    bw, bb = net.views(analytic)
    nw, nb = net.views(numeric.value)
    layers = []
    for l, part in enumerate(net.layout, start=1):
        params = []
        for index in range(part.w_start, part.end):
            kind, _, j, k = net.param_name(index)
            params.append(
                ParameterCheck(
                    kind,
                    l,
                    j,
                    k,
                    float(analytic[index]),
                    float(numeric.value[index]),
                    float(error[index]),
                    float(tolerance[index]),
                    verdicts[index],
                )
            )
        checked = [p.error for p in params if p.verdict != "kink"]
        layers.append(
            LayerCheck(
                l,
                bw[l - 1],
                nw[l - 1],
                bb[l - 1] if bb is not None else None,
                nb[l - 1] if nb is not None else None,
                max(checked, default=0.0),
                params,
                _worst(params),
            )
        )
    worst_all = max(layer.max_relative_error for layer in layers)
    return GradientCheck(layers, worst_all, h, threshold, scale)
