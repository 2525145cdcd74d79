"""Computing on a session: step, forward, backward, boundary, gradcheck, paths, history."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.engine.network import Network
from app.main import create_app
from app.settings import Limits, Settings
from tests.api.conftest import WORKED_EXAMPLE

Json = dict[str, Any]
Create = Callable[[Json], Json]
CreatePreset = Callable[..., Json]

ETA = 0.02  # the worked example's learning rate


def _worked_example_weights(steps: int) -> list[float]:
    """w after each of ``steps`` SGD steps on C = ½w⁴ from w = 2: w ← w − η·2w³."""
    w, out = 2.0, []
    for _ in range(steps):
        w -= ETA * 2 * w**3
        out.append(w)
    return out


def _post(client: TestClient, session_id: str, action: str, body: Json) -> Json:
    response = client.post(f"/api/networks/{session_id}/{action}", json=body)
    assert response.status_code == 200, response.text
    answer: Json = response.json()
    return answer


def _step(client: TestClient, session_id: str, steps: int = 1) -> Json:
    return _post(client, session_id, "step", {"steps": steps})


def _get(client: TestClient, session_id: str, path: str = "", **params: Any) -> Json:
    response = client.get(f"/api/networks/{session_id}{path}", params=params)
    assert response.status_code == 200, response.text
    answer: Json = response.json()
    return answer


def _engine(network: Json) -> Network:
    return Network.from_arrays(network["layers"], network["activations"], network["loss"],
                               network["weights"], network["biases"], network["bias"])  # fmt: skip


# --- the contract's worked example ---------------------------------------------------------


@pytest.mark.parametrize("calls", [[1] * 30, [30], [7, 1, 22]], ids=["30x1", "1x30", "7+1+22"])
def test_worked_example_reaches_0_597_after_30_steps(
    client: TestClient, create: Create, calls: list[int]
) -> None:
    session_id = create(WORKED_EXAMPLE)["id"]
    for n in calls:
        answer = _step(client, session_id, n)
    (w,) = np.ravel(answer["network"]["weights"])
    assert answer["step"] == 30
    assert abs(w - 0.5971686) < 1e-9
    assert w == pytest.approx(_worked_example_weights(30)[-1], rel=1e-14)


def test_worked_example_loss_history_is_half_w_to_the_fourth(
    client: TestClient, create: Create
) -> None:
    session_id = create(WORKED_EXAMPLE)["id"]
    history = _step(client, session_id, 30)["history"]
    weights = _worked_example_weights(30)
    assert history["step"] == list(range(1, 31))
    # The loss recorded for step k is C after that step's update: ½ w_k⁴.
    np.testing.assert_allclose(history["train_loss"], [0.5 * w**4 for w in weights], rtol=1e-13)
    # ‖∂C/∂W‖ of step k is the gradient that step used: 2 w_{k-1}³.
    before = [2.0, *weights[:-1]]
    np.testing.assert_allclose(np.ravel(history["grad_norms"]), [2 * w**3 for w in before])
    # The stored history starts at step 0, the untrained network: C = ½·2⁴ = 8, and the norms
    # of the gradient the first step uses, δ = ∂C/∂W = 2w³ = 16 at w = 2.
    metrics = _get(client, session_id, "/metrics")
    assert metrics["step"] == list(range(31))
    assert metrics["train_loss"] == [8.0, *history["train_loss"]]
    assert (metrics["delta_norms"][0], metrics["grad_norms"][0]) == ([16.0], [16.0])
    assert {key: column[1:] for key, column in metrics.items()} == history


def test_first_step_answers_trace_update_and_indices(client: TestClient, create: Create) -> None:
    session_id = create(WORKED_EXAMPLE)["id"]
    answer = _step(client, session_id)
    assert (answer["step"], answer["applied_steps"]) == (1, 1)
    assert (answer["diverged"], answer["message"]) == (False, None)
    assert answer["indices"] == [0]
    assert answer["trace"] == {
        "loss": 8.0, "sample_losses": [8.0], "x": [[1.0]],
        "layers": [{"z": [[2.0]], "a": [[4.0]], "delta": [[16.0]], "grad_weights": [[16.0]],
                    "grad_biases": None}],
    }  # fmt: skip
    # ΔW = −η ∂C/∂W = −0.02 · 2w³ at w = 2
    assert answer["update"] == {"weights": [[[-0.32]]], "biases": None}
    assert answer["network"]["weights"] == [[[1.68]]]
    assert answer["metrics"]["step"] == 1
    assert "history" not in answer


@pytest.mark.parametrize("preset", ["xor", "dead-relu"])
def test_one_step_update_is_minus_eta_times_the_gradient(
    client: TestClient, create_preset: CreatePreset, preset: str
) -> None:
    session = create_preset(preset)
    eta = session["training"]["learning_rate"]
    answer = _step(client, session["id"])
    assert len(answer["indices"]) == session["training"]["batch_size"]
    for l, layer in enumerate(answer["trace"]["layers"]):
        for part, grad in (("weights", "grad_weights"), ("biases", "grad_biases")):
            delta = np.array(answer["update"][part][l])
            np.testing.assert_allclose(delta, -eta * np.array(layer[grad]), rtol=1e-15)
            moved = np.subtract(answer["network"][part][l], session["network"][part][l])
            np.testing.assert_allclose(moved, delta, rtol=1e-12, atol=1e-16)


def test_step_trace_false_leaves_the_trace_out(client: TestClient, create: Create) -> None:
    session_id = create(WORKED_EXAMPLE)["id"]
    answer = _post(client, session_id, "step", {"steps": 1, "trace": False})
    assert "trace" not in answer
    assert answer["update"] == {"weights": [[[-0.32]]], "biases": None}


def test_many_steps_answer_history_columns(client: TestClient, create_preset: CreatePreset) -> None:
    session_id = create_preset("xor")["id"]
    _step(client, session_id, 2)
    answer = _step(client, session_id, 5)
    assert (answer["step"], answer["applied_steps"]) == (7, 5)
    history = answer["history"]
    assert set(history) == {"step", "train_loss", "test_loss", "train_accuracy",
                            "test_accuracy", "delta_norms", "grad_norms"}  # fmt: skip
    assert all(len(column) == 5 for column in history.values())
    assert history["step"] == [3, 4, 5, 6, 7]
    assert all(len(norms) == 2 for norms in history["delta_norms"] + history["grad_norms"])
    assert all(0.0 <= a <= 1.0 for a in history["train_accuracy"] + history["test_accuracy"])
    assert answer["metrics"] == {key: column[-1] for key, column in history.items()}
    assert "trace" not in answer and "update" not in answer


# --- backward and forward ------------------------------------------------------------------


@pytest.mark.parametrize("steps_before", [0, 17])  # at the start, and mid-epoch
def test_backward_previews_the_next_minibatch_without_stepping(
    client: TestClient, create_preset: CreatePreset, steps_before: int
) -> None:
    session_id = create_preset("xor")["id"]
    if steps_before:
        _step(client, session_id, steps_before)
    before = _get(client, session_id)

    preview = _post(client, session_id, "backward", {})
    again = _post(client, session_id, "backward", {})
    assert _get(client, session_id) == before  # nothing consumed or updated
    assert again == preview

    step = _step(client, session_id)
    assert step["step"] == steps_before + 1
    assert preview["indices"] == step["indices"]
    assert len(preview["indices"]) == 10
    assert {k: preview[k] for k in step["trace"]} == step["trace"]
    np.testing.assert_array_equal(
        preview["x_raw"], np.array(before["dataset"]["x"])[preview["indices"]]
    )


def test_backward_update_of_the_worked_example(client: TestClient, create: Create) -> None:
    session_id = create(WORKED_EXAMPLE)["id"]
    preview = _post(client, session_id, "backward", {})
    # ΔW = −η ∂C/∂W = −0.02 · 2w³ at w = 2: the update the first step then applies.
    assert preview["update"] == {"weights": [[[-0.32]]], "biases": None}
    assert _step(client, session_id)["update"] == preview["update"]
    # For explicit samples too: x = 0.5, y = 1 at w = 1.68.
    chosen = _post(client, session_id, "backward", {"x": [[0.5]], "y": [[1.0]]})
    (grad,) = np.ravel(chosen["layers"][0]["grad_weights"])
    assert chosen["update"] == {"weights": [[[-ETA * grad]]], "biases": None}


@pytest.mark.parametrize(
    "regularization",
    [{}, {"regularization": "l2", "regularization_rate": 0.01},
     {"regularization": "l1", "regularization_rate": 0.001}],
    ids=["plain", "l2", "l1"],
)  # fmt: skip
@pytest.mark.parametrize("selection", [{}, {"indices": [3, 0, 7], "split": "test"}],
                         ids=["next-minibatch", "chosen"])  # fmt: skip
def test_backward_update_is_minus_eta_times_the_gradient_for_sgd(
    client: TestClient, create_preset: CreatePreset, regularization: Json, selection: Json
) -> None:
    session = create_preset("xor", training=regularization)  # sgd, η = 0.3
    session_id = session["id"]
    eta = session["training"]["learning_rate"]
    rate = regularization.get("regularization_rate", 0.0)
    _step(client, session_id, 4)
    before = _get(client, session_id)
    body = _post(client, session_id, "backward", selection)
    assert _get(client, session_id) == before  # nothing applied
    for l, layer in enumerate(body["layers"]):
        w = np.array(before["network"]["weights"][l])
        penalty = {"l2": rate * w, "l1": rate * np.sign(w)}.get(
            regularization.get("regularization", "none"), np.zeros_like(w)
        )
        # ΔW = −η (∂C/∂W + ∂penalty/∂W); biases are not regularised: Δb = −η ∂C/∂b.
        np.testing.assert_allclose(
            body["update"]["weights"][l],
            -eta * (np.array(layer["grad_weights"]) + penalty),
            rtol=1e-15, atol=0,
        )  # fmt: skip
        np.testing.assert_array_equal(
            body["update"]["biases"][l], -eta * np.array(layer["grad_biases"])
        )
    if not selection:  # the next minibatch: the step that follows applies exactly this
        assert _step(client, session_id)["update"] == body["update"]


TRAININGS: dict[str, Json] = {
    "momentum": {"optimizer": "momentum", "learning_rate": 0.05, "momentum": 0.8},
    "momentum-l2": {"optimizer": "momentum", "learning_rate": 0.05, "regularization": "l2",
                    "regularization_rate": 0.01},
    "adam": {"optimizer": "adam", "learning_rate": 0.01},
    "adam-l1": {"optimizer": "adam", "learning_rate": 0.01, "beta1": 0.8,
                "regularization": "l1", "regularization_rate": 0.001},
}  # fmt: skip


@pytest.mark.parametrize("steps_before", [0, 1, 6])  # no optimiser state yet, then some
@pytest.mark.parametrize("training", TRAININGS.values(), ids=TRAININGS.keys())
def test_backward_update_is_the_step_the_optimiser_takes_next(
    client: TestClient, create_preset: CreatePreset, training: Json, steps_before: int
) -> None:
    session_id = create_preset("xor", training=training)["id"]
    if steps_before:
        _step(client, session_id, steps_before)
    before = _get(client, session_id)

    preview = _post(client, session_id, "backward", {})
    again = _post(client, session_id, "backward", {})
    assert again == preview  # the optimiser's state is read, not advanced
    assert _get(client, session_id) == before
    for part in ("weights", "biases"):
        shapes = [np.shape(p) for p in before["network"][part]]
        assert [np.shape(p) for p in preview["update"][part]] == shapes

    step = _step(client, session_id)
    assert step["step"] == steps_before + 1
    assert step["indices"] == preview["indices"]
    assert step["update"] == preview["update"]  # bit for bit the ΔW, Δb applied
    for part in ("weights", "biases"):
        for l, delta in enumerate(preview["update"][part]):
            moved = np.subtract(step["network"][part][l], before["network"][part][l])
            np.testing.assert_allclose(moved, delta, rtol=1e-12, atol=1e-16)
    if steps_before == 0:  # no optimiser state yet: the first update by hand
        eta, rate = training["learning_rate"], training.get("regularization_rate", 0.0)
        penalty = {"l2": lambda w: rate * w, "l1": lambda w: rate * np.sign(w)}.get(
            training.get("regularization", "none"), np.zeros_like
        )
        for l, layer in enumerate(preview["layers"]):
            g = np.array(layer["grad_weights"]) + penalty(np.array(before["network"]["weights"][l]))
            if training["optimizer"] == "momentum":  # v = μ·0 − η g
                expected = -eta * g
            else:  # Adam at t = 1: m̂ = g, v̂ = g², so Δ = −η g / (|g| + ε)
                expected = -eta * g / (np.abs(g) + 1e-8)
            np.testing.assert_allclose(preview["update"]["weights"][l], expected, rtol=1e-12)


def test_backward_for_chosen_samples_is_the_engines_trace(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session = create_preset("spiral")  # with sin features
    body = _post(client, session["id"], "backward", {"indices": [4, 1], "split": "test"})
    data = session["dataset"]
    x_raw = np.array(data["test_x"])[[4, 1]]
    x = np.column_stack([x_raw, np.sin(x_raw)])
    expected = _engine(session["network"]).backward(x, np.array(data["test_y"])[[4, 1]])
    assert body["indices"] == [4, 1]
    np.testing.assert_array_equal(body["x_raw"], x_raw)
    assert body["loss"] == expected.loss
    for got, want in zip(body["layers"], expected.layers, strict=True):
        np.testing.assert_array_equal(got["delta"], want.delta)
        np.testing.assert_array_equal(got["grad_weights"], want.grad_weights)


def test_backward_with_explicit_x_and_y(client: TestClient, create: Create) -> None:
    session_id = create(WORKED_EXAMPLE)["id"]
    body = _post(client, session_id, "backward", {"x": [[0.5]], "y": [[1.0]]})
    # z = 1, a = 1, C = 0, δ = (a − y)·2z = 0
    assert (body["loss"], body["layers"][0]["delta"], body["indices"]) == (0.0, [[0.0]], None)


def test_forward_by_indices_and_by_explicit_x_agree(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session = create_preset("spiral")
    by_index = _post(client, session["id"], "forward", {"indices": [0, 3]})
    rows = np.array(session["dataset"]["x"])[[0, 3]]
    by_x = _post(client, session["id"], "forward", {"x": rows.tolist()})

    assert by_index["indices"] == [0, 3]
    assert by_x["indices"] is None
    for body in (by_index, by_x):
        np.testing.assert_array_equal(body["x_raw"], rows)
        np.testing.assert_array_equal(body["x"], np.column_stack([rows, np.sin(rows)]))
    assert by_x["layers"] == by_index["layers"]
    assert by_x["output"] == by_index["output"]

    fwd = _engine(session["network"]).forward(np.array(by_x["x"]))
    assert [np.shape(layer["z"]) for layer in by_x["layers"]] == [(2, 8), (2, 8), (2, 6), (2, 1)]
    for got, z, a in zip(by_x["layers"], fwd.zs, fwd.activations, strict=True):
        np.testing.assert_array_equal(got["z"], z)
        np.testing.assert_array_equal(got["a"], a)
    np.testing.assert_array_equal(by_x["output"], fwd.output)


def test_forward_defaults_to_the_first_sample(client: TestClient, create: Create) -> None:
    body = _post(client, create(WORKED_EXAMPLE)["id"], "forward", {})
    assert (body["indices"], body["output"]) == ([0], [[4.0]])


# --- decision boundary ---------------------------------------------------------------------


def test_boundary_over_the_2d_plane(client: TestClient, create_preset: CreatePreset) -> None:
    session = create_preset("xor")  # layers [2, 2, 1]
    body = _get(client, session["id"], "/boundary", resolution=5, neurons=True)
    assert (body["dims"], body["resolution"]) == (2, 5)
    assert body["domain"] == [[-6.0, 6.0], [-6.0, 6.0]]
    assert len(body["output"]) == 25
    assert [np.shape(layer) for layer in body["neurons"]] == [(2, 25), (1, 25)]
    assert body["neurons"][-1][0] == body["output"]
    # Row-major, x₂ from the top (+6) down, x₁ from left to right.
    corners = np.array([[-6.0, 6.0], [6.0, 6.0], [-6.0, -6.0], [6.0, -6.0]])
    out = _post(client, session["id"], "forward", {"x": corners.tolist()})["output"]
    np.testing.assert_allclose(np.array(body["output"])[[0, 4, 20, 24]], np.ravel(out))


def test_boundary_without_neurons(client: TestClient, create_preset: CreatePreset) -> None:
    body = _get(client, create_preset("xor")["id"], "/boundary", resolution=3)
    assert len(body["output"]) == 9
    assert "neurons" not in body


def test_boundary_over_the_1d_line(client: TestClient, create_preset: CreatePreset) -> None:
    changes = {"network": {"layers": [1, 5, 3, 1], "activations": ["tanh", "tanh", "linear"],
                           "features": None},
               "dataset": {"name": "sine", "n_samples": 40}}  # fmt: skip
    session = create_preset("diverging", **changes)
    body = _get(client, session["id"], "/boundary", resolution=7, neurons=True)
    assert (body["dims"], body["domain"]) == (1, [[-6.0, 6.0]])
    assert len(body["output"]) == 7
    assert [np.shape(layer) for layer in body["neurons"]] == [(5, 7), (3, 7), (1, 7)]
    line = np.linspace(-6.0, 6.0, 7)[:, None]
    np.testing.assert_allclose(
        body["output"], _engine(session["network"]).forward(line).output[:, 0]
    )


# --- gradient check and paths --------------------------------------------------------------


@pytest.mark.parametrize("preset", ["xor", "spiral"])
def test_gradcheck_passes(client: TestClient, create_preset: CreatePreset, preset: str) -> None:
    session_id = create_preset(preset)["id"]
    body = _post(client, session_id, "gradcheck", {"indices": [2]})
    assert body["passed"] is True
    assert body["max_relative_error"] <= body["threshold"]
    assert [layer["layer"] for layer in body["layers"]] == list(range(1, 1 + len(body["layers"])))
    for layer in body["layers"]:
        np.testing.assert_allclose(layer["backprop_weights"], layer["numeric_weights"], rtol=1e-5)


@pytest.mark.parametrize(("preset", "layer"), [("xor", 1), ("spiral", 3), ("worked-example", 1)])
def test_gradcheck_fails_without_a_layers_derivative(
    client: TestClient, create_preset: CreatePreset, preset: str, layer: int
) -> None:
    session_id = create_preset(preset)["id"]
    body = _post(client, session_id, "gradcheck", {"drop_derivative_layer": layer})
    assert body["passed"] is False
    assert body["drop_derivative_layer"] == layer
    assert body["max_relative_error"] > body["threshold"]
    worst = max(body["layers"], key=lambda entry: entry["max_relative_error"])
    assert worst["layer"] <= layer  # the error shows in that layer and those below it


def test_gradcheck_without_the_output_derivative_of_bce_still_passes(
    client: TestClient, create_preset: CreatePreset
) -> None:
    """With a sigmoid output and bce, σ' cancels: δ^L = a − y has no σ' left to forget."""
    session_id = create_preset("xor")["id"]
    assert _post(client, session_id, "gradcheck", {"drop_derivative_layer": 2})["passed"] is True


def test_each_gradcheck_row_is_one_parameters_own_numbers(
    client: TestClient, create_preset: CreatePreset
) -> None:
    """Every row's backprop and numeric values are the layer matrices' entries at its
    indices, and its error is computed from those two, not taken from another weight."""
    session_id = create_preset("spiral")["id"]
    _step(client, session_id, 200)
    body = _post(client, session_id, "gradcheck", {"indices": [5]})
    trace = _post(client, session_id, "backward", {"indices": [5]})
    scale = body["gradient_scale"]
    counts = {"pass": 0, "fail": 0, "kink": 0}
    for layer, traced in zip(body["layers"], trace["layers"], strict=True):
        assert len(layer["parameters"]) == sum(len(row) + 1 for row in layer["backprop_weights"])
        ratios = [p["error"] / p["tolerance"] for p in layer["parameters"]]
        assert ratios[layer["worst"]] == max(ratios)
        assert layer["max_relative_error"] == max(p["error"] for p in layer["parameters"])
        for p in layer["parameters"]:
            counts[p["verdict"]] += 1
            j, k = p["row"], p["column"]
            if p["kind"] == "W":
                assert p["name"] == f"W^{layer['layer']}_{{{j},{k}}}"
                assert (
                    p["backprop"] == layer["backprop_weights"][j][k] == traced["grad_weights"][j][k]
                )
                assert p["numeric"] == layer["numeric_weights"][j][k]
            else:
                assert p["backprop"] == layer["backprop_biases"][j] == traced["grad_biases"][j]
                assert p["numeric"] == layer["numeric_biases"][j]
            size = max(abs(p["backprop"]), abs(p["numeric"]), 1e-3 * scale)
            assert p["error"] == pytest.approx(abs(p["backprop"] - p["numeric"]) / size)
            assert p["tolerance"] >= body["threshold"]
            assert p["verdict"] == ("pass" if p["error"] <= p["tolerance"] else "fail")
    assert body["counts"] == counts and counts["fail"] == 0 and body["passed"] is True


def test_gradcheck_reports_a_parameter_at_a_relu_kink_as_a_kink(
    client: TestClient, create: Create
) -> None:
    """z¹ = w x + b = 1·1 − 1 = 0 exactly: w¹ and b¹ move it across relu's kink."""
    session = create({
        "network": {"layers": [1, 1, 1], "activations": ["relu", "linear"], "loss": "mse",
                    "weights": [[[1.0]], [[2.0]]], "biases": [[-1.0], [0.5]]},
        "dataset": {"x": [[1.0]], "y": [[3.0]], "kind": "regression"},
    })  # fmt: skip
    body = _post(client, session["id"], "gradcheck", {"indices": [0]})
    assert [p["verdict"] for p in body["layers"][0]["parameters"]] == ["kink", "kink"]
    assert [p["verdict"] for p in body["layers"][1]["parameters"]] == ["pass", "pass"]
    assert body["counts"] == {"pass": 2, "fail": 0, "kink": 2}
    assert body["passed"] is True
    # the numbers disagree there (the difference straddles two slopes), and that is no failure
    assert body["layers"][0]["parameters"][1]["error"] > 0.1


@pytest.mark.parametrize(("layer", "row", "column"), [(1, 0, 1), (1, 7, 3), (2, 4, 5), (4, 0, 5)])
def test_path_sum_equals_the_delta_recurrence(
    client: TestClient, create_preset: CreatePreset, layer: int, row: int, column: int
) -> None:
    session = create_preset("spiral")  # layers [4, 8, 8, 6, 1]
    body = _post(client, session["id"], "paths",
                 {"layer": layer, "row": row, "column": column, "index": 3})  # fmt: skip
    widths = session["network"]["layers"]
    assert body["paths"] == math.prod(widths[layer + 1 :])
    assert body["path_gradient"] == pytest.approx(body["dp_gradient"], rel=1e-12, abs=1e-15)
    trace = _post(client, session["id"], "backward", {"indices": [3]})
    assert body["dp_gradient"] == trace["layers"][layer - 1]["grad_weights"][row][column]
    assert body["dp_multiply_adds"] > 0 and body["path_multiply_adds"] > 0
    for path in body["top_paths"]:
        assert path["neurons"][0] == row and len(path["neurons"]) == len(widths) - layer


def test_path_costs_grow_exponentially_with_depth(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session_id = create_preset("xor")["id"]
    costs = _post(client, session_id, "paths", {"layer": 1, "row": 0, "column": 0})["cost_by_depth"]
    assert [c["hidden_layers"] for c in costs] == list(range(len(costs)))
    assert [c["paths"] for c in costs[1:6]] == [1, 2, 4, 8, 16]  # hidden width 2, one output
    assert costs[-1]["path_multiply_adds"] > costs[-1]["dp_multiply_adds"]


# --- metrics and snapshots -----------------------------------------------------------------


def test_metrics_are_columns_since_a_step(client: TestClient, create_preset: CreatePreset) -> None:
    session = create_preset("xor")
    session_id = session["id"]
    # A new session's history is its step-0 record, the one the create answer shows.
    assert session["metrics"]["step"] == 0
    initial = _get(client, session_id, "/metrics")
    assert initial == {key: [value] for key, value in session["metrics"].items()}
    _step(client, session_id, 8)
    metrics = _get(client, session_id, "/metrics")
    assert metrics["step"] == list(range(9))
    assert all(len(column) == 9 for column in metrics.values())
    assert {key: column[:1] for key, column in metrics.items()} == initial
    since = _get(client, session_id, "/metrics", since=6)
    assert since == {key: column[6:] for key, column in metrics.items()}
    assert _get(client, session_id, "/metrics", since=0) == metrics


def test_snapshots_keep_every_early_step(client: TestClient, create: Create) -> None:
    session_id = create(WORKED_EXAMPLE)["id"]
    _step(client, session_id, 60)
    snapshots = _get(client, session_id, "/snapshots")["snapshots"]
    assert [s["step"] for s in snapshots] == [*range(51), 60]
    expected = [2.0, *_worked_example_weights(50)]
    np.testing.assert_allclose([s["weights"][0][0][0] for s in snapshots[:51]], expected)
    assert all(s["biases"] is None for s in snapshots)


@pytest.fixture
def few_snapshots_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(db_path=tmp_path / "db.sqlite3", limits=Limits(max_snapshots=60))
    with TestClient(create_app(settings)) as client:
        yield client


def test_snapshots_stay_within_the_limit(few_snapshots_client: TestClient) -> None:
    client = few_snapshots_client
    response = client.post("/api/networks", json=WORKED_EXAMPLE)
    session_id = response.json()["id"]
    _step(client, session_id, 50)
    for _ in range(70):  # a snapshot (at least) at the end of each call
        _step(client, session_id, 2)
    steps = [s["step"] for s in _get(client, session_id, "/snapshots")["snapshots"]]
    assert len(steps) == 60
    assert steps[:51] == list(range(51))
    assert steps[-1] == 190
    assert steps == sorted(steps)
    gaps = np.diff(steps[50:-1])  # the newest is always kept, however close to the one before
    assert gaps.max() <= 3 * gaps.min()  # spread evenly over the run, not bunched at its end


# --- divergence and finiteness -------------------------------------------------------------


def test_diverging_preset_refuses_the_step_that_overflows(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session_id = create_preset("diverging")["id"]
    answer = _step(client, session_id, 2000)
    assert answer["diverged"] is True
    assert "learning rate" in answer["message"]
    step = answer["step"]
    assert 0 < step < 2000 and answer["applied_steps"] == step
    assert len(answer["history"]["step"]) == step

    session = _get(client, session_id)
    assert session["step"] == step
    assert session["network"]["weights"] == answer["network"]["weights"]
    # The step-0 record, then one per applied step: none for the refused one.
    assert _get(client, session_id, "/metrics")["step"] == list(range(step + 1))

    again = _step(client, session_id)  # the same step is refused again, changing nothing
    assert (again["diverged"], again["applied_steps"], again["step"]) == (True, 0, step)
    assert again["network"] == answer["network"]
    assert f"step {step + 1}" in again["message"]
    # Every answer on the blown-up session stays finite JSON (checked on each response).
    _get(client, session_id, "/boundary", resolution=4, neurons=True)
    _post(client, session_id, "forward", {"indices": [0, 1]})
    _get(client, session_id, "/export")


def test_a_smaller_learning_rate_recovers_a_diverging_session(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session_id = create_preset("diverging")["id"]
    client.patch(f"/api/networks/{session_id}/training", json={"learning_rate": 0.01})
    answer = _step(client, session_id, 200)
    assert (answer["diverged"], answer["step"]) == (False, 200)
    losses = answer["history"]["train_loss"]
    assert losses[-1] < losses[0]
