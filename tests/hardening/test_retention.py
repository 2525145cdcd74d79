"""Sessions are kept until deleted or idle longer than BACKPROP_EXPLORER_IDLE_SECONDS;
the server sweeps idle ones at startup and periodically; a session someone is using —
even only looking at — is never removed; a full server refuses new sessions with a 4xx
before building anything."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from app.api import schemas
from app.main import create_app
from app.presets import DEFAULT_REQUEST
from app.sessions.session import Session
from app.sessions.stores.base import NotFound, new_id
from app.sessions.stores.sqlite import SqliteStore
from app.settings import Limits, Settings

WORKED = {
    "network": {"layers": [1, 1], "activations": ["square"], "loss": "mse", "bias": False,
                "weights": [[[2.0]]]},
    "dataset": {"x": [[1.0]], "y": [[0.0]]},
    "training": {"optimizer": "sgd", "learning_rate": 0.02, "batch_size": 1},
}  # fmt: skip


def _old_session(db: Path, age: float) -> str:
    """A session last used ``age`` seconds ago, written straight into the database."""
    store = SqliteStore(db, 100, 200, 3600.0)
    try:
        session = Session.create(new_id(), schemas.CreateSession.model_validate(DEFAULT_REQUEST))
        session.created_at = session.updated_at = time.time() - age
        store.create(session)
        return session.id
    finally:
        store.close()


def _exists(client: TestClient, session_id: str) -> bool:
    """Asked of the store: a GET would restart the session's idle clock."""
    try:
        client.app.state.store.get(session_id)  # type: ignore[attr-defined]
    except NotFound:
        return False
    return True


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_idle_sessions_are_swept_at_startup_and_periodically(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    stale = _old_session(db, age=120)
    settings = Settings(db_path=db, idle_seconds=60, sweep_seconds=0.1)
    with TestClient(create_app(settings)) as client:
        # The startup sweep.
        _wait_for(lambda: not _exists(client, stale))
        # A session going idle while the server runs goes at a later sweep.
        later = _old_session(db, age=30)
        kept = client.post("/api/networks", json=WORKED).json()["id"]
        store = client.app.state.store  # type: ignore[attr-defined]
        store._db.execute(  # 60 more seconds pass for `later`
            "UPDATE sessions SET updated_at = updated_at - 60 WHERE id = ?", (later,)
        )
        _wait_for(lambda: not _exists(client, later))
        assert client.get(f"/api/networks/{kept}").status_code == 200


def test_a_session_in_use_is_never_swept(tmp_path: Path) -> None:
    """Idle time 1 s, sweep every 50 ms: a session stepped, or only looked at, stays."""
    settings = Settings(db_path=tmp_path / "db.sqlite3", idle_seconds=1.0, sweep_seconds=0.05)
    with TestClient(create_app(settings)) as client:
        stepped = client.post("/api/networks", json=WORKED).json()["id"]
        viewed = client.post("/api/networks", json=WORKED).json()["id"]
        abandoned = client.post("/api/networks", json=WORKED).json()["id"]
        until = time.monotonic() + 2.5
        while time.monotonic() < until:
            assert (
                client.post(f"/api/networks/{stepped}/step", json={"steps": 1}).status_code == 200
            )
            # Reads restart the idle clock too (saved at most every tenth of the idle time).
            assert client.get(f"/api/networks/{viewed}").status_code == 200
            assert client.post(f"/api/networks/{viewed}/forward", json={}).status_code == 200
            time.sleep(0.1)
        assert client.get(f"/api/networks/{abandoned}").status_code == 404
        assert client.get(f"/api/networks/{stepped}").json()["step"] > 5
        assert client.get(f"/api/networks/{viewed}").json()["step"] == 0


def test_a_full_server_refuses_with_429_before_building(tmp_path: Path) -> None:
    settings = Settings(
        db_path=tmp_path / "db.sqlite3", limits=Limits(max_sessions=2), list_sessions=True
    )
    with TestClient(create_app(settings)) as client:
        for _ in range(2):
            assert client.post("/api/networks", json=WORKED).status_code == 201
        # A request that would be slow to build is refused before the dataset is made.
        big = copy.deepcopy(DEFAULT_REQUEST)
        big["dataset"]["n_samples"] = 2000
        started = time.perf_counter()
        full = client.post("/api/networks", json=big)
        assert full.status_code == 429
        assert time.perf_counter() - started < 0.5
        assert full.headers["retry-after"] == "60"
        assert "maximum of 2 sessions" in full.json()["detail"]
        assert len(client.get("/api/networks").json()["sessions"]) == 2


def test_at_the_limit_an_idle_session_makes_room(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    idle = _old_session(db, age=7200)
    settings = Settings(db_path=db, idle_seconds=3600, limits=Limits(max_sessions=2))
    with TestClient(create_app(settings)) as client:
        in_use = client.post("/api/networks", json=WORKED).json()["id"]
        assert client.post("/api/networks", json=WORKED).status_code == 201
        assert client.get(f"/api/networks/{idle}").status_code == 404
        assert client.get(f"/api/networks/{in_use}").status_code == 200
        assert client.post("/api/networks", json=WORKED).status_code == 429


def test_idle_seconds_from_the_environment() -> None:
    env = {"BACKPROP_EXPLORER_IDLE_SECONDS": "86400", "BACKPROP_EXPLORER_SWEEP_SECONDS": "30"}
    settings = Settings.from_env(env)
    assert settings.idle_seconds == 86400 and settings.sweep_seconds == 30
    assert Settings.from_env({}).idle_seconds == 7 * 24 * 3600
