"""Play's save cadence: off the frame path, at most every ``SAVE_SECONDS``, and always on
pause, close and shutdown; what is saved is a whole state a fresh process reads back.

"Saved" is read by a second store on the same database file (another connection, an
empty cache), as a restarted server would read it. Crash loss under SIGKILL is in
tests/hardening/test_crash_safety.py.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app.api.routers import stream
from app.main import create_app
from app.presets import DEFAULT_REQUEST
from app.sessions.play import Chunk
from app.sessions.session import Session
from app.sessions.stores.sqlite import SqliteStore
from app.settings import Settings
from tests.test_stream import Frame, _frame, _hello, _params, _pause, window_of_two  # noqa: F401


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "db.sqlite3"


@pytest.fixture
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db_path=db))) as c:
        yield c


def _saved(db: Path, session_id: str) -> Session:
    """The session as stored: what a restarted server would resume from."""
    store = SqliteStore(db, max_sessions=10, max_snapshots=100, idle_seconds=3600)
    try:
        return store.get(session_id)
    finally:
        store.close()


def _create(client: TestClient) -> str:
    response = client.post("/api/networks", json=copy.deepcopy(DEFAULT_REQUEST))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for published state (the server's own thread saves it), not a fixed time."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the state was not saved in time"
        time.sleep(0.01)


def _play_frames(ws: WebSocketTestSession, count: int, steps: int = 20) -> list[Frame]:
    """Play ``steps`` a frame; ``count`` frames, each acknowledged as it arrives."""
    _hello(ws)
    ws.send_json({"type": "play", "steps_per_frame": steps})
    frames = []
    for _ in range(count):
        frames.append(_frame(ws))
        ws.send_json({"type": "ack", "seq": frames[-1]["seq"]})
    return frames


def _another_worker_saves(db: Path, session_id: str) -> None:
    """Another process saves the session as stored: a new version of the same state."""
    other = SqliteStore(db, max_sessions=10, max_snapshots=100, idle_seconds=3600)
    try:
        other.save(other.get(session_id))
    finally:
        other.close()


def _fill_window(ws: WebSocketTestSession, steps: int) -> list[Frame]:
    """Play ``steps`` a frame; the first two frames, unacknowledged: the stream waits."""
    _hello(ws)
    ws.send_json({"type": "play", "steps_per_frame": steps})
    return [_frame(ws), _frame(ws)]


def test_frames_are_not_saved_one_by_one_but_pause_saves(client, db, monkeypatch):
    monkeypatch.setattr(stream, "SAVE_SECONDS", 3600.0)  # no save by the clock in this test
    session_id = _create(client)
    with client.websocket_connect(f"/api/networks/{session_id}/stream") as ws:
        frames = _play_frames(ws, 4)
        assert frames[-1]["step"] == 80
        assert _saved(db, session_id).step == 0  # four frames, none written
        # … yet this process answers from the played state
        assert client.get(f"/api/networks/{session_id}").json()["step"] >= 80
        more, paused = _pause(ws)
        last = (frames + more)[-1]
        saved = _saved(db, session_id)
        assert saved.step == paused["step"] == last["step"]
        np.testing.assert_array_equal(saved.network.params, last.params)
    # every row the frames would have written one by one is there
    metrics = client.get(f"/api/networks/{session_id}/metrics").json()
    assert [f["step"] for f in frames + more if f["step"] > 50] == [
        s for s in metrics["step"] if s > 50
    ]
    assert metrics["step"][:51] == list(range(51))


def test_play_saves_when_the_last_save_is_save_seconds_old(client, db, monkeypatch):
    monkeypatch.setattr(stream, "SAVE_SECONDS", 0.0)  # due after every frame
    session_id = _create(client)
    with client.websocket_connect(f"/api/networks/{session_id}/stream") as ws:
        frames = _play_frames(ws, 3)
        # a frame is sent after its save when one is due
        assert _saved(db, session_id).step >= frames[-1]["step"]
        _pause(ws)


def test_a_class_pressing_play_together_saves_at_different_moments(client, db, monkeypatch):
    phases = sorted(stream.save_phase(_create(client)) for _ in range(60))
    assert all(0 <= p < 1 for p in phases)
    assert max(np.diff([*phases, phases[0] + 1])) < 0.3  # spread over the whole interval
    monkeypatch.setattr(stream, "SAVE_SECONDS", 3600.0)
    monkeypatch.setattr(stream, "save_phase", lambda _: 1 - 1e-12)  # its save is due at once
    session_id = _create(client)
    with client.websocket_connect(f"/api/networks/{session_id}/stream") as ws:
        frames = _play_frames(ws, 2)
        assert _saved(db, session_id).step >= frames[0]["step"]
        _pause(ws)


def test_a_stream_waiting_for_credit_saves_what_it_played(client, db, monkeypatch):
    monkeypatch.setattr(stream, "SAVE_SECONDS", 0.2)
    session_id = _create(client)
    with client.websocket_connect(f"/api/networks/{session_id}/stream") as ws:
        second = _fill_window(ws, 60)[-1]
        _until(lambda: _saved(db, session_id).step == second["step"])
        _pause(ws)


def test_close_saves_the_last_frame(client, db, monkeypatch):
    monkeypatch.setattr(stream, "SAVE_SECONDS", 3600.0)
    session_id = _create(client)
    with client.websocket_connect(f"/api/networks/{session_id}/stream") as ws:
        seen = _play_frames(ws, 3)[-1]["step"]
    _until(lambda: _saved(db, session_id).step >= seen)
    played = client.get(f"/api/networks/{session_id}").json()
    saved = _saved(db, session_id)
    assert saved.step == played["step"]
    np.testing.assert_array_equal(saved.network.params, _params(played))


def test_a_rest_step_saves_the_unsaved_play_with_it(client, db, monkeypatch):
    monkeypatch.setattr(stream, "SAVE_SECONDS", 3600.0)
    session_id = _create(client)
    with client.websocket_connect(f"/api/networks/{session_id}/stream") as ws:
        frames = _fill_window(ws, 40)
        answer = client.post(f"/api/networks/{session_id}/step", json={"steps": 1})
        assert answer.status_code == 200, answer.text
        assert answer.json()["step"] == 81
        assert _saved(db, session_id).step == 81
        metrics = client.get(f"/api/networks/{session_id}/metrics").json()
        assert [s for s in metrics["step"] if s > 50] == [80, 81]  # the frame's row too
        _pause(ws)
    assert frames[-1]["step"] == 80


def test_shutdown_saves_what_play_left_unsaved(db):
    app = create_app(Settings(db_path=db))
    with TestClient(app) as c:
        session_id = _create(c)
        store = app.state.store
        s = store.get(session_id)
        chunk = Chunk(s, 60)
        while not chunk.done:
            chunk.train()
        result = chunk.finish()
        store.defer(s, result.metrics, result.snapshots)
        assert _saved(db, session_id).step == 0
    assert _saved(db, session_id).step == 60  # the lifespan's end wrote it


def test_another_workers_save_wins_over_unsaved_play(client, db, monkeypatch):
    """A save by another process (another worker) in between: Play's unsaved frames give way
    to it, and the stream goes on from the stored state, without an error."""
    monkeypatch.setattr(stream, "SAVE_SECONDS", 3600.0)
    session_id = _create(client)
    with client.websocket_connect(f"/api/networks/{session_id}/stream") as ws:
        assert _fill_window(ws, 40)[-1]["step"] == 80  # both unsaved
        _another_worker_saves(db, session_id)  # the stored step-0 state, a new version
        frames, paused = _pause(ws)
        assert paused == {"type": "paused", "step": 0, "reason": "pause"}
        assert client.get(f"/api/networks/{session_id}").json()["step"] == 0
        ws.send_json({"type": "ack", "seq": 2 + len(frames)})
        ws.send_json({"type": "play", "steps_per_frame": 40})
        assert _frame(ws)["step"] == 40  # Play goes on from the stored state
        _pause(ws)


def test_play_meets_another_workers_save_at_its_next_save(client, db, monkeypatch):
    """Play goes on from its own frames without asking the store each frame; another
    process's save in between is met by Play's next save (a version conflict), after which
    the stream goes on from the stored state, without an error."""
    monkeypatch.setattr(stream, "SAVE_SECONDS", 3600.0)
    session_id = _create(client)
    with client.websocket_connect(f"/api/networks/{session_id}/stream") as ws:
        assert _fill_window(ws, 40)[-1]["step"] == 80  # both unsaved
        _another_worker_saves(db, session_id)  # the stored step-0 state, a new version
        ws.send_json({"type": "ack", "seq": 1})
        assert _frame(ws)["step"] == 120  # from Play's own unsaved state: no store read
        monkeypatch.setattr(stream, "SAVE_SECONDS", 0.0)  # the next chunk saves: a conflict
        steps = []
        for seq in range(2, 6):
            ws.send_json({"type": "ack", "seq": seq})
            frame = _frame(ws)
            assert frame["type"] == "frame"
            steps.append(frame["step"])
        assert steps == [40, 80, 120, 160]  # from the stored step 0
        _pause(ws)
    assert _saved(db, session_id).step == 160


def test_a_playing_stream_reads_the_store_only_when_play_starts(client, db, monkeypatch):
    """Each frame goes on from this process's copy (its own save or unsaved chunks), not
    from a store read: reading it every frame cost a class as much as the training. Play
    (re)started reads it once, since another process may have changed it meanwhile."""
    monkeypatch.setattr(stream, "SAVE_SECONDS", 0.0)  # every frame saves: still no reads
    session_id = _create(client)
    store = client.app.state.store
    reads: list[str] = []
    get = store.get

    def counted(sid: str) -> Session:
        reads.append(sid)
        return get(sid)

    monkeypatch.setattr(store, "get", counted)
    with client.websocket_connect(f"/api/networks/{session_id}/stream") as ws:
        frames = _play_frames(ws, 8, steps=10)
        assert [f["step"] for f in frames] == [10 * k for k in range(1, 9)]
        in_flight, paused = _pause(ws)
        assert len(reads) == 3  # hello, Play's first chunk and the pause's reply only
        ws.send_json({"type": "ack", "seq": frames[-1]["seq"] + len(in_flight)})
        ws.send_json({"type": "play", "steps_per_frame": 10})
        assert _frame(ws)["step"] == paused["step"] + 10
        assert len(reads) == 4  # Play again: its first chunk reads
        _pause(ws)
    assert reads == [session_id] * len(reads)
