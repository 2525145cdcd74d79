"""Bounded answers and streams, and WebSockets only from allowed origins (issue 14: 1, 12)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.main import create_app
from app.presets import DEFAULT_REQUEST
from app.settings import Limits, Settings

Json = dict[str, Any]
WIDE = copy.deepcopy(DEFAULT_REQUEST)
WIDE["network"] = {**WIDE["network"], "layers": [2] + [64] * 9 + [1],
                   "activations": ["tanh"] * 9 + ["sigmoid"]}  # fmt: skip


def _client(tmp_path: Path, origins: tuple[str, ...] = ()) -> TestClient:
    settings = Settings(db_path=tmp_path / "db.sqlite3", cors_origins=origins)
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path) as c:
        yield c


def test_every_neuron_grid_of_a_wide_network_is_refused_before_work(client: TestClient) -> None:
    sid = client.post("/api/networks", json=WIDE).json()["id"]
    r = client.get(f"/api/networks/{sid}/boundary", params={"resolution": 128, "neurons": True})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["resolution"]
    assert "over the server's limit of 2000000" in r.json()["detail"]
    assert (
        client.get(f"/api/networks/{sid}/boundary", params={"resolution": 128}).status_code == 200
    )
    small = client.get(f"/api/networks/{sid}/boundary", params={"resolution": 40, "neurons": True})
    assert small.status_code == 200
    assert len(small.json()["neurons"]) == 10


def test_the_limit_is_in_the_catalog(client: TestClient) -> None:
    assert (
        client.get("/api/catalog").json()["limits"]["max_grid_values"] == Limits().max_grid_values
    )


def test_a_stream_grid_over_the_limit_is_refused(client: TestClient) -> None:
    sid = client.post("/api/networks", json=WIDE).json()["id"]
    with client.websocket_connect(f"/api/networks/{sid}/stream") as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_json({"type": "play", "steps_per_frame": 1, "format": "json",
                      "boundary": {"resolution": 128, "neurons": True}})  # fmt: skip
        message = ws.receive_json()
        assert message["type"] == "error"
        assert message["loc"] == ["boundary", "resolution"]


# --- 12: WebSocket origins ---------------------------------------------------------------


def _hello(client: TestClient, sid: str, origin: str | None) -> Json:
    headers = {"origin": origin} if origin else {}
    with client.websocket_connect(f"/api/networks/{sid}/stream", headers=headers) as ws:
        hello: Json = ws.receive_json()
        return hello


def test_cross_origin_websockets_are_refused(tmp_path: Path) -> None:
    with _client(tmp_path, ("https://course.example",)) as client:
        sid = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
        with pytest.raises(WebSocketDisconnect) as refused:
            _hello(client, sid, "https://evil.example")
        assert refused.value.code == 1008
        assert _hello(client, sid, "http://testserver")["type"] == "hello"  # its own page
        assert _hello(client, sid, "https://course.example")["type"] == "hello"  # CORS list
        assert _hello(client, sid, None)["type"] == "hello"  # not a browser


def test_clients_that_never_read_large_answers_grow_the_server_by_a_bound() -> None:
    """Issue 14.1, measured: 40 clients asking for the largest boundary (39 MB each) and
    never reading, and 3 streams acknowledging frames unread, grow the server by less
    than the answer budget plus its compute (docs/limits.md); without the budget they
    grew it by one answer each (1.5 GB here). Afterwards the server answers again."""
    from scripts.memory import measure

    result = measure(readers=40, streams=3, seconds=12)
    assert result["health_during"] == 200
    assert result["growth_mb"] < 700, result
    assert result["another_boundary"] == 200, result  # the send deadline freed the budget
