"""The contract's worked example: a = (wx)², C = ½(a − y)², so C = ½w⁴, ∂C/∂w = 2w³."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.network import Network
from app.engine.optimizers import SGD
from app.engine.training import train_step


def test_thirty_sgd_steps_take_w_from_2_to_0_597():
    net = Network([1, 1], ["square"], "mse", bias=False, params=np.array([2.0]))
    x, y = np.array([[1.0]]), np.array([[0.0]])
    opt, state = SGD(0.02), dict[str, np.ndarray]()
    w = 2.0
    for _ in range(30):
        result, state = train_step(net, opt, state, x, y)
        assert result.applied
        assert result.trace.loss == pytest.approx(0.5 * w**4, rel=1e-14)  # C = ½w⁴
        assert result.trace.grad[0] == pytest.approx(2 * w**3, rel=1e-14)  # ∂C/∂w = 2w³
        w -= 0.02 * 2 * w**3
    assert abs(net.params[0] - 0.5971686) < 1e-9
    assert net.params[0] == pytest.approx(w, rel=1e-13)


def test_worked_example_trace_values():
    net = Network([1, 1], ["square"], "mse", bias=False, params=np.array([2.0]))
    trace = net.backward(np.array([[1.0]]), np.array([[0.0]]))
    (layer,) = trace.layers
    assert layer.z.tolist() == [[2.0]]
    assert layer.a.tolist() == [[4.0]]
    assert layer.delta.tolist() == [[16.0]]  # (a − y) σ'(z) = 4 · 2z
    assert layer.grad_weights.tolist() == [[16.0]]
    assert layer.grad_biases is None
    assert trace.loss == 8.0
