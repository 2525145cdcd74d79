"""The gradient check's verdicts: correct backprop passes, a dropped σ′ fails, kinks are kinks.

A seeded table of random networks covers every activation, every loss with each output it
accepts, depth 1–5, with and without biases, one sample and batches, at initialisation and
after hundreds of SGD steps.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest

from app.engine.activations import ACTIVATIONS
from app.engine.datasets import make_dataset
from app.engine.gradcheck import GradientCheck, gradient_check
from app.engine.initializers import initialize
from app.engine.losses import LOSSES
from app.engine.network import Network
from app.engine.optimizers import State, make_optimizer
from app.engine.training import train_step

LOSS_OUTPUTS = [
    (loss, out)
    for loss, spec in LOSSES.items()
    for out in (spec.output_activations or tuple(ACTIVATIONS))
]
HIDDEN = [name for name in ACTIVATIONS if name != "softmax"]  # softmax is an output layer
SMOOTH = ("sigmoid", "tanh", "softplus", "square")  # σ′ ≠ 1 almost everywhere


@dataclass(frozen=True)
class Case:
    hidden: str
    loss: str
    out: str
    depth: int
    bias: bool
    batch: int
    steps: int
    seed: int

    def __str__(self) -> str:
        b = "bias" if self.bias else "nobias"
        return (
            f"{self.hidden}-{self.out}-{self.loss}-d{self.depth}-{b}"
            f"-B{self.batch}-s{self.steps}-{self.seed}"
        )


def _targets(loss: str, rng: np.random.Generator, batch: int, width: int) -> np.ndarray:
    if loss == "bce":
        return (rng.uniform(size=(batch, width)) > 0.5).astype(float)
    if loss == "cross_entropy":
        return np.eye(width)[rng.integers(0, width, batch)]
    return rng.normal(size=(batch, width))


def _build(case: Case) -> tuple[Network, np.ndarray, np.ndarray]:
    """The case's network (trained ``steps`` SGD steps on 40 random points) and a batch."""
    rng = np.random.default_rng(case.seed)
    width_out = 2 if case.out == "softmax" else int(rng.integers(1, 3))
    widths = [2] + [int(rng.integers(2, 9)) for _ in range(case.depth - 1)] + [width_out]
    net = Network(widths, [case.hidden] * (case.depth - 1) + [case.out], case.loss, case.bias)
    x = rng.uniform(-3, 3, size=(40, 2))
    y = _targets(case.loss, rng, 40, width_out)
    rate, shrink = 0.01, 1.0
    # Deep square layers make C a polynomial of high degree that can overflow or run away:
    # smaller initial weights and a smaller rate then, the same case otherwise.
    for _ in range(8):
        initialize(net, ("xavier", "he")[case.seed % 2], case.seed)
        net.params *= shrink
        optimizer = make_optimizer("sgd", rate)
        state: State = {}
        with np.errstate(all="ignore"):
            for _ in range(case.steps):
                pick = rng.integers(0, 40, 10)
                _, state = train_step(net, optimizer, state, x[pick], y[pick])
            settled = bool(np.all(np.abs(net.params) < 20) and np.isfinite(net.loss_value(x, y)))
        if settled:
            return net, x[: case.batch], y[: case.batch]
        rate, shrink = rate / 4, shrink / 2
    raise AssertionError(f"{case}: training does not settle")


def _table(n: int) -> list[Case]:
    """n cases cycling through every factor so that each value appears many times."""
    cases = []
    for i in range(n):
        loss, out = LOSS_OUTPUTS[i % len(LOSS_OUTPUTS)]
        cases.append(
            Case(
                hidden=HIDDEN[(i // len(LOSS_OUTPUTS)) % len(HIDDEN)],
                loss=loss,
                out=out,
                depth=1 + i % 5,
                bias=(i // 5) % 2 == 0,
                batch=(1, 8)[(i // 2) % 2],
                steps=(0, 300)[(i // 3) % 2],
                seed=1000 + i,
            )
        )
    return cases


TABLE = _table(240)


def test_the_table_covers_every_factor() -> None:
    assert {(c.loss, c.out) for c in TABLE} == set(LOSS_OUTPUTS)
    assert {c.hidden for c in TABLE if c.depth > 1} == set(HIDDEN)
    seen = {(c.depth, c.bias, c.batch, c.steps) for c in TABLE}
    assert seen == set(itertools.product(range(1, 6), (True, False), (1, 8), (0, 300)))


def _summary(check: GradientCheck) -> str:
    bad = [p for p in check.parameters if p.verdict == "fail"]
    return "; ".join(f"{p.name}: b={p.backprop:.6g} n={p.numeric:.6g} "
                     f"err={p.error:.2e} tol={p.tolerance:.2e}" for p in bad[:3])  # fmt: skip


@pytest.mark.parametrize("case", TABLE, ids=str)
def test_correct_backprop_passes(case: Case) -> None:
    net, x, y = _build(case)
    check = gradient_check(net, x, y)
    assert check.passed, _summary(check)
    assert check.count("fail") == 0
    assert check.count("pass") + check.count("kink") == net.n_params
    if case.hidden not in ("relu", "leaky_relu") and case.out not in ("relu", "leaky_relu"):
        assert check.count("kink") == 0  # no relu-family layer, no kink
    for p in check.parameters:
        assert p.verdict == "kink" or p.error <= p.tolerance


# σ′ of a smooth hidden layer dropped: the layer itself and every layer below it are wrong.
# Three or more square layers (small weights squared, again and again) can leave gradients
# below 1e-10, under what float64 resolves of C/h: no finite difference tells right from
# wrong there, so those are left out.
DROPPED = [
    c
    for c in _table(200)
    if c.hidden in SMOOTH
    and c.depth >= 2
    and c.out not in ("relu", "leaky_relu")
    and not (c.hidden == "square" and c.depth >= 4)
]


def test_the_dropped_table_is_broad() -> None:
    assert len(DROPPED) >= 40
    assert {c.hidden for c in DROPPED} == set(SMOOTH)
    assert {c.steps for c in DROPPED} == {0, 300} and {c.batch for c in DROPPED} == {1, 8}


@pytest.mark.parametrize("case", DROPPED, ids=str)
def test_dropping_a_smooth_layers_derivative_fails_clearly(case: Case) -> None:
    net, x, y = _build(case)
    layer = 1 + case.seed % (case.depth - 1)  # a hidden layer
    check = gradient_check(net, x, y, drop_derivative_layer=layer)
    assert not check.passed
    broken = check.layers[layer - 1]
    worst = broken.parameters[broken.worst]
    assert worst.verdict == "fail"
    # Clearly: far beyond the tolerance, not a near miss.
    assert worst.error > 100 * worst.tolerance
    for above in check.layers[layer:]:  # layers above l never use σ_l′
        assert above.passed


def _checks_while_training(
    net: Network, x: np.ndarray, y: np.ndarray, rate: float, steps: int, stride: int
) -> list[GradientCheck]:
    """Checks of every stride-th sample of the first 160 and of the whole batch, at
    initialisation and after ``steps`` SGD steps of 10 samples."""
    optimizer = make_optimizer("sgd", rate)
    state: State = {}
    rng = np.random.default_rng(0)
    checks = []
    for step in range(steps + 1):
        if step in (0, steps):
            checks += [
                gradient_check(net, x[i : i + 1], y[i : i + 1]) for i in range(0, 160, stride)
            ]
            checks.append(gradient_check(net, x, y))
        pick = rng.integers(0, len(x), 10)
        _, state = train_step(net, optimizer, state, x[pick], y[pick])
    return checks


def test_the_issue_sample_leaky_relu_sigmoid_bce_passes() -> None:
    """[2, 7, 1] leaky_relu / sigmoid with bce, at init and after 500 steps."""
    data = make_dataset("circle", 200, 0.0, 0.2, seed=0)
    net = Network([2, 7, 1], ["leaky_relu", "sigmoid"], "bce")
    initialize(net, "he", 1)
    for check in _checks_while_training(net, data.x, data.y, 0.1, 500, 16):
        assert check.passed, _summary(check)


def test_a_correct_relu_network_of_four_hidden_layers_of_eight_passes() -> None:
    data = make_dataset("circle", 200, 0.0, 0.2, seed=0)
    net = Network([2, 8, 8, 8, 8, 1], ["relu"] * 4 + ["sigmoid"], "bce")
    initialize(net, "he", 0)
    checks = _checks_while_training(net, data.x, data.y, 0.03, 300, 20)
    for check in checks:
        assert check.passed, _summary(check)
    # one sample's z is rarely within 4h of a kink: most of its parameters are checked
    per_sample = checks[:8] + checks[9:17]  # 8 samples, then the batch, at each of 2 steps
    assert sum(c.count("pass") for c in per_sample) > 0.9 * len(per_sample) * net.n_params


# --- kinks on purpose ----------------------------------------------------------------------


def _one_relu(z: float, activation: str = "relu") -> tuple[Network, np.ndarray, np.ndarray]:
    """1 → 1 → 1: z¹ = w x + b with x = 1 set to ``z``, then a linear output, mse."""
    net = Network([1, 1, 1], [activation, "linear"], "mse")
    net.weights[0][0, 0], net.biases[0][0] = 0.5, z - 0.5  # type: ignore[index]
    net.weights[1][0, 0], net.biases[1][0] = 2.0, 0.1  # type: ignore[index]
    return net, np.array([[1.0]]), np.array([[3.0]])


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("z", [0.0, 1e-12, -1e-12, 5e-4, -3e-3])
def test_a_pre_activation_within_reach_of_the_kink_is_a_kink(activation: str, z: float) -> None:
    net, x, y = _one_relu(z, activation)
    check = gradient_check(net, x, y)
    first = check.layers[0].parameters
    assert [p.verdict for p in first] == ["kink", "kink"]  # w¹ and b¹ both move z¹ by ±4h
    assert check.passed  # a kink is not a failure
    assert check.count("fail") == 0
    # the output layer's parameters do not move z¹: they are checked, and pass
    assert [p.verdict for p in check.layers[1].parameters] == ["pass", "pass"]


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("z", [0.05, -0.05, 1.0, -1.0])
def test_a_pre_activation_beyond_reach_is_checked(activation: str, z: float) -> None:
    net, x, y = _one_relu(z, activation)
    check = gradient_check(net, x, y)
    assert [p.verdict for p in check.parameters] == ["pass"] * 4


def test_a_kink_is_reported_even_where_the_numbers_disagree() -> None:
    """Across the kink the difference quotient averages the two slopes: a relative error
    near ½ that a plain comparison calls a failure."""
    net, x, y = _one_relu(0.0)
    check = gradient_check(net, x, y)
    b = check.layers[0].parameters[1]
    assert b.name == "b^1_{0}"
    assert b.error > 0.1 and b.verdict == "kink"


def test_a_dead_relu_is_no_kink_and_its_zero_gradient_passes() -> None:
    net, x, y = _one_relu(-2.0)
    check = gradient_check(net, x, y)
    w = check.layers[0].parameters[0]
    assert (w.backprop, w.numeric, w.error, w.verdict) == (0.0, 0.0, 0.0, "pass")


def test_dropping_relus_derivative_fails_away_from_the_kink() -> None:
    net, x, y = _one_relu(-1.0)  # σ′(z) = 0 here; the dropped version says 1
    check = gradient_check(net, x, y, drop_derivative_layer=1)
    assert [p.verdict for p in check.layers[0].parameters] == ["fail", "fail"]


def test_every_result_is_one_parameters_own() -> None:
    """Each row's backprop and numeric values are the layer matrices' entries at its indices."""
    rng = np.random.default_rng(3)
    net = Network([3, 4, 2], ["tanh", "sigmoid"], "bce")
    net.params[:] = rng.normal(size=net.n_params)
    x, y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    check = gradient_check(net, x, y)
    for layer in check.layers:
        assert len(layer.parameters) == layer.backprop_weights.size + len(layer.backprop_weights)
        for p in layer.parameters:
            if p.kind == "W":
                assert p.backprop == layer.backprop_weights[p.row, p.column]
                assert p.numeric == layer.numeric_weights[p.row, p.column]
            else:
                assert layer.backprop_biases is not None and layer.numeric_biases is not None
                assert p.backprop == layer.backprop_biases[p.row]
                assert p.numeric == layer.numeric_biases[p.row]
            scale = max(abs(p.backprop), abs(p.numeric), 1e-3 * check.gradient_scale)
            assert p.error == pytest.approx(abs(p.backprop - p.numeric) / scale)
        assert layer.max_relative_error == max(p.error for p in layer.parameters)
        worst = layer.parameters[layer.worst]
        assert all(p.error / p.tolerance <= worst.error / worst.tolerance for p in layer.parameters)


def test_all_zero_gradients_divide_by_nothing() -> None:
    net = Network([2, 3, 1], ["relu", "linear"], "mse")  # all weights 0: every gradient of
    x, y = np.array([[1.0, 2.0]]), np.array([[0.0]])  # W is 0, and so is C's
    check = gradient_check(net, x, y)
    assert check.gradient_scale == 0.0
    for p in check.parameters:
        assert p.error == 0.0 and np.isfinite(p.tolerance)
