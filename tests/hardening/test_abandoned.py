"""Abandoned work stops, and a retried step is applied once (issue 14, finding 8)."""

from __future__ import annotations

import copy
import socket
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.presets import DEFAULT_REQUEST
from app.settings import Settings
from tests.servers import running_server

WIDE = copy.deepcopy(DEFAULT_REQUEST)
WIDE["network"] = {**WIDE["network"], "layers": [2] + [64] * 9 + [1],
                   "activations": ["tanh"] * 9 + ["sigmoid"]}  # fmt: skip
WIDE["dataset"] = {**WIDE["dataset"], "n_samples": 2000}


def test_without_a_key_each_call_applies_and_a_long_key_is_refused(tmp_path: Path) -> None:
    """(A retry with a key: ``test_a_retry_on_another_worker_is_recognised``, one worker
    or two.)"""
    with TestClient(create_app(Settings(db_path=tmp_path / "db.sqlite3"))) as client:
        sid = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
        url = f"/api/networks/{sid}/step"
        assert client.post(url, json={"steps": 1}).json()["step"] == 1
        assert client.post(url, json={"steps": 1}).json()["step"] == 2  # no key: applied
        long_key = client.post(url, json={"steps": 1}, headers={"Idempotency-Key": "x" * 201})
        assert long_key.status_code == 422
        assert long_key.json()["errors"][0]["loc"] == ["Idempotency-Key"]


@pytest.mark.parametrize(("backend", "workers"), [("sqlite", 1), ("sqlite", 2), ("redis", 2)])
def test_a_retry_on_another_worker_is_recognised(
    tmp_path: Path, backend: str, workers: int, request: pytest.FixtureRequest
) -> None:
    """Two app instances over one store (two workers): the key's answer is in the store;
    with one, the same instance answers the retry."""
    url = request.getfixturevalue("redis_url") if backend == "redis" else ""
    settings = Settings(db_path=tmp_path / "db.sqlite3", store_url=url)
    with TestClient(create_app(settings)) as a, TestClient(create_app(settings)) as other:
        b = a if workers == 1 else other
        sid = a.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
        step = f"/api/networks/{sid}/step"
        first = a.post(step, json={"steps": 3}, headers={"Idempotency-Key": "k1"})
        again = b.post(step, json={"steps": 3}, headers={"Idempotency-Key": "k1"})
        assert first.status_code == again.status_code == 200
        assert again.content == first.content
        assert b.get(f"/api/networks/{sid}").json()["step"] == 3  # applied once
        fresh = b.post(step, json={"steps": 3}, headers={"Idempotency-Key": "k2"})
        assert fresh.json()["step"] == 6
        assert a.delete(f"/api/networks/{sid}").status_code == 204
        gone = b.post(step, json={"steps": 3}, headers={"Idempotency-Key": "k1"})
        assert gone.status_code == 404  # a deleted session's answers do not outlive it


def test_a_call_whose_client_went_away_stops_and_saves_what_it_did(tmp_path: Path) -> None:
    with running_server(tmp_path, {"BACKPROP_EXPLORER_DB": str(tmp_path / "db.sqlite3")}) as server:
        sid = httpx.post(server.url + "/api/networks", json=WIDE, timeout=30).json()["id"]
        url = f"{server.url}/api/networks/{sid}"
        body = b'{"steps": 10000, "trace": false}'
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(
                f"POST /api/networks/{sid}/step HTTP/1.1\r\nHost: x\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            time.sleep(1.0)
        gone_at = time.monotonic()
        step = 0
        while time.monotonic() - gone_at < 20:
            step = httpx.get(url, timeout=30).json()["step"]
            if step:
                break
            time.sleep(0.1)
        stopped_after = time.monotonic() - gone_at
        assert 0 < step < 10000, step  # stopped part-way, and saved what it did
        assert stopped_after < 5, stopped_after
        time.sleep(1.0)
        assert httpx.get(url, timeout=30).json()["step"] == step  # and does not go on
