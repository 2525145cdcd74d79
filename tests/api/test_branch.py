"""Rewind and branch: POST /api/networks/{id}/branch starts a session from a snapshot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from app.sessions.resume import Resume, decode, encode

Json = dict[str, Any]
CreatePreset = Callable[..., Json]
ADAM = {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 10}


def _step(client: TestClient, session_id: str, n: int) -> None:
    r = client.post(f"/api/networks/{session_id}/step", json={"steps": n, "trace": False})
    assert r.status_code == 200, r.text


def _export(client: TestClient, session_id: str) -> Json:
    r = client.get(f"/api/networks/{session_id}/export")
    assert r.status_code == 200, r.text
    body: Json = r.json()
    return body


def _branch(client: TestClient, session_id: str, step: int) -> Json:
    r = client.post(f"/api/networks/{session_id}/branch", json={"step": step})
    assert r.status_code == 201, r.text
    body: Json = r.json()
    return body


def test_branch_equals_the_run_at_that_step_and_continues_it_exactly(
    client: TestClient, create_preset: CreatePreset
) -> None:
    a = create_preset(training=ADAM)["id"]
    _step(client, a, 100)  # one call: step 80 is an intermediate snapshot of it
    reference = create_preset(training=ADAM)["id"]
    _step(client, reference, 80)
    b = _branch(client, a, 80)
    assert b["id"] not in (a, reference) and b["step"] == 80
    at_80, branched = _export(client, reference)["state"], _export(client, b["id"])["state"]
    for key in ("step", "batch_epoch", "batch_cursor", "optimizer_state"):
        assert branched[key] == at_80[key], key
    assert branched["optimizer_state"]["m"]  # Adam's memory came along, not a fresh start
    assert b["network"]["weights"] == _export(client, reference)["network"]["weights"]
    _step(client, b["id"], 20)  # the same minibatches as the original's steps 81…100
    assert _export(client, b["id"])["network"] == _export(client, a)["network"]


def test_branch_numbers_equal_the_stored_snapshot(
    client: TestClient, create_preset: CreatePreset
) -> None:
    a = create_preset(training=ADAM)["id"]
    for _ in range(30):
        _step(client, a, 1)
    snap = client.get(f"/api/networks/{a}/snapshots").json()["snapshots"][17]
    assert snap["step"] == 17
    b = _branch(client, a, 17)
    assert b["network"]["weights"] == snap["weights"]
    assert b["network"]["biases"] == snap["biases"]
    history = client.get(f"/api/networks/{b['id']}/metrics").json()
    assert history["step"][-1] == 17  # the history up to the branch point came along
    # the source is untouched
    assert client.get(f"/api/networks/{a}").json()["step"] == 30


def test_a_step_without_a_snapshot_is_422_naming_the_nearest(
    client: TestClient, create_preset: CreatePreset
) -> None:
    a = create_preset()["id"]
    _step(client, a, 100)
    r = client.post(f"/api/networks/{a}/branch", json={"step": 65})
    assert r.status_code == 422
    assert "nearest: 50, 80" in r.text
    assert client.post(f"/api/networks/{a}/branch", json={"step": -1}).status_code == 422
    assert client.post("/api/networks/nope/branch", json={"step": 0}).status_code == 404


def test_snapshot_blobs_round_trip_and_old_ones_still_read() -> None:
    theta = np.array([0.5, -1.25, 3.0])
    point = Resume(4, 9, {"m": np.array([1e-300, 2.0, -3.0]), "t": np.array([7.0])})
    got, resume = decode(encode(theta, point))
    assert got.tolist() == theta.tolist()
    assert resume is not None and (resume.epoch, resume.cursor) == (4, 9)
    assert {k: v.tolist() for k, v in resume.opt_state.items()} == {
        "m": [1e-300, 2.0, -3.0], "t": [7.0]
    }  # fmt: skip
    legacy, none = decode(theta.tobytes())  # a snapshot stored before branching existed
    assert legacy.tolist() == theta.tolist() and none is None
