"""Bad input answers 4xx, never 500, with a ``detail`` that starts with the field's path.

One table across the endpoints; the server runs with small limits so each limit
is reached with small requests.
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.settings import Limits, Settings
from tests.api.conftest import preset_request, strict_json

LIMITS = Limits(
    max_layers=3, max_width=8, max_samples=300, max_batch=50, max_steps=100, max_grid=20,
    max_body_bytes=20_000, max_paths=4, max_gradcheck_params=40,
)  # fmt: skip

DEEP = [2, 8, 8, 1]  # 105 parameters, 8 paths from a first-layer weight
SESSIONS: dict[str, Any] = {
    "xor": preset_request("xor"),  # [2, 2, 1] sigmoid, bce; 160 train, 40 test points
    "worked": preset_request("worked-example"),  # [1, 1] square, no biases
    "deep": preset_request(
        "xor", network={"layers": DEEP, "activations": ["tanh"] * 2 + ["sigmoid"]}
    ),
    "full": preset_request("xor", dataset={"n_samples": LIMITS.max_samples}),
}


def _net(layers: list[int] | None = None, **changes: Any) -> dict[str, Any]:
    """A valid [2, 3, 1] network for /api/trace, with ``changes``."""
    layers = layers or [2, 3, 1]
    return {"layers": layers, "activations": ["tanh"] * (len(layers) - 2) + ["sigmoid"],
            "loss": "mse", "weights": [[[0.5] * m] * n for m, n in pairwise(layers)],
            "biases": [[0.0] * n for n in layers[1:]], **changes}  # fmt: skip


def _trace(network: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    return {"network": network or _net(), "x": [[0.5, -1.0]], "y": [[1.0]], **changes}


def _create(network: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    net = {"layers": [2, 3, 1], "activations": ["tanh", "sigmoid"], "loss": "bce"}
    return {"network": {**net, **(network or {})}, **changes}


TRACE_JSON = json.dumps(_trace())

# (id, method, path ({name} is a session id), body: dict → JSON, str → raw text, status, detail
# starts with)
CASES: list[tuple[str, str, str, Any, int, str]] = [
    # --- /api/trace: shapes, names, limits, non-finite numbers, malformed bodies
    ("weights-shape", "POST", "/api/trace",
     _trace(_net(weights=[[[0.5, 0.5]] * 3, [[0.5]] * 3])), 422, "network.weights[1]"),
    ("weights-count", "POST", "/api/trace",
     _trace(_net(weights=[[[0.5, 0.5]] * 3])), 422, "network.weights"),
    ("weights-ragged", "POST", "/api/trace",
     _trace(_net(weights=[[[0.5, 0.5], [0.5], [0.5, 0.5]], [[0.5] * 3]])), 422,
     "network.weights[0]"),
    ("biases-shape", "POST", "/api/trace",
     _trace(_net(biases=[[0.0] * 2, [0.0]])), 422, "network.biases[0]"),
    ("biases-with-bias-false", "POST", "/api/trace", _trace(_net(bias=False)), 422,
     "network.biases"),
    ("weights-missing", "POST", "/api/trace", _trace(_net(weights=None)), 422, "network.weights"),
    ("unknown-activation", "POST", "/api/trace",
     _trace(_net(activations=["swish", "sigmoid"])), 422, "network.activations[0]"),
    ("activation-count", "POST", "/api/trace",
     _trace(_net(activations=["tanh"])), 422, "network.activations"),
    ("unknown-loss", "POST", "/api/trace", _trace(_net(loss="hinge")), 422, "network.loss"),
    ("bce-with-tanh-output", "POST", "/api/trace",
     _trace(_net(loss="bce", activations=["tanh", "tanh"])), 422, "network.activations[1]"),
    ("zero-width", "POST", "/api/trace", _trace(_net([2, 0, 1])), 422, "network.layers[1]"),
    ("one-layer", "POST", "/api/trace", _trace(_net([2])), 422, "network.layers"),
    ("too-many-layers", "POST", "/api/trace", _trace(_net([2, 2, 2, 2, 1])), 422, "network.layers"),
    ("too-wide", "POST", "/api/trace", _trace(_net([2, 9, 1])), 422, "network.layers[1]"),
    ("too-many-rows", "POST", "/api/trace",
     _trace(x=[[0.5, -1.0]] * 51, y=[[1.0]] * 51), 422, "x"),
    ("x-width", "POST", "/api/trace", _trace(x=[[0.5, -1.0, 2.0]]), 422, "x"),
    ("x-ragged", "POST", "/api/trace",
     _trace(x=[[0.5, -1.0], [0.5]], y=[[1.0], [0.0]]), 422, "x"),
    ("x-empty", "POST", "/api/trace", _trace(x=[], y=[]), 422, "x"),
    ("y-rows", "POST", "/api/trace", _trace(y=[[1.0], [0.0]]), 422, "y"),
    ("y-width", "POST", "/api/trace", _trace(y=[[1.0, 0.0]]), 422, "y"),
    ("nan-in-x", "POST", "/api/trace", TRACE_JSON.replace("[[0.5, -1.0]]", "[[NaN, 1.0]]"),
     422, "x[0][0]"),
    ("infinity-in-weights", "POST", "/api/trace", TRACE_JSON.replace("0.5", "Infinity", 1),
     422, "network.weights[0][0][0]"),
    ("minus-infinity-in-y", "POST", "/api/trace", TRACE_JSON.replace("[[1.0]]", "[[-Infinity]]"),
     422, "y[0][0]"),
    ("overflowing-literal", "POST", "/api/trace", TRACE_JSON.replace("-1.0", "1e400"),
     422, "x[0][1]"),
    ("unknown-field", "POST", "/api/trace", _trace(color="red"), 422, "color"),
    ("unknown-nested-field", "POST", "/api/trace", _trace(_net(dropout=0.5)), 422,
     "network.dropout"),
    ("malformed-json", "POST", "/api/trace", TRACE_JSON[:40], 422, "body"),
    ("not-json", "POST", "/api/trace", "x = 1", 422, "body"),
    ("not-an-object", "POST", "/api/trace", "[1, 2]", 422, "body"),
    ("body-too-large", "POST", "/api/trace",
     _trace(x=[[0.5, -1.0]] * 2000, y=[[1.0]] * 2000), 413, "request body"),
    # --- creating a session
    ("unknown-dataset", "POST", "/api/networks", _create(dataset={"name": "mnist"}), 422,
     "dataset.name"),
    ("unknown-feature", "POST", "/api/networks", _create({"features": ["x1", "x3"]}), 422,
     "network.features[1]"),
    ("feature-needs-2d", "POST", "/api/networks",
     _create({"layers": [1, 3, 1], "loss": "mse", "features": ["x2"]},
             dataset={"name": "sine"}), 422, "network.features[0]"),
    ("too-many-samples", "POST", "/api/networks",
     _create(dataset={"name": "xor", "n_samples": 301}), 422, "dataset.n_samples"),
    ("too-many-explicit-samples", "POST", "/api/networks",
     _create(dataset={"x": [[0.0, 0.0]] * 301, "y": [[0.0]] * 301}), 422, "dataset.x"),
    ("data-width", "POST", "/api/networks",
     _create(dataset={"x": [[0.0, 0.0, 0.0]], "y": [[1.0]]}), 422, "network.layers[0]"),
    ("data-rows", "POST", "/api/networks",
     _create(dataset={"x": [[0.0, 0.0]], "y": [[1.0], [0.0]]}), 422, "dataset.y"),
    ("data-ragged", "POST", "/api/networks",
     _create(dataset={"x": [[0.0, 0.0], [1.0]], "y": [[1.0], [0.0]]}), 422, "dataset.x"),
    ("bce-targets", "POST", "/api/networks",
     _create(dataset={"x": [[0.0, 0.0]], "y": [[3.0]]}), 422, "dataset.y"),
    ("softmax-one-output", "POST", "/api/networks",
     _create({"activations": ["tanh", "softmax"], "loss": "cross_entropy"}), 422, "network.layers"),
    ("batch-over-limit", "POST", "/api/networks", _create(training={"batch_size": 51}), 422,
     "training.batch_size"),
    ("unknown-optimizer", "POST", "/api/networks", _create(training={"optimizer": "rmsprop"}),
     422, "training.optimizer"),
    ("zero-learning-rate", "POST", "/api/networks", _create(training={"learning_rate": 0}),
     422, "training.learning_rate"),
    ("seed-negative", "POST", "/api/networks", _create({"seed": -1}), 422, "network.seed"),
    ("init-unknown", "POST", "/api/networks", _create({"init": "orthogonal"}), 422, "network.init"),
    ("optimizer-state-length", "POST", "/api/networks",
     _create(state={"optimizer_state": {"m": [0.0]}}), 422, "state.optimizer_state.m"),
    ("history-columns", "POST", "/api/networks",
     _create(history={"metrics": {"step": [1, 2], "train_loss": [0.5]}}), 422,
     "history.metrics.train_loss"),
    # --- computing on a session
    ("steps-over-limit", "POST", "/api/networks/{xor}/step", {"steps": 101}, 422, "steps"),
    ("steps-zero", "POST", "/api/networks/{xor}/step", {"steps": 0}, 422, "steps"),
    ("index-out-of-range", "POST", "/api/networks/{xor}/forward", {"indices": [0, 160]}, 422,
     "indices[1]"),
    ("test-index-out-of-range", "POST", "/api/networks/{xor}/backward",
     {"indices": [40], "split": "test"}, 422, "indices[0]"),
    ("indices-over-batch-limit", "POST", "/api/networks/{xor}/forward",
     {"indices": list(range(51))}, 422, "indices"),
    ("indices-empty", "POST", "/api/networks/{xor}/forward", {"indices": []}, 422, "indices"),
    ("indices-and-x", "POST", "/api/networks/{xor}/forward", {"indices": [0], "x": [[0.0, 0.0]]},
     422, "indices"),
    ("explicit-x-width", "POST", "/api/networks/{xor}/forward", {"x": [[0.0, 0.0, 0.0]]}, 422, "x"),
    ("explicit-x-ragged", "POST", "/api/networks/{xor}/forward", {"x": [[0.0, 0.0], [0.0]]}, 422,
     "x"),
    ("explicit-x-over-batch-limit", "POST", "/api/networks/{xor}/forward",
     {"x": [[0.0, 0.0]] * 51}, 422, "x"),
    ("explicit-x-without-y", "POST", "/api/networks/{xor}/backward", {"x": [[0.0, 0.0]]}, 422, "y"),
    ("explicit-y-label", "POST", "/api/networks/{xor}/backward",
     {"x": [[0.0, 0.0]], "y": [[0.5]]}, 422, "y"),
    ("explicit-y-width", "POST", "/api/networks/{xor}/backward",
     {"x": [[0.0, 0.0]], "y": [[0.0, 1.0, 0.0]]}, 422, "y"),
    ("explicit-y-rows", "POST", "/api/networks/{xor}/gradcheck",
     {"x": [[0.0, 0.0]], "y": [[0.0], [1.0]]}, 422, "y"),
    ("unknown-split", "POST", "/api/networks/{xor}/forward", {"split": "validation"}, 422, "split"),
    ("drop-derivative-layer", "POST", "/api/networks/{xor}/gradcheck",
     {"drop_derivative_layer": 3}, 422, "drop_derivative_layer"),
    ("gradcheck-too-many-params", "POST", "/api/networks/{deep}/gradcheck", {}, 422, "network"),
    ("paths-index", "POST", "/api/networks/{xor}/paths",
     {"layer": 1, "row": 0, "column": 0, "index": 160}, 422, "index"),
    ("paths-layer", "POST", "/api/networks/{xor}/paths", {"layer": 3, "row": 0, "column": 0}, 422,
     "layer"),
    ("paths-row", "POST", "/api/networks/{xor}/paths", {"layer": 1, "row": 2, "column": 0}, 422,
     "row"),
    ("paths-column", "POST", "/api/networks/{xor}/paths", {"layer": 2, "row": 0, "column": 2}, 422,
     "column"),
    ("paths-over-limit", "POST", "/api/networks/{deep}/paths", {"layer": 1, "row": 0, "column": 0},
     422, "layer"),
    ("grid-over-limit", "GET", "/api/networks/{xor}/boundary?resolution=21", None, 422,
     "resolution"),
    ("grid-too-small", "GET", "/api/networks/{xor}/boundary?resolution=1", None, 422,
     "query.resolution"),
    ("metrics-since", "GET", "/api/networks/{xor}/metrics?since=-1", None, 422, "query.since"),
    ("list-limit", "GET", "/api/networks?limit=0", None, 422, "query.limit"),
    # --- editing a session
    ("parameter-layer", "PATCH", "/api/networks/{xor}/parameter",
     {"layer": 3, "row": 0, "column": 0, "value": 1.0}, 422, "layer"),
    ("parameter-row", "PATCH", "/api/networks/{xor}/parameter",
     {"layer": 2, "row": 1, "column": 0, "value": 1.0}, 422, "row"),
    ("parameter-column", "PATCH", "/api/networks/{xor}/parameter",
     {"layer": 2, "row": 0, "column": 2, "value": 1.0}, 422, "column"),
    ("parameter-no-biases", "PATCH", "/api/networks/{worked}/parameter",
     {"layer": 1, "kind": "bias", "row": 0, "value": 1.0}, 422, "kind"),
    ("parameter-nan", "PATCH", "/api/networks/{xor}/parameter",
     '{"layer": 1, "row": 0, "column": 0, "value": NaN}', 422, "value"),
    ("training-batch-over-limit", "PATCH", "/api/networks/{xor}/training", {"batch_size": 51},
     422, "training.batch_size"),
    ("training-unknown-field", "PATCH", "/api/networks/{xor}/training", {"lr": 0.1}, 422, "lr"),
    ("point-width", "POST", "/api/networks/{xor}/points", {"x": [1.0], "y": [1.0]}, 422, "x"),
    ("point-label", "POST", "/api/networks/{xor}/points", {"x": [1.0, 2.0], "y": [0.5]}, 422, "y"),
    ("point-over-limit", "POST", "/api/networks/{full}/points", {"x": [1.0, 2.0], "y": [1.0]},
     422, "x"),
    ("point-infinity", "POST", "/api/networks/{xor}/points", '{"x": [1.0, Infinity], "y": [1]}',
     422, "x[1]"),
    ("remove-point-index", "DELETE", "/api/networks/{xor}/points/test/40", None, 422, "index"),
    ("remove-point-split", "DELETE", "/api/networks/{xor}/points/dev/0", None, 422, "path.split"),
    # the last point may go (issue 20); removing from an empty set: test_tables.py
]  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "db.sqlite3", limits=LIMITS)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_answers_4xx_naming_the_field(
    client: TestClient, method: str, path: str, body: Any, status: int, field: str
) -> None:
    names = {name for name in SESSIONS if f"{{{name}}}" in path}
    ids = {}
    for name in names:
        created = client.post("/api/networks", json=SESSIONS[name])
        assert created.status_code == 201, created.text
        ids[name] = created.json()["id"]
    url = path.format(**ids)
    if isinstance(body, str):
        headers = {"content-type": "application/json"}
        response = client.request(method, url, content=body, headers=headers)
    else:
        response = client.request(method, url, json=body)

    assert response.status_code == status, response.text
    assert "NaN" not in response.text and "Infinity" not in response.text
    answer = strict_json(response)
    assert isinstance(answer["detail"], str)
    assert answer["detail"].startswith(field), answer["detail"]
    assert len(answer["detail"]) > len(field) + 5  # and says what is wrong
    for error in answer["errors"]:
        assert set(error) >= {"loc", "msg"}


def test_the_table_is_large_and_its_ids_unique() -> None:
    ids = [case[0] for case in CASES]
    assert len(ids) >= 25
    assert len(set(ids)) == len(ids)


def test_every_error_of_a_request_is_listed(client: TestClient) -> None:
    request = _create({"layers": [2, 0, 1], "loss": "hinge"})
    answer = client.post("/api/networks", json=request).json()
    assert answer["detail"].endswith("(and 1 more)")
    assert [e["loc"] for e in answer["errors"]] == [["network", "layers", 1], ["network", "loss"]]


def test_a_declared_length_over_the_limit_is_refused_before_reading(client: TestClient) -> None:
    headers = {"content-type": "application/json", "content-length": str(LIMITS.max_body_bytes + 1)}
    body = b"{" + b" " * LIMITS.max_body_bytes + b"}"
    response = client.post("/api/trace", content=body, headers=headers)
    assert response.status_code == 413
    assert str(LIMITS.max_body_bytes) in response.json()["detail"]


def test_an_overflowing_result_is_refused_not_sent(client: TestClient) -> None:
    """Finite inputs whose result overflows float64: the answer says so instead of Infinity."""
    request = {"network": {"layers": [1, 1], "activations": ["square"], "bias": False,
                           "weights": [[[1e200]]]}, "x": [[1.0]], "y": [[0.0]]}  # fmt: skip
    response = client.post("/api/trace", json=request)
    assert response.status_code == 422
    assert "not finite" in response.json()["detail"]
