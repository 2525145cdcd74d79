"""Random small networks: forward and backward never raise and stay finite.

Magnitudes are bounded so that every true value is finite, and then every
activation may appear anywhere (no restriction to bounded ones). With widths
≤ 5, |x| ≤ 1e3 and |W|, |b| ≤ 2, the fastest-growing network is all `square`:
|z¹| ≤ 5·2·1e3 + 2 ≈ 1e4, so |a¹| ≤ 1e8, |a²| ≤ (10·1e8)² = 1e18, |a³| ≤ 1e38,
|a⁴| ≤ 1e78; the loss is at most ~1e156 and every δ and gradient, a product of
those numbers with σ' ≤ 2|z|, stays below ~1e160 — far from float64's 1.8e308.
sigmoid, tanh and softmax saturate at these sizes (|z| up to ~1e39), which is
exactly where a naive exp or ln(0) would turn into inf or NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.engine.activations import ACTIVATIONS
from app.engine.errors import SpecError
from app.engine.losses import LOSSES
from app.engine.network import Network

NAMES = sorted(ACTIVATIONS)
PARAM = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
INPUT = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@dataclass
class Case:
    net: Network
    x: np.ndarray
    y: np.ndarray


@st.composite
def targets(draw: st.DrawFn, loss: str, batch: int, width: int) -> np.ndarray:
    if loss == "mse":
        return draw(hnp.arrays(np.float64, (batch, width), elements=INPUT))
    if loss == "bce":
        return draw(hnp.arrays(np.float64, (batch, width), elements=st.floats(0.0, 1.0)))
    # cross_entropy: non-negative rows summing to 1; a row of zeros becomes one-hot.
    raw = draw(hnp.arrays(np.float64, (batch, width), elements=st.floats(0.0, 1.0)))
    raw[raw.sum(axis=1) == 0, 0] = 1.0
    return raw / raw.sum(axis=1, keepdims=True)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    depth = draw(st.integers(1, 4))
    loss = draw(st.sampled_from(sorted(LOSSES)))
    outputs = LOSSES[loss].output_activations or tuple(NAMES)
    out = draw(st.sampled_from(sorted(outputs)))
    # Network refuses a one-neuron softmax output for the log losses (it is always 1).
    min_out = 2 if out == "softmax" and loss != "mse" else 1
    widths = [draw(st.integers(1, 5)) for _ in range(depth)] + [draw(st.integers(min_out, 5))]
    hidden = [draw(st.sampled_from(NAMES)) for _ in range(depth - 1)]
    bias = draw(st.booleans())
    net = Network(widths, [*hidden, out], loss, bias)
    net.params[:] = draw(hnp.arrays(np.float64, net.n_params, elements=PARAM))
    batch = draw(st.integers(1, 4))
    x = draw(hnp.arrays(np.float64, (batch, widths[0]), elements=INPUT))
    y = net.check_targets(draw(targets(loss, batch, widths[-1])))
    return Case(net, net.check_input(x), y)


@settings(max_examples=200, deadline=None, database=None)
@given(cases())
def test_forward_and_backward_are_finite(case: Case) -> None:
    net, x, y = case.net, case.x, case.y
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        fwd = net.forward(x)
        trace = net.backward(x, y)
        loss = net.loss_value(x, y)
    assert all(np.all(np.isfinite(a)) for a in (*fwd.zs, *fwd.activations))
    assert np.isfinite(trace.loss) and trace.loss >= 0.0  # each loss is a sum of ≥ 0 terms
    assert trace.loss == loss
    assert np.all(np.isfinite(trace.sample_losses)) and np.all(trace.sample_losses >= 0.0)
    assert np.all(np.isfinite(trace.grad))
    for layer, z, a in zip(trace.layers, fwd.zs, fwd.activations, strict=True):
        np.testing.assert_array_equal(layer.z, z)
        np.testing.assert_array_equal(layer.a, a)
        assert np.all(np.isfinite(layer.delta))
    if net.activation_names[-1] in ("sigmoid", "softmax"):
        assert np.all((fwd.output >= 0.0) & (fwd.output <= 1.0))


@settings(max_examples=200, deadline=None, database=None)
@given(
    layers=st.lists(st.integers(-1, 4), min_size=0, max_size=4),
    activations=st.lists(st.sampled_from([*NAMES, "gelu", ""]), max_size=4),
    loss=st.sampled_from([*sorted(LOSSES), "hinge"]),
    bias=st.booleans(),
)
def test_any_architecture_is_built_or_refused_with_a_spec_error(layers, activations, loss, bias):
    try:
        net = Network(layers, activations, loss, bias)
    except SpecError as error:
        assert error.loc.startswith("network.")
        assert error.message
        return
    x = np.ones((2, net.layers[0]))
    assert net.forward(x).output.shape == (2, net.layers[-1])
