"""A server killed mid-lesson (SIGKILL: no shutdown, no flush) loses no completed step.

A real uvicorn process on a temp SQLite database trains a session, is killed with
SIGKILL, and is started again on the same file: the session is there at its last
completed step with bit-identical weights, optimiser state and minibatch position
(training on gives exactly what an uninterrupted run gives). A call in flight when the
server dies is lost whole: never half applied.
"""

from __future__ import annotations

import copy
import json
import struct
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from fastapi.testclient import TestClient
from websockets.sync.client import connect as ws_connect

from app.api.frames import array, decode_binary
from app.api.pacing import SAVE_SECONDS
from app.main import create_app
from app.presets import DEFAULT_REQUEST
from app.settings import Settings
from tests.servers import running_server, start_server

Json = dict[str, Any]

# Adam, so there is optimiser state (m, v, t) to survive too.
REQUEST: Json = copy.deepcopy(DEFAULT_REQUEST)
REQUEST["training"] = {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 10}


def _bits(values: Any) -> bytes:
    """The exact float64 bits of every number in a nested list."""
    if isinstance(values, list):
        return b"".join(_bits(v) for v in values)
    return struct.pack("<d", values)


def _params(session: Json) -> bytes:
    net = session["network"]
    return _bits(net["weights"]) + _bits(net["biases"] or [])


def _train(client: httpx.Client | TestClient, session_id: str, calls: list[int]) -> Json:
    answer: Json = {}
    for steps in calls:
        response = client.post(f"/api/networks/{session_id}/step", json={"steps": steps})
        assert response.status_code == 200, response.text
        answer = response.json()
    return answer


def test_killed_server_keeps_every_completed_step(tmp_path: Path) -> None:
    env = {"BACKPROP_EXPLORER_DB": str(tmp_path / "sessions.sqlite3")}
    server = start_server(tmp_path, env)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            created = client.post("/api/networks", json=REQUEST)
            assert created.status_code == 201, created.text
            session_id = created.json()["id"]
            _train(client, session_id, [1, 1, 1, 5, 30])
            before = client.get(f"/api/networks/{session_id}").json()
    finally:
        server.kill()
    assert before["step"] == 38

    with running_server(tmp_path, env) as again, httpx.Client(base_url=again.url) as client:
        after = client.get(f"/api/networks/{session_id}")
        assert after.status_code == 200, after.text
        restored = after.json()
        assert restored["step"] == 38
        assert _params(restored) == _params(before)
        assert restored["metrics"] == before["metrics"]
        # The step-0 record and one per completed step.
        metrics = client.get(f"/api/networks/{session_id}/metrics").json()
        assert metrics["step"] == list(range(39))
        assert {key: column[0] for key, column in metrics.items()} == created.json()["metrics"]
        resumed = _train(client, session_id, [12])

    # The same lesson without the crash, in-process: training on is bit-identical, so the
    # optimiser state and the minibatch position survived too.
    with TestClient(create_app(Settings(db_path=tmp_path / "reference.sqlite3"))) as ref:
        ref_id = ref.post("/api/networks", json=REQUEST).json()["id"]
        reference = _train(ref, ref_id, [1, 1, 1, 5, 30, 12])
    assert resumed["step"] == reference["step"] == 50
    assert _params(resumed) == _params(reference)


def test_call_in_flight_is_lost_whole(tmp_path: Path) -> None:
    env = {"BACKPROP_EXPLORER_DB": str(tmp_path / "sessions.sqlite3")}
    server = start_server(tmp_path, env)
    outcome: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            session_id = client.post("/api/networks", json=REQUEST).json()["id"]
            _train(client, session_id, [3])
            before = client.get(f"/api/networks/{session_id}").json()

        def long_call() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as slow:
                try:
                    r = slow.post(f"/api/networks/{session_id}/step", json={"steps": 10000})
                    outcome["answer"] = r.json()
                except httpx.TransportError as err:
                    outcome["error"] = err

        caller = threading.Thread(target=long_call)
        caller.start()
        time.sleep(0.3)  # 10000 steps take seconds: the call is in flight
    finally:
        server.kill()
    caller.join(timeout=30)

    with running_server(tmp_path, env) as again, httpx.Client(base_url=again.url) as client:
        restored = client.get(f"/api/networks/{session_id}").json()
    if "answer" in outcome:  # the call finished before the kill: it is all there
        assert restored["step"] == outcome["answer"]["step"] == 10003
        assert _params(restored) == _params(outcome["answer"])
    else:  # it died with the server: none of it is there
        assert restored["step"] == 3
        assert _params(restored) == _params(before)


# Play saves when its last save is SAVE_SECONDS old (docs/limits.md, Crash safety): a frame
# received this much before the last one is saved, allowing the frame path's own delay.
PLAY_MARGIN = 0.5


def test_killed_during_play_loses_at_most_the_save_cadence(tmp_path: Path) -> None:
    env = {"BACKPROP_EXPLORER_DB": str(tmp_path / "sessions.sqlite3")}
    server = start_server(tmp_path, env)
    received: list[tuple[float, int, bytes]] = []  # (arrival, step, float64 params)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            session_id = client.post("/api/networks", json=REQUEST).json()["id"]
        ws_url = server.url.replace("http://", "ws://") + f"/api/networks/{session_id}/stream"
        with ws_connect(ws_url, compression=None, open_timeout=30) as ws:
            ws.recv(timeout=30)  # hello
            ws.send(json.dumps({"type": "play", "steps_per_frame": 5}))
            until = time.monotonic() + 2.0
            while True:
                message = ws.recv(timeout=30)
                if not isinstance(message, bytes):
                    continue
                header, data = decode_binary(message)
                params = array(data, header["params"], np.float64).tobytes()
                received.append((time.monotonic(), header["step"], params))
                if time.monotonic() >= until:
                    break  # killed while playing: this frame unacknowledged, the next training
                ws.send(json.dumps({"type": "ack", "seq": header["seq"]}))
            server.kill()
    finally:
        server.kill()

    with running_server(tmp_path, env) as again, httpx.Client(base_url=again.url) as client:
        restored = client.get(f"/api/networks/{session_id}").json()
    last_arrival, last_step, _ = received[-1]
    old_enough = [step for t, step, _ in received if t <= last_arrival - SAVE_SECONDS - PLAY_MARGIN]
    assert old_enough, "Play was too slow to measure the bound"
    assert restored["step"] >= old_enough[-1]  # at most the cadence (and a frame) lost
    assert restored["step"] <= last_step + 5  # at most the frame in training after the last
    by_step = {step: params for _, step, params in received}
    if restored["step"] in by_step:  # a whole state: exactly a frame's weights, bit for bit
        net = restored["network"]
        layers = zip(net["weights"], net["biases"], strict=True)
        flat = b"".join(_bits(w) + _bits(b) for w, b in layers)
        assert flat == by_step[restored["step"]]  # (a frame's layout: W^1, b^1, W^2, …)
