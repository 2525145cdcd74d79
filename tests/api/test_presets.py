"""Every preset: its request names what the page's controls show, and its text tells the truth."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.presets import DEFAULT_REQUEST, PRESETS

Json = dict[str, Any]
CreatePreset = Callable[..., Json]
REQUESTS = {"default": DEFAULT_REQUEST} | {p["id"]: p["request"] for p in PRESETS}
# what the builder, data and training panels show (static/js/views/{builder,data,training}.js)
NETWORK_CONTROLS = ("layers", "activations", "loss", "bias", "init", "seed", "features")


def _post(client: TestClient, session_id: str, action: str, body: Json) -> Json:
    response = client.post(f"/api/networks/{session_id}/{action}", json=body)
    assert response.status_code == 200, response.text
    answer: Json = response.json()
    return answer


def _dead(client: TestClient, session: Json) -> list[list[int]]:
    """Per hidden layer, the neurons whose a is 0 for every training sample."""
    n = session["dataset"]["n_train"]
    body = _post(client, session["id"], "forward", {"indices": list(range(n))})
    return [np.flatnonzero(np.all(np.array(layer["a"]) == 0, axis=0)).tolist()
            for layer in body["layers"][:-1]]  # fmt: skip


@pytest.mark.parametrize("preset", list(REQUESTS))
def test_a_preset_names_every_value_its_controls_show(
    create_preset: CreatePreset, preset: str
) -> None:
    """The controls read the request: each value must be the one the session uses."""
    request = REQUESTS[preset]
    session = create_preset(preset)
    for key in NETWORK_CONTROLS:
        if key == "init" and "weights" in request["network"]:
            continue  # given weights: the builder says so instead of naming an initialiser
        if key == "features" and session["network"]["features"] is None:
            assert key not in request["network"]  # none given: the page shows the raw columns
            continue
        assert key in request["network"], key
        assert request["network"][key] == session["network"][key], key
    assert request["training"] == session["training"]  # every setting, options included
    if session["dataset"]["source"] is not None:  # a built-in: size, noise, split and seed
        assert request["dataset"] == session["dataset"]["source"]
        n = request["dataset"]["n_samples"]
        assert session["dataset"]["n_test"] == round(n * request["dataset"]["test_fraction"])


def test_the_xor_preset_has_the_test_split_it_shows(create_preset: CreatePreset) -> None:
    session = create_preset("xor")
    assert REQUESTS["xor"]["dataset"]["test_fraction"] == 0.2
    assert (session["dataset"]["n_train"], session["dataset"]["n_test"]) == (160, 40)


def test_dead_relu_kills_several_neurons_for_good(
    client: TestClient, create_preset: CreatePreset
) -> None:
    """No neuron is dead at the start; within 100 steps several are (a = 0 on every training
    sample), and the same ones are still dead 400 steps later."""
    session = create_preset("dead-relu")
    assert _dead(client, session) == [[], []]
    assert session["dead"] == {"step": 0, "layers": [[], [], []]}
    answer = _post(client, session["id"], "step", {"steps": 100})
    dead = _dead(client, session)
    assert sum(map(len, dead)) >= 3
    # the session says which (what the page marks), for the step it is at
    assert answer["dead"] == {"step": 100, "layers": [*dead, []]}
    assert client.get(f"/api/networks/{session['id']}").json()["dead"] == answer["dead"]
    _post(client, session["id"], "step", {"steps": 400})
    later = _dead(client, session)
    for before, after in zip(dead, later, strict=True):
        assert set(before) <= set(after)


def test_the_worked_example_takes_w_from_2_to_0_597_in_thirty_steps(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session = create_preset("worked-example")
    assert session["network"]["weights"] == [[[2.0]]]
    body = _post(client, session["id"], "step", {"steps": 30})
    assert body["network"]["weights"][0][0][0] == pytest.approx(0.597, abs=5e-4)


def test_xor_is_learnt_by_two_hidden_lines(client: TestClient, create_preset: CreatePreset) -> None:
    session = create_preset("xor")
    assert session["network"]["layers"] == [2, 2, 1]
    body = _post(client, session["id"], "step", {"steps": 3000})
    assert body["metrics"]["train_accuracy"] >= 0.9
    # two different lines w·x + b = 0 (parallel ones, a band, are a solution too)
    W, b = np.array(body["network"]["weights"][0]), np.array(body["network"]["biases"][0])
    lines = np.column_stack([W, b]) / np.linalg.norm(W, axis=1, keepdims=True)
    assert min(np.linalg.norm(lines[0] - lines[1]), np.linalg.norm(lines[0] + lines[1])) > 0.3


def test_spiral_is_learnt_by_three_tanh_layers_with_sine_features_and_adam(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session = create_preset("spiral")
    network = session["network"]
    assert network["activations"][:3] == ["tanh"] * 3 and len(network["activations"]) == 4
    assert {"sin_x1", "sin_x2"} <= set(network["features"])
    assert session["training"]["optimizer"] == "adam"
    body = _post(client, session["id"], "step", {"steps": 3000})
    assert body["metrics"]["train_accuracy"] >= 0.95 and body["metrics"]["test_accuracy"] >= 0.9


def test_vanishing_deltas_shrink_about_fourfold_per_layer(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session = create_preset("vanishing")
    assert session["network"]["activations"] == ["sigmoid"] * 9
    body = _post(client, session["id"], "step", {"steps": 1})
    norms = body["metrics"]["delta_norms"]
    ratios = [upper / lower for lower, upper in itertools.pairwise(norms)]
    assert all(3.0 <= r <= 10.0 for r in ratios), ratios  # σ' ≤ ¼, so roughly ≥ 4 each
    assert norms[0] < 1e-4 * norms[-1]


def test_zero_init_keeps_every_hidden_neuron_identical(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session = create_preset("zero-init")
    body = _post(client, session["id"], "step", {"steps": 300})
    W, b = np.array(body["network"]["weights"][0]), np.array(body["network"]["biases"][0])
    assert np.abs(W).max() > 0  # they learn …
    assert np.all(W[0] == W) and np.all(b == b[0])  # … all the same thing
    assert len(set(body["network"]["weights"][1][0])) == 1


def test_diverging_loss_grows_until_the_server_refuses_the_step(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session = create_preset("diverging")
    losses = []
    for _ in range(6):
        losses.append(_post(client, session["id"], "step", {"steps": 1})["metrics"]["train_loss"])
    assert all(later > 2 * earlier for earlier, later in itertools.pairwise(losses[1:]))
    body = _post(client, session["id"], "step", {"steps": 100})
    assert body["diverged"] is True and "diverged" in body["message"]
