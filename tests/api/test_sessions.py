"""Stored sessions: create, read, list, delete, reset, export/import, edits, persistence."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.engine.network import Network
from app.main import create_app
from app.sessions import compute
from app.settings import Settings
from tests.api.conftest import WORKED_EXAMPLE, preset_request

Json = dict[str, Any]
Create = Callable[[Json], Json]
CreatePreset = Callable[..., Json]

UNKNOWN = "AAAAAAAAAAAAAAAAAAAAAA"


def _step(client: TestClient, session_id: str, steps: int = 1) -> Json:
    response = client.post(f"/api/networks/{session_id}/step", json={"steps": steps})
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def _get(client: TestClient, session_id: str) -> Json:
    response = client.get(f"/api/networks/{session_id}")
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def _metrics(client: TestClient, session_id: str) -> Json:
    response = client.get(f"/api/networks/{session_id}/metrics")
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def _engine(network: Json) -> Network:
    return Network.from_arrays(network["layers"], network["activations"], network["loss"],
                               network["weights"], network["biases"], network["bias"])  # fmt: skip


def _features(session: Json, x_raw: np.ndarray) -> np.ndarray:
    """The network's input for raw points, computed here (only the presets' features)."""
    columns = {"x1": x_raw[:, :1], "x2": x_raw[:, 1:2], "sin_x1": np.sin(x_raw[:, :1]),
               "sin_x2": np.sin(x_raw[:, 1:2])}  # fmt: skip
    features = session["network"]["features"]
    return x_raw if features is None else np.hstack([columns[f] for f in features])


def _accuracy(output: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((output[:, 0] >= 0.5) == (y[:, 0] >= 0.5)))


def _step_0_record(client: TestClient, session: Json) -> Json:
    """The step-0 metrics computed here with the engine from the session's own weights and
    data: loss and accuracy over the whole train and test sets, and ‖δ^l‖ (Frobenius / √B)
    and ‖∂C/∂W^l‖ of the minibatch the first step will use (``POST /backward {}`` names it)."""
    net, data = _engine(session["network"]), session["dataset"]
    x, y = _features(session, np.array(data["x"])), np.array(data["y"])
    test_x = _features(session, np.array(data["test_x"]).reshape(-1, data["input_dim"]))
    test_y = np.array(data["test_y"]).reshape(-1, y.shape[1])
    classification = data["kind"] == "classification"
    batch = client.post(f"/api/networks/{session['id']}/backward", json={}).json()["indices"]
    assert len(batch) == min(session["training"]["batch_size"], len(x))
    trace = net.backward(x[batch], y[batch])
    has_test = len(test_x) > 0
    return {
        "step": 0,
        "train_loss": pytest.approx(net.loss_value(x, y), rel=1e-12),
        "test_loss": pytest.approx(net.loss_value(test_x, test_y), rel=1e-12) if has_test else None,
        "train_accuracy": _accuracy(net.forward(x).output, y) if classification else None,
        "test_accuracy": (
            _accuracy(net.forward(test_x).output, test_y) if classification and has_test else None
        ),
        "delta_norms": pytest.approx(
            [np.linalg.norm(t.delta) / np.sqrt(len(batch)) for t in trace.layers], rel=1e-12
        ),
        "grad_norms": pytest.approx(
            [np.linalg.norm(t.grad_weights) for t in trace.layers], rel=1e-12
        ),
    }


# --- create, read, list, delete ------------------------------------------------------------


def test_create_answers_201_with_an_unguessable_id(create: Create) -> None:
    first, second = create(WORKED_EXAMPLE), create(WORKED_EXAMPLE)
    for session in (first, second):
        # secrets.token_urlsafe(16): 128 random bits as 22 URL-safe base64 characters
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", session["id"]), session["id"]
    assert first["id"] != second["id"]


def test_create_answers_the_session(client: TestClient, create_preset: CreatePreset) -> None:
    session = create_preset("xor")
    assert session["step"] == 0
    # The step-0 record: the untrained network over the whole dataset (see _step_0_record).
    assert session["metrics"] == _step_0_record(client, session)
    net = session["network"]
    assert (net["layers"], net["activations"], net["loss"]) == ([2, 2, 1], ["sigmoid"] * 2, "bce")
    assert [np.shape(w) for w in net["weights"]] == [(2, 2), (1, 2)]
    assert [np.shape(b) for b in net["biases"]] == [(2,), (1,)]
    data = session["dataset"]
    assert (data["n_train"], data["n_test"]) == (160, 40)  # test_fraction 0.2 of 200
    assert np.shape(data["x"]) == (160, 2)
    assert session["training"]["learning_rate"] == 0.3


# --- the step-0 record --------------------------------------------------------------------

# The worked example before any update: C = ½·(w·x)⁴ = ½·2⁴ = 8 and δ = ∂C/∂W = 2w³ = 16 at
# w = 2; a regression (its preset says so, though y = 0), so no accuracy; no test set.
WORKED_STEP_0: Json = {
    "step": 0, "train_loss": 8.0, "test_loss": None, "train_accuracy": None,
    "test_accuracy": None, "delta_norms": [16.0], "grad_norms": [16.0],
}  # fmt: skip


def _columns(record: Json) -> Json:
    """``GET …/metrics`` holding just this record."""
    return {key: [value] for key, value in record.items()}


def test_the_worked_example_starts_at_c_equals_8(client: TestClient, create: Create) -> None:
    session = create(WORKED_EXAMPLE)
    assert session["dataset"]["kind"] == "regression"
    assert session["metrics"] == WORKED_STEP_0
    assert _get(client, session["id"])["metrics"] == WORKED_STEP_0
    assert _metrics(client, session["id"]) == _columns(WORKED_STEP_0)
    first = _step(client, session["id"])["metrics"]
    assert (first["step"], first["train_loss"]) == (1, pytest.approx(0.5 * 1.68**4, rel=1e-15))
    metrics = _metrics(client, session["id"])
    assert metrics["step"] == [0, 1]
    assert metrics["train_loss"] == [8.0, first["train_loss"]]


@pytest.mark.parametrize("preset", ["xor", "spiral", "dead-relu", "diverging"])
def test_a_new_session_has_the_step_0_record(
    client: TestClient, create_preset: CreatePreset, preset: str
) -> None:
    session = create_preset(preset)
    record = session["metrics"]
    assert record == _step_0_record(client, session)
    assert _get(client, session["id"])["metrics"] == record
    assert _metrics(client, session["id"]) == _columns(record)
    # The first step uses that minibatch at those weights: its norms are the step-0 norms.
    first = _step(client, session["id"])["metrics"]
    assert (first["delta_norms"], first["grad_norms"]) == (
        record["delta_norms"],
        record["grad_norms"],
    )
    assert first["train_loss"] != record["train_loss"]  # … and its loss is after the update
    assert _metrics(client, session["id"]) == {key: [record[key], first[key]] for key in record}


def test_reset_leaves_exactly_the_step_0_record(client: TestClient, create: Create) -> None:
    session_id = create(WORKED_EXAMPLE)["id"]
    _step(client, session_id, 5)
    assert len(_metrics(client, session_id)["step"]) == 6  # step 0 and one per step
    reset = client.post(f"/api/networks/{session_id}/reset").json()
    assert reset["metrics"] == WORKED_STEP_0
    assert _get(client, session_id)["metrics"] == WORKED_STEP_0
    assert _metrics(client, session_id) == _columns(WORKED_STEP_0)
    _step(client, session_id, 3)
    metrics = _metrics(client, session_id)
    assert metrics["step"] == [0, 1, 2, 3]
    assert metrics["train_loss"][0] == 8.0


def test_reset_records_step_0_over_the_current_data(
    client: TestClient, create_preset: CreatePreset
) -> None:
    """Points added and a batch size changed since creation are what step 0 is measured on."""
    session_id = create_preset("xor")["id"]
    url = f"/api/networks/{session_id}"
    _step(client, session_id, 3)
    for point in ({"x": [0.25, -0.5], "y": [1.0]}, {"x": [3.0, 3.0], "y": [0.0], "split": "test"}):
        assert client.post(f"{url}/points", json=point).is_success
    assert client.patch(f"{url}/training", json={"batch_size": 7}).is_success
    reset = client.post(f"{url}/reset").json()
    assert (reset["dataset"]["n_train"], reset["dataset"]["n_test"]) == (161, 41)
    assert reset["metrics"] == _step_0_record(client, reset)
    assert _metrics(client, session_id) == _columns(reset["metrics"])


def test_a_point_inserted_at_an_index_puts_a_removal_back_exactly(
    client: TestClient, create_preset: CreatePreset
) -> None:
    """Undo of a removal: DELETE point i, then POST it with ``index`` i, gives the same data
    set, row for row; an index past the end is refused whole, naming ``index``."""
    session_id = create_preset("xor")["id"]
    url = f"/api/networks/{session_id}"
    before = _get(client, session_id)["dataset"]
    x, y = before["x"][5], before["labels"][5]
    assert client.delete(f"{url}/points/train/5").is_success
    back = client.post(f"{url}/points", json={"x": x, "y": y, "index": 5}).json()["dataset"]
    assert (back["x"], back["labels"]) == (before["x"], before["labels"])
    first = client.post(f"{url}/points", json={"x": [0.5, 0.5], "y": [0.0], "index": 0})
    assert first.json()["dataset"]["x"][:2] == [[0.5, 0.5], before["x"][0]]
    n = first.json()["dataset"]["n_train"]
    for bad in (n + 1, -1, "2", 1.0):
        refused = client.post(f"{url}/points", json={"x": [0.5, 0.5], "y": [0.0], "index": bad})
        assert refused.status_code == 422 and "index" in refused.text
    assert _get(client, session_id)["dataset"]["n_train"] == n


def test_weights_that_overflow_get_no_step_0_record(client: TestClient, create: Create) -> None:
    """C = ½(w·x)⁴ at w = 1e100 is not a finite number: no record rather than a non-finite one."""
    request = preset_request("worked-example", network={"weights": [[[1e100]]]})
    session = create(request)
    assert session["metrics"] is None
    assert _get(client, session["id"])["metrics"] is None
    empty: Json = {key: [] for key in WORKED_STEP_0}
    assert _metrics(client, session["id"]) == empty
    reset = client.post(f"/api/networks/{session['id']}/reset").json()
    assert (reset["step"], reset["metrics"]) == (0, None)
    assert _metrics(client, session["id"]) == empty


def test_a_restored_state_gets_a_step_0_record_only_at_step_0(
    client: TestClient, create_preset: CreatePreset
) -> None:
    """Without ``history``, a state at step 0 is a new run (step-0 record); a state further on
    has no record to make (it cannot know its past), so its metrics stay null until it steps."""
    original = create_preset("xor")
    at_start = _export(client, original["id"])
    _step(client, original["id"], 7)
    mid_run = _export(client, original["id"])

    fresh = client.post("/api/networks", json={**at_start, "history": None}).json()
    assert fresh["metrics"] == original["metrics"]
    assert _metrics(client, fresh["id"]) == _columns(original["metrics"])

    later = client.post("/api/networks", json={**mid_run, "history": None}).json()
    assert (later["step"], later["metrics"]) == (7, None)
    assert _metrics(client, later["id"]) == {key: [] for key in original["metrics"]}
    stepped = _step(client, later["id"])["metrics"]
    assert _metrics(client, later["id"]) == _columns(stepped)
    assert stepped == _step(client, original["id"])["metrics"]


# --- custom datasets: kind ------------------------------------------------------------------

# Targets that are all 0 or 1, so the kind is classification unless the request says otherwise.
BINARY = {"x": [[-1.0], [0.0], [1.0], [2.0]], "y": [[0.0], [1.0], [1.0], [0.0]],
          "test_x": [[0.5], [1.5]], "test_y": [[1.0], [0.0]]}  # fmt: skip
SMALL_NET = {"layers": [1, 3, 1], "activations": ["tanh", "sigmoid"], "loss": "mse",
             "init": "xavier", "seed": 0}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "expected"),
    [(None, "classification"), ("classification", "classification"), ("regression", "regression")],
    ids=["inferred", "classification", "regression"],
)
def test_custom_dataset_kind(
    client: TestClient, create: Create, kind: str | None, expected: str
) -> None:
    dataset = {**BINARY, "kind": kind} if kind else dict(BINARY)
    session = create({"network": SMALL_NET, "dataset": dataset,
                      "training": {"batch_size": 2}})  # fmt: skip
    data = session["dataset"]
    assert data["kind"] == expected
    assert (data["y"], data["test_y"]) == (BINARY["y"], BINARY["test_y"])
    record = session["metrics"]
    assert record == _step_0_record(client, session)
    if expected == "regression":
        # 0 and 1 are numbers to fit: no labels, no accuracy, at step 0 or after.
        assert (data["labels"], data["test_labels"]) == (None, None)
        assert (record["train_accuracy"], record["test_accuracy"]) == (None, None)
        _step(client, session["id"], 3)
        metrics = _metrics(client, session["id"])
        assert metrics["step"] == [0, 1, 2, 3]
        assert metrics["train_accuracy"] == metrics["test_accuracy"] == [None] * 4
    else:
        assert (data["labels"], data["test_labels"]) == (BINARY["y"], BINARY["test_y"])
        assert record["train_accuracy"] is not None and record["test_accuracy"] is not None
    # The kind survives export and import.
    exported = _export(client, session["id"])
    assert exported["dataset"]["kind"] == expected
    imported = client.post("/api/networks", json=exported).json()
    assert imported["dataset"]["kind"] == expected
    assert _export(client, imported["id"]) == exported


def test_custom_targets_other_than_0_and_1_are_a_regression(create: Create) -> None:
    dataset = {"x": [[0.0], [1.0]], "y": [[0.5], [2.0]]}
    assert create({"network": SMALL_NET, "dataset": dataset})["dataset"]["kind"] == "regression"


@pytest.mark.parametrize("split", ["y", "test_y"])
def test_classification_needs_0_1_targets(client: TestClient, split: str) -> None:
    dataset = {**BINARY, "kind": "classification", split: [[0.5]] * len(BINARY[split])}
    response = client.post("/api/networks", json={"network": SMALL_NET, "dataset": dataset})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"].startswith("dataset.kind")
    assert body["errors"][0]["loc"] == ["dataset", "kind"]
    assert client.get("/api/networks").json() == {"sessions": []}  # nothing was created


def test_explicit_dataset_is_used_whole_without_test_split(create: Create) -> None:
    data = create(WORKED_EXAMPLE)["dataset"]
    assert (data["x"], data["y"], data["test_x"], data["n_test"]) == ([[1.0]], [[0.0]], [], 0)


def test_get_answers_the_same_session(client: TestClient, create_preset: CreatePreset) -> None:
    created = create_preset("xor")
    assert _get(client, created["id"]) == created


def test_get_shows_the_current_step_and_weights(client: TestClient, create: Create) -> None:
    session = create(WORKED_EXAMPLE)
    stepped = _step(client, session["id"], 3)
    got = _get(client, session["id"])
    assert got["step"] == 3
    assert got["network"]["weights"] == stepped["network"]["weights"]
    assert got["metrics"] == stepped["metrics"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("DELETE", "", None),
        ("POST", "/reset", None),
        ("GET", "/export", None),
        ("PATCH", "/parameter", {"layer": 1, "row": 0, "column": 0, "value": 1.0}),
        ("PATCH", "/training", {"learning_rate": 0.1}),
        ("POST", "/points", {"x": [0.0], "y": [0.0]}),
        ("DELETE", "/points/train/0", None),
        ("POST", "/step", {"steps": 1}),
        ("POST", "/forward", {}),
        ("POST", "/backward", {}),
        ("GET", "/metrics", None),
        ("GET", "/snapshots", None),
        ("GET", "/boundary", None),
        ("POST", "/gradcheck", {}),
        ("POST", "/paths", {"layer": 1, "row": 0, "column": 0}),
    ],
)
def test_unknown_id_answers_404_with_detail(
    client: TestClient, method: str, path: str, body: Json | None
) -> None:
    response = client.request(method, f"/api/networks/{UNKNOWN}{path}", json=body)
    assert response.status_code == 404
    assert UNKNOWN in response.json()["detail"]


def test_list_is_most_recent_first(client: TestClient, create: Create) -> None:
    ids = [create(WORKED_EXAMPLE)["id"] for _ in range(3)]
    time.sleep(0.01)
    _step(client, ids[0])  # using a session makes it the most recent
    listed = client.get("/api/networks").json()["sessions"]
    assert [s["id"] for s in listed] == [ids[0], ids[2], ids[1]]
    assert listed[0] | {"updated_at": 0} == {
        "id": ids[0], "step": 1, "updated_at": 0, "layers": [1, 1], "dataset": "worked example"
    }  # fmt: skip
    limited = client.get("/api/networks", params={"limit": 2}).json()["sessions"]
    assert [s["id"] for s in limited] == [ids[0], ids[2]]


def test_delete_answers_204_then_the_session_is_gone(client: TestClient, create: Create) -> None:
    session_id = create(WORKED_EXAMPLE)["id"]
    response = client.delete(f"/api/networks/{session_id}")
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/networks/{session_id}").status_code == 404
    assert client.get(f"/api/networks/{session_id}/metrics").status_code == 404
    assert client.delete(f"/api/networks/{session_id}").status_code == 404
    assert client.get("/api/networks").json() == {"sessions": []}


# --- reset ---------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["worked-example", "xor"])  # explicit weights, init + seed
def test_reset_restores_initial_weights_and_clears_history(
    client: TestClient, create_preset: CreatePreset, preset: str
) -> None:
    def stepped_once(session_id: str) -> Json:
        network: Json = _step(client, session_id)["network"]
        return network

    created = create_preset(preset)
    session_id = created["id"]
    stepped = _step(client, session_id, 5)
    assert stepped["network"]["weights"] != created["network"]["weights"]

    response = client.post(f"/api/networks/{session_id}/reset")
    assert response.status_code == 200
    reset = response.json()
    assert reset["step"] == 0
    assert reset["network"]["weights"] == created["network"]["weights"]
    assert reset["network"]["biases"] == created["network"]["biases"]
    # The same weights and the same first minibatch: the creation's step-0 record, bit for bit.
    assert reset["metrics"]["step"] == 0
    assert reset["metrics"] == created["metrics"]
    assert _get(client, session_id) == reset
    # The history is cleared down to exactly that one record.
    assert _metrics(client, session_id) == {key: [value] for key, value in reset["metrics"].items()}
    snapshots = client.get(f"/api/networks/{session_id}/snapshots").json()["snapshots"]
    assert [s["step"] for s in snapshots] == [0]
    # The minibatch order restarts too: the first step after a reset repeats the first one.
    assert _step(client, session_id)["network"] == stepped_once(create_preset(preset)["id"])


# --- export and import ---------------------------------------------------------------------


def _export(client: TestClient, session_id: str) -> Json:
    response = client.get(f"/api/networks/{session_id}/export")
    assert response.status_code == 200
    doc: Json = response.json()
    return doc


# id → (preset, changes to its request)
ROUND_TRIPS: dict[str, tuple[str, Json]] = {
    "explicit-weights": ("worked-example", {}),
    "xor-sgd": ("xor", {}),
    "spiral-adam-features": ("spiral", {}),
    "relu-momentum-l2": ("dead-relu", {"training": {"optimizer": "momentum", "learning_rate": 0.05,
                                                    "regularization": "l2",
                                                    "regularization_rate": 0.01}}),
    "sine-regression": ("diverging", {"network": {"layers": [1, 4, 1], "features": None},
                                      "dataset": {"name": "sine", "n_samples": 50},
                                      "training": {"learning_rate": 0.01}}),
}  # fmt: skip


@pytest.mark.parametrize(("preset", "changes"), ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_export_then_import_reproduces_the_session_exactly(
    client: TestClient, create: Create, preset: str, changes: Json
) -> None:
    request = preset_request(preset, **changes)
    original = create(request)["id"]
    _step(client, original, 7)  # mid-epoch, with optimiser state and history
    exported = _export(client, original)

    response = client.post("/api/networks", json=exported)
    assert response.status_code == 201, response.text
    imported = response.json()["id"]
    assert imported != original
    assert _export(client, imported) == exported
    assert _get(client, imported)["step"] == 7

    a, b = _step(client, original, 6), _step(client, imported, 6)
    assert a["network"] == b["network"]
    assert a["history"] == b["history"]
    metrics = [client.get(f"/api/networks/{i}/metrics").json() for i in (original, imported)]
    assert metrics[0] == metrics[1]
    # The original's step-0 record travels with the export; the import adds none of its own.
    assert metrics[0]["step"] == list(range(14))
    assert exported["history"]["metrics"]["step"] == list(range(8))
    snapshots = [client.get(f"/api/networks/{i}/snapshots").json() for i in (original, imported)]
    assert snapshots[0] == snapshots[1]
    # Reset of the import goes back to the original's initial weights, not the imported ones.
    reset = [client.post(f"/api/networks/{i}/reset").json() for i in (original, imported)]
    assert reset[0]["network"] == reset[1]["network"]
    # … and both get the step-0 record the original was created with.
    assert reset[0]["metrics"] == reset[1]["metrics"]
    assert reset[0]["metrics"]["step"] == 0
    assert {k: v[0] for k, v in exported["history"]["metrics"].items()} == reset[0]["metrics"]


@pytest.mark.parametrize("column", ["train_loss", "test_accuracy", "grad_norms"])
def test_an_import_whose_metrics_columns_differ_in_length_names_the_column(
    client: TestClient, create_preset: CreatePreset, column: str
) -> None:
    original = create_preset("xor")["id"]
    _step(client, original, 2)
    exported = _export(client, original)
    exported["history"]["metrics"][column].pop()
    response = client.post("/api/networks", json=exported)
    assert response.status_code == 422
    assert response.json()["detail"] == f"history.metrics.{column}: must have 3 entries, like step"


def test_export_after_edits_reproduces_the_edited_session(
    client: TestClient, create_preset: CreatePreset
) -> None:
    original = create_preset("xor")["id"]
    _step(client, original, 3)
    url = f"/api/networks/{original}"
    client.patch(f"{url}/parameter", json={"layer": 1, "row": 1, "column": 0, "value": 0.3})
    client.patch(f"{url}/training", json={"learning_rate": 0.7, "batch_size": 7})
    client.post(f"{url}/points", json={"x": [0.25, -0.5], "y": [1.0]})
    client.delete(f"{url}/points/test/3")
    _step(client, original, 2)
    exported = _export(client, original)

    imported = client.post("/api/networks", json=exported).json()
    assert (imported["dataset"]["n_train"], imported["dataset"]["n_test"]) == (161, 39)
    assert imported["training"] == _get(client, original)["training"]
    assert _export(client, imported["id"]) == exported
    assert _step(client, original, 4)["network"] == _step(client, imported["id"], 4)["network"]


# --- edits in place ------------------------------------------------------------------------


def test_set_a_weight_and_a_bias(client: TestClient, create_preset: CreatePreset) -> None:
    session = create_preset("xor")
    url = f"/api/networks/{session['id']}/parameter"
    edit = {"layer": 2, "kind": "weight", "row": 0, "column": 1, "value": 0.625}
    response = client.patch(url, json=edit)
    assert response.status_code == 200
    assert response.json()["network"]["weights"][1][0][1] == 0.625
    assert client.patch(url, json={"layer": 1, "kind": "bias", "row": 1, "value": -1.5}).is_success

    got = _get(client, session["id"])["network"]
    expected_w = session["network"]["weights"]
    expected_w[1][0][1] = 0.625
    expected_b = session["network"]["biases"]
    expected_b[0][1] = -1.5
    assert (got["weights"], got["biases"]) == (expected_w, expected_b)


def test_an_edited_weight_is_used_by_the_next_pass(client: TestClient, create: Create) -> None:
    session_id = create(WORKED_EXAMPLE)["id"]
    edit = {"layer": 1, "row": 0, "column": 0, "value": 1.0}
    client.patch(f"/api/networks/{session_id}/parameter", json=edit)
    trace = _step(client, session_id)["trace"]
    assert trace["loss"] == 0.5  # ½ w⁴ at w = 1


def test_learning_rate_changed_mid_run_is_used_by_the_next_step(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session_id = create_preset("xor")["id"]
    _step(client, session_id, 3)
    response = client.patch(f"/api/networks/{session_id}/training", json={"learning_rate": 0.05})
    assert response.status_code == 200
    assert response.json()["training"]["learning_rate"] == 0.05
    assert response.json()["training"]["optimizer"] == "sgd"  # the rest is kept

    before = _get(client, session_id)["network"]
    step = _step(client, session_id)
    after = step["network"]
    for l, layer in enumerate(step["trace"]["layers"]):
        expected = -0.05 * np.array(layer["grad_weights"])
        np.testing.assert_allclose(step["update"]["weights"][l], expected, rtol=1e-15)
        np.testing.assert_allclose(
            np.subtract(after["weights"][l], before["weights"][l]), expected, rtol=1e-12, atol=1e-17
        )
        np.testing.assert_allclose(
            step["update"]["biases"][l], -0.05 * np.array(layer["grad_biases"])
        )


def test_batch_size_and_optimizer_change_mid_run(
    client: TestClient, create_preset: CreatePreset
) -> None:
    session_id = create_preset("xor")["id"]
    patch = {"batch_size": 4, "optimizer": "adam", "beta1": 0.8}
    training = client.patch(f"/api/networks/{session_id}/training", json=patch).json()["training"]
    assert {k: training[k] for k in patch} == patch
    assert len(_step(client, session_id)["indices"]) == 4


def test_add_and_remove_points(client: TestClient, create_preset: CreatePreset) -> None:
    session_id = create_preset("xor")["id"]
    url = f"/api/networks/{session_id}/points"

    added = client.post(url, json={"x": [1.5, -2.0], "y": [1.0]})
    assert added.status_code == 200
    data = added.json()["dataset"]
    assert (data["n_train"], data["n_test"]) == (161, 40)
    assert (data["x"][-1], data["y"][-1]) == ([1.5, -2.0], [1.0])

    data = client.post(url, json={"x": [0.5, 0.5], "y": [0.0], "split": "test"}).json()["dataset"]
    assert (data["n_train"], data["n_test"]) == (161, 41)
    assert data["test_x"][-1] == [0.5, 0.5]

    second = data["x"][1]
    response = client.delete(f"{url}/train/0")
    assert response.status_code == 200
    data = response.json()["dataset"]
    assert (data["n_train"], data["n_test"]) == (160, 41)
    assert data["x"][0] == second
    data = client.delete(f"{url}/test/40").json()["dataset"]
    assert (data["n_train"], data["n_test"]) == (160, 40)

    assert _get(client, session_id)["dataset"] == data
    assert _step(client, session_id)["metrics"]["step"] == 1  # still trains


def test_an_added_point_is_selectable(client: TestClient, create: Create) -> None:
    session_id = create(WORKED_EXAMPLE)["id"]
    client.post(f"/api/networks/{session_id}/points", json={"x": [3.0], "y": [1.0]})
    out = client.post(f"/api/networks/{session_id}/forward", json={"indices": [1]}).json()
    assert out["output"] == [[36.0]]  # (w·x)² with w = 2, x = 3


# --- persistence ---------------------------------------------------------------------------


def test_a_fresh_app_on_the_same_database_sees_the_same_sessions(
    settings: Settings, client: TestClient, create_preset: CreatePreset
) -> None:
    ids = [create_preset(p)["id"] for p in ("worked-example", "spiral")]
    for session_id in ids:
        _step(client, session_id, 4)
    before = {i: _get(client, i) for i in ids}
    exports = {i: _export(client, i) for i in ids}
    listed = client.get("/api/networks").json()

    fresh: FastAPI = create_app(settings)
    with TestClient(fresh) as other:
        assert other.get("/api/networks").json() == listed
        for session_id in ids:
            assert other.get(f"/api/networks/{session_id}").json() == before[session_id]
            assert other.get(f"/api/networks/{session_id}/export").json() == exports[session_id]
        # It carries on exactly where the first app stopped …
        continued = other.post(f"/api/networks/{ids[1]}/step", json={"steps": 2}).json()
    control = create_preset("spiral")["id"]
    _step(client, control, 4)
    assert continued["network"] == _step(client, control, 2)["network"]
    # … and the first app, on the same file, sees that change rather than its cached copy.
    seen = _get(client, ids[1])
    assert seen["step"] == 6
    assert seen["network"]["weights"] == continued["network"]["weights"]


def test_a_call_that_loses_a_race_with_another_process_answers_409(
    settings: Settings, client: TestClient, create_preset: CreatePreset, monkeypatch: Any
) -> None:
    """Two server processes on one database: a call whose session another process saved
    while it ran is refused with 409 (not a 500), and sending it again applies it."""
    session_id = create_preset("xor")["id"]
    computed, other_saved = threading.Event(), threading.Event()
    run_steps = compute.run_steps

    def held_run_steps(*args: Any) -> Any:
        result = run_steps(*args)
        if not computed.is_set():  # only the first call waits, until the other process saved
            computed.set()
            assert other_saved.wait(10)
        return result

    monkeypatch.setattr(compute, "run_steps", held_run_steps)
    answers: list[Any] = []
    with TestClient(create_app(settings)) as other:
        slow = threading.Thread(
            target=lambda: answers.append(
                client.post(f"/api/networks/{session_id}/step", json={"steps": 21})
            )
        )
        slow.start()
        assert computed.wait(10)
        assert other.post(f"/api/networks/{session_id}/step", json={"steps": 1}).status_code == 200
        other_saved.set()
        slow.join(10)

    (lost,) = answers
    assert lost.status_code == 409
    assert "send it again" in lost.json()["detail"]
    assert _get(client, session_id)["step"] == 1
    assert _step(client, session_id, 21)["step"] == 22
