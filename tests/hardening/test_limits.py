"""Every limit: configurable by environment variable, documented in docs/limits.md (one
table), and enforced with a 4xx before any work — and expensive work never stalls the
other users of the server."""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import fields
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.presets import DEFAULT_REQUEST, PRESETS
from app.settings import PREFIX, Limits, Settings
from tests.servers import ROOT, running_server

Json = dict[str, Any]
DOC = ROOT / "docs" / "limits.md"

SMALL = Limits(
    max_layers=3, max_width=8, max_samples=300, max_batch=50, max_steps=100, max_grid=32,
    max_body_bytes=50_000, max_sessions=3, max_paths=1, max_gradcheck_params=20,
    max_snapshots=60,
)  # fmt: skip


def _create(**changes: Json) -> Json:
    request = copy.deepcopy(DEFAULT_REQUEST)
    for key, value in changes.items():
        request[key] = {**request.get(key, {}), **value}
    return request


def _trace(rows: int, layers: list[int]) -> Json:
    weights = [[[0.1] * a for _ in range(b)] for a, b in pairwise(layers)]
    return {
        "network": {"layers": layers, "activations": ["tanh"] * (len(layers) - 1),
                    "loss": "mse", "bias": False, "weights": weights},
        "x": [[0.5] * layers[0]] * rows, "y": [[0.0] * layers[-1]] * rows,
    }  # fmt: skip


# (limit, method, path, body, status, loc of the refused field); {id} is a fresh session.
OVER = [
    ("max_layers", "POST", "/api/networks",
     _create(network={"layers": [2, 4, 4, 4, 1], "activations": ["tanh"] * 3 + ["sigmoid"]}),
     422, "network.layers"),
    ("max_layers", "POST", "/api/trace", _trace(1, [1, 1, 1, 1, 1]), 422, "network.layers"),
    ("max_width", "POST", "/api/networks",
     _create(network={"layers": [2, 9, 2, 1]}), 422, "network.layers[1]"),
    ("max_samples", "POST", "/api/networks", _create(dataset={"n_samples": 301}), 422,
     "dataset.n_samples"),
    ("max_samples", "POST", "/api/networks",
     {**DEFAULT_REQUEST, "dataset": {"x": [[0.0, 0.0]] * 301, "y": [[0.0]] * 301}}, 422,
     "dataset.x"),
    ("max_batch", "POST", "/api/networks", _create(training={"batch_size": 51}), 422,
     "training.batch_size"),
    ("max_batch", "PATCH", "/api/networks/{id}/training", {"batch_size": 51}, 422,
     "training.batch_size"),
    ("max_batch", "POST", "/api/trace", _trace(51, [1, 1]), 422, "x"),
    ("max_batch", "POST", "/api/networks/{id}/forward", {"x": [[0.0, 0.0]] * 51}, 422, "x"),
    ("max_steps", "POST", "/api/networks/{id}/step", {"steps": 101}, 422, "steps"),
    ("max_grid", "GET", "/api/networks/{id}/boundary?resolution=33", None, 422, "resolution"),
    ("max_body_bytes", "POST", "/api/trace", _trace(40, [8, 8]) | {"pad": "x" * 50_000}, 413,
     None),
    ("max_paths", "POST", "/api/networks/{id}/paths", {"layer": 1, "row": 0, "column": 0},
     422, "layer"),
    ("max_gradcheck_params", "POST", "/api/networks/{id}/gradcheck", {}, 422, "network"),
    ("max_snapshots", "POST", "/api/networks",
     _create(history={"snapshots": [{"step": s, "weights": []} for s in range(61)]}), 422,
     "history.snapshots"),
]  # fmt: skip


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db_path=tmp_path / "db.sqlite3", limits=SMALL))) as c:
        yield c


@pytest.mark.parametrize(
    ("limit", "method", "path", "body", "status", "loc"), OVER,
    ids=[f"{case[0]}-{case[2]}" for case in OVER],
)  # fmt: skip
def test_over_each_limit_is_a_4xx_naming_the_field(
    client: TestClient, limit: str, method: str, path: str, body: Json | None, status: int,
    loc: str | None,
) -> None:  # fmt: skip
    if "{id}" in path:
        created = client.post("/api/networks", json=DEFAULT_REQUEST)
        assert created.status_code == 201, created.text
        path = path.replace("{id}", created.json()["id"])
    response = client.request(method, path, json=body)
    assert response.status_code == status, response.text
    answer = response.json()
    if loc is not None:
        assert answer["detail"].startswith(loc), answer["detail"]
        assert str(getattr(SMALL, limit)) in answer["detail"], answer["detail"]


def test_over_the_session_limit_is_429(client: TestClient) -> None:
    for _ in range(SMALL.max_sessions):
        assert client.post("/api/networks", json=DEFAULT_REQUEST).status_code == 201
    response = client.post("/api/networks", json=DEFAULT_REQUEST)
    assert response.status_code == 429
    assert f"maximum of {SMALL.max_sessions} sessions" in response.json()["detail"]


def test_snapshots_are_bounded(client: TestClient) -> None:
    session_id = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
    for _ in range(4):  # 400 steps: snapshots of the first 50, then of every tenth
        response = client.post(f"/api/networks/{session_id}/step", json={"steps": 100})
        assert response.status_code == 200
    snapshots = client.get(f"/api/networks/{session_id}/snapshots").json()["snapshots"]
    assert len(snapshots) == SMALL.max_snapshots


def test_the_catalog_reports_the_limits_in_force(client: TestClient) -> None:
    assert client.get("/api/catalog").json()["limits"] == {
        f.name: getattr(SMALL, f.name) for f in fields(Limits)
    }


# --- configuration and documentation -------------------------------------------------------


def test_every_limit_comes_from_its_environment_variable() -> None:
    env = {PREFIX + f.name.upper(): str(1000 + i) for i, f in enumerate(fields(Limits))}
    limits = Settings.from_env(env).limits
    for i, f in enumerate(fields(Limits)):
        assert getattr(limits, f.name) == 1000 + i, f.name


def _doc_rows() -> dict[str, list[str]]:
    """The rows of the limits table in docs/limits.md, by env var."""
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`(BACKPROP_EXPLORER_[A-Z_]+)`", cells[1]) if len(cells) > 4 else None
        if match:
            rows[match.group(1)] = cells
    return rows


def test_every_limit_is_in_the_one_table() -> None:
    rows = _doc_rows()
    for f in fields(Limits):
        env = PREFIX + f.name.upper()
        assert env in rows, f"docs/limits.md has no row for {env}"
        name, _, default, _, status = rows[env][:5]
        assert name == f"`{f.name}`"
        assert default.replace(",", "").replace(" ", "") == str(f.default), env
        assert re.search(r"\b(4\d\d)\b|—", status), f"{env}: no status code in {status!r}"
    for env in (PREFIX + "IDLE_SECONDS", PREFIX + "SWEEP_SECONDS", PREFIX + "CORS_ORIGINS",
                PREFIX + "STORE", PREFIX + "DB"):  # fmt: skip
        assert env in DOC.read_text(), f"docs/limits.md does not mention {env}"


# --- expensive calls leave the event loop --------------------------------------------------


def test_expensive_calls_do_not_stall_other_users(tmp_path: Path) -> None:
    """While long calls run (1000 steps of a wide network, a big trace, a fine
    decision boundary), a quick call from someone else is answered before any of them
    finishes: the work runs off the event loop."""
    spiral = next(p["request"] for p in PRESETS if p["id"] == "spiral")
    # Wide enough that 1000 updates take seconds even on the compiled kernel's fast path.
    wide = copy.deepcopy(spiral)
    wide["network"]["layers"] = [4, 64, 64, 64, 1]
    wide["training"]["batch_size"] = 200
    env = {"BACKPROP_EXPLORER_DB": str(tmp_path / "db.sqlite3")}
    with running_server(tmp_path, env) as server, httpx.Client(
        base_url=server.url, timeout=120
    ) as client:  # fmt: skip
        ids = [client.post("/api/networks", json=r).json()["id"] for r in (wide, spiral, spiral)]
        long_step = f"/api/networks/{ids[0]}/step"
        heavy = [
            ("POST", long_step, {"steps": 1000}),
            ("POST", "/api/trace", _trace(2000, [64, 64, 64, 64])),
            ("GET", f"/api/networks/{ids[1]}/boundary?resolution=128&neurons=true", None),
        ]
        finished: dict[str, float] = {}

        def call(method: str, path: str, body: Json | None) -> None:
            with httpx.Client(base_url=server.url, timeout=120) as c:
                response = c.request(method, path, json=body)
                assert response.status_code == 200, response.text
            finished[path] = time.monotonic()

        threads = [threading.Thread(target=call, args=h) for h in heavy]
        for t in threads:
            t.start()
        time.sleep(0.3)  # they are under way
        # Someone else's quick calls, on their own session.
        quick = client.post(f"/api/networks/{ids[2]}/step", json={"steps": 1})
        assert quick.status_code == 200
        assert client.get("/api/health").status_code == 200
        quick_done = time.monotonic()
        for t in threads:
            t.join(timeout=120)
        assert len(finished) == len(heavy)
        assert quick_done < finished[long_step], "a quick call waited for the 1000 steps"


HUGE = 2**64  # found by the fuzzer: past 64 bits SQLite and orjson fail (it was a 500)


@pytest.mark.parametrize(
    "state",
    [{"state": {"step": HUGE}}, {"state": {"batch_epoch": HUGE}},
     {"state": {"batch_cursor": HUGE}}, {"history": {"snapshots": [{"step": HUGE, "weights": []}]}},
     {"history": {"metrics": {"step": [HUGE]}}}],
)  # fmt: skip
def test_huge_step_numbers_are_422(client: TestClient, state: Json) -> None:
    response = client.post("/api/networks", json={**DEFAULT_REQUEST, **state})
    assert response.status_code == 422, response.text


def test_huge_since_is_422(client: TestClient) -> None:
    session_id = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
    response = client.get(f"/api/networks/{session_id}/metrics", params={"since": HUGE})
    assert response.status_code == 422, response.text
