"""What a session, a trace, a chain rule, a loss curve and the checks show in a notebook."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from app.client import Client
from app.client.display import num
from app.main import create_app
from app.settings import Settings
from tests.client.conftest import preset

W1 = [[0.5, -1.0], [0.25, 0.75]]
W2 = [[1.5, -2.0]]
NET = {"layers": [2, 2, 1], "activations": ["tanh", "sigmoid"], "loss": "mse", "bias": True,
       "weights": [W1, W2], "biases": [[0.1, -0.2], [0.3]]}  # fmt: skip
X, Y = [[1.0, 2.0], [-0.5, 0.5]], [[1.0], [0.0]]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with Client.in_process(create_app(Settings(db_path=tmp_path / "db.sqlite3"))) as c:
        yield c


def _numbers(html: str) -> list[str]:
    return re.findall(r'<mn class="value">([^<]*)</mn>', html)


def test_the_session_draws_every_neuron_and_weight_with_exact_values(client: Client) -> None:
    s = client.create(NET, {"x": X, "y": Y})
    assert s.metrics is not None
    html = s._repr_html_()
    assert html.count("<circle") == 5 and html.count("<line") == 2 * 2 + 2 * 1
    for l, w in ((1, W1), (2, W2)):
        for j, row in enumerate(w):
            for k, v in enumerate(row):
                assert f'data-edge="{l}:{j}:{k}"' in html and f"W^{l}[{j}][{k}] = {v!r}" in html
    assert (
        "b = 0.1" in html
        and "b = −0.2" in html
        and f"step 0 · train loss {num(s.metrics.train_loss)}" in html
    )


def test_the_trace_shows_z_a_delta_of_the_sample_and_the_gradient(client: Client) -> None:
    t = client.trace(NET, X, Y)
    html = t._repr_html_()
    z = np.array(W1) @ np.array(X[0]) + [0.1, -0.2]
    assert f"z = {num(z[0])}" in html and f"a = {num(float(np.tanh(z[1])))}" in html
    assert f"δ = {num(float(t.layers[1].delta[0, 0]))}" in html
    assert f"∂C/∂W^2[0][1] = {float(t.layers[1].grad_weights[0, 1])!r}" in html


def test_the_chain_rule_of_a_hidden_weight_has_the_delta_recurrence(client: Client) -> None:
    t = client.trace(NET, X, Y)
    rule = t.chain_rule(layer=1, row=1, column=0, sample=0)
    g = t.layers[0].grad_weights[1, 0]
    assert rule.value == g
    delta, x = t.layers[0].delta[:, 1], np.array(X)[:, 0]
    assert float(np.mean(delta * x)) == pytest.approx(g, rel=1e-12)
    mns = _numbers(rule._repr_html_())
    # mean over the batch: (1/2)(δ_0·x_0 + δ_1·x_1) = ∂C/∂W^1[1][0]
    assert mns[:5] == [num(delta[0]), num(x[0]), num(delta[1]), num(x[1]), num(g)]
    # δ^1_1 = σ'(z^1_1) · W^2[0][1] δ^2_0, with σ' = 1 − tanh²
    z = float(t.layers[0].z[0, 1])
    d2 = float(t.layers[1].delta[0, 0])
    assert mns[5:] == [num(1 - np.tanh(z) ** 2), num(W2[0][1]), num(d2), num(delta[0])]
    assert repr(rule).endswith(f"= {num(g)}")
    without_weights = client.backward(client.create(NET, {"x": X, "y": Y}), [0, 1])
    assert without_weights.chain_rule(1, 1, 0).value == pytest.approx(g, rel=1e-12)


def test_the_chain_rule_refuses_a_weight_that_does_not_exist(client: Client) -> None:
    t = client.trace(NET, X, Y)
    with pytest.raises(ValueError, match="W\\^2 is 1 × 2; there is no \\[1\\]\\[0\\]"):
        t.chain_rule(2, 1, 0)
    with pytest.raises(ValueError, match="layer must be between 1 and 2"):
        t.chain_rule(3, 0, 0)


def test_the_loss_curve_plots_train_and_test_loss(client: Client) -> None:
    s = client.create_from(preset("xor"))
    client.step(s, 12, trace=False)
    html = client.metrics(s)._repr_html_()
    assert 'data-series="train_loss"' in html and 'data-series="test_loss"' in html
    train = html.split('points="')[1].split('"')[0].split()
    assert len(train) == 13
    step_html = client.step(s, 3, trace=False)._repr_html_()
    assert "3 update(s) applied" in step_html and "<polyline" in step_html


def test_gradcheck_and_paths_tables(client: Client) -> None:
    s = client.create_from(preset("xor"))
    good, bad = client.gradcheck(s, [0]), client.gradcheck(s, [0], drop_derivative_layer=1)
    assert ">passed<" in good._repr_html_() and ">failed<" in bad._repr_html_()
    assert "σ' of layer 1 left out on purpose" in bad._repr_html_()
    assert "parameters: 9 pass, 0 fail, 0 kink" in good._repr_html_()
    worst = good.layers[0].parameters[good.layers[0].worst]
    assert f"{worst.name}: {num(worst.error)} (pass" in good._repr_html_()
    p = client.paths(s, 1, 0, 0)
    html = p._repr_html_()
    assert f"the sum over {p.paths} paths gives {num(p.path_gradient)}" in html
    assert html.count("<tr>") == 1 + len(p.cost_by_depth)
