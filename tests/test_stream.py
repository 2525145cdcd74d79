"""The play stream (/api/networks/{id}/stream) through starlette's TestClient.

Deterministic by construction: every test plays with ``steps_per_frame`` (exact
chunks) and orders what it checks by the protocol itself — the server may only
send a frame it has credit for, so after two unacknowledged frames the next
message must be the answer to whatever the test sends next.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from app.api import pacing
from app.api.controls import BoundaryRequest
from app.api.frames import array, decode_binary
from app.api.routers import stream as stream_router
from app.api.routers.stream import small_grid
from app.main import create_app
from app.presets import DEFAULT_REQUEST, PRESETS
from app.settings import Settings

Json = dict[str, Any]


@pytest.fixture(autouse=True)
def window_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count frames against a credit of 2 (test_window_is_served holds the real
    one): the mechanism does not depend on its size."""
    monkeypatch.setattr(pacing, "WINDOW", 2)
    monkeypatch.setattr(stream_router, "WINDOW", 2)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db_path=tmp_path / "db.sqlite3"))) as c:
        yield c


def _create(client: TestClient, request: Json | None = None) -> str:
    response = client.post("/api/networks", json=copy.deepcopy(request or DEFAULT_REQUEST))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _connect(client: TestClient, session_id: str) -> Any:
    return client.websocket_connect(f"/api/networks/{session_id}/stream")


class Frame:
    """A decoded frame: its header, its parameters (float64) and boundary grids (float32)."""

    def __init__(self, message: bytes) -> None:
        self.header, data = decode_binary(message)
        self.params = array(data, self.header["params"], np.float64)
        b = self.header["boundary"]
        self.boundary: Json | None = None
        if b is not None:
            self.boundary = {"output": array(data, b["output"], np.float32)}
            if "neurons" in b:
                self.boundary["inputs"] = array(data, b["inputs"], np.float32)
                self.boundary["neurons"] = [array(data, s, np.float32) for s in b["neurons"]]

    def __getitem__(self, key: str) -> Any:
        return self.header[key]


def _next(ws: WebSocketTestSession) -> Frame | Json:
    message = ws.receive()
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    if message.get("bytes") is not None:
        return Frame(message["bytes"])
    import json

    text: Json = json.loads(message["text"])
    return text


def _frame(ws: WebSocketTestSession) -> Frame:
    message = _next(ws)
    assert isinstance(message, Frame), message
    return message


def _text(ws: WebSocketTestSession, kind: str) -> Json:
    message = _next(ws)
    assert isinstance(message, dict) and message["type"] == kind, message
    return message


def _hello(ws: WebSocketTestSession) -> Json:
    return _text(ws, "hello")


def _params(session: Json) -> np.ndarray:
    """The flat parameter vector in the layout ``hello`` describes: W^1, b^1, W^2, b^2, …"""
    net = session["network"]
    parts: list[np.ndarray] = []
    for l, w in enumerate(net["weights"]):
        parts.append(np.ravel(w))
        if net["biases"] is not None:
            parts.append(np.ravel(net["biases"][l]))
    return np.concatenate(parts)


def _pause(ws: WebSocketTestSession) -> tuple[list[Frame], Json]:
    """Pause; returns the frames still on their way and the ``paused`` answer."""
    ws.send_json({"type": "pause"})
    frames = []
    while True:
        message = _next(ws)
        if isinstance(message, Frame):
            frames.append(message)
        else:
            assert message["type"] == "paused", message
            return frames, message


# --- the protocol ------------------------------------------------------------------------------


def test_hello_describes_the_session_and_the_parameter_layout(client):
    session_id = _create(client)
    with _connect(client, session_id) as ws:
        hello = _hello(ws)
    assert hello["id"] == session_id and hello["step"] == 0
    assert hello["window"] == 2 and hello["protocol"] == 1
    assert hello["layers"] == [2, 4, 2, 1] and hello["n_params"] == 25
    # [offset of W^l, n_l, n_{l-1}, offset of b^l] per layer
    assert hello["layout"] == [[0, 4, 2, 8], [12, 2, 4, 20], [22, 1, 2, 24]]


def test_window_is_served(client, monkeypatch):
    monkeypatch.undo()  # the served window, not the other tests' 2
    session_id = _create(client)
    with _connect(client, session_id) as ws:
        assert _hello(ws)["window"] == pacing.WINDOW == 3
        ws.send_json({"type": "play", "steps_per_frame": 7})
        assert [_frame(ws)["seq"] for _ in range(3)] == [1, 2, 3]
        ws.send_json({"type": "ping"})  # three unacknowledged: the next message is the pong
        assert _text(ws, "pong")["sent"] == 3
        _pause(ws)


def test_frames_arrive_with_increasing_steps_and_only_against_credit(client):
    session_id = _create(client)
    with _connect(client, session_id) as ws:
        _hello(ws)
        ws.send_json({"type": "play", "steps_per_frame": 7})
        first, second = _frame(ws), _frame(ws)
        assert (first["seq"], first["step"], first["steps"]) == (1, 7, 7)
        assert (second["seq"], second["step"], second["steps"]) == (2, 14, 7)
        # Two frames unacknowledged: the window is full, so the next message is the pong.
        ws.send_json({"type": "ping"})
        pong = _text(ws, "pong")
        assert (pong["step"], pong["sent"], pong["acked"], pong["playing"]) == (14, 2, 0, True)
        steps = [14]
        for seq in range(1, 6):
            ws.send_json({"type": "ack", "seq": seq})
            frame = _frame(ws)
            assert frame["seq"] == seq + 2
            steps.append(frame["step"])
        assert steps == [14, 21, 28, 35, 42, 49]
        frames, paused = _pause(ws)
        assert frames == [] and paused["step"] == 49


def test_an_ack_covers_every_frame_up_to_its_seq(client):
    with _connect(client, _create(client)) as ws:
        _hello(ws)
        ws.send_json({"type": "play", "steps_per_frame": 3})
        _frame(ws), _frame(ws)
        ws.send_json({"type": "ack", "seq": 2})  # both at once: two more may come
        assert [_frame(ws)["seq"], _frame(ws)["seq"]] == [3, 4]
        ws.send_json({"type": "ack", "seq": 1})  # old news: no new credit
        ws.send_json({"type": "ping"})
        assert _text(ws, "pong")["acked"] == 2


def test_pause_stops_training_and_play_resumes_from_there(client):
    session_id = _create(client)
    with _connect(client, session_id) as ws:
        _hello(ws)
        ws.send_json({"type": "play", "steps_per_frame": 5})
        last = _frame(ws)
        ws.send_json({"type": "ack", "seq": 1})
        frames, paused = _pause(ws)
        last = (frames or [last])[-1]
        assert paused == {"type": "paused", "step": last["step"], "reason": "pause"}
        # Credit for everything, but paused: nothing is trained or sent.
        ws.send_json({"type": "ack", "seq": last["seq"]})
        ws.send_json({"type": "ping"})
        assert _text(ws, "pong")["step"] == paused["step"]
        assert client.get(f"/api/networks/{session_id}").json()["step"] == paused["step"]
        ws.send_json({"type": "play", "steps_per_frame": 5})
        frame = _frame(ws)
        assert frame["seq"] == last["seq"] + 1 and frame["step"] == paused["step"] + 5


def test_state_is_persisted_as_the_rest_step_persists_it(client):
    session_id = _create(client)
    with _connect(client, session_id) as ws:
        _hello(ws)
        ws.send_json({"type": "play", "steps_per_frame": 40})
        frames = [_frame(ws), _frame(ws)]
        ws.send_json({"type": "ack", "seq": 2})
        more, paused = _pause(ws)
        frames += more
    last = frames[-1]
    assert paused["step"] == last["step"]
    session = client.get(f"/api/networks/{session_id}").json()
    assert session["step"] == last["step"]
    np.testing.assert_array_equal(_params(session), last.params)  # float64, bit for bit
    assert session["metrics"] == last["metrics"]
    metrics = client.get(f"/api/networks/{session_id}/metrics").json()
    # every step of the run's start (as REST stores it), then one row per frame
    trained = [step for step in metrics["step"] if step > 0]  # (step 0: the initial state)
    assert trained == [*range(1, 51), *[f["step"] for f in frames[1:]]]
    assert metrics["train_loss"][-1] == last["metrics"]["train_loss"]
    snapshots = client.get(f"/api/networks/{session_id}/snapshots").json()["snapshots"]
    assert snapshots[-1]["step"] == last["step"]
    assert snapshots[-1]["weights"] == session["network"]["weights"]


def test_streamed_training_equals_rest_steps(client):
    """Same session twice: 150 updates in frames of 50, and 150 REST steps in calls of 50
    (a call records at its last step, as a frame does)."""
    streamed, stepped = _create(client), _create(client)
    with _connect(client, streamed) as ws:
        _hello(ws)
        ws.send_json({"type": "play", "steps_per_frame": 50})
        frames = [_frame(ws), _frame(ws)]
        ws.send_json({"type": "ack", "seq": 1})
        frames.append(_frame(ws))
        _pause(ws)
    for _ in range(3):
        assert client.post(f"/api/networks/{stepped}/step", json={"steps": 50}).status_code == 200
    a = client.get(f"/api/networks/{streamed}").json()
    b = client.get(f"/api/networks/{stepped}").json()
    assert a["step"] == b["step"] == frames[-1]["step"] == 150
    assert a["network"]["weights"] == b["network"]["weights"]
    assert a["network"]["biases"] == b["network"]["biases"]
    assert a["metrics"] == b["metrics"]
    rest = client.get(f"/api/networks/{stepped}/metrics").json()
    for frame in frames:
        i = rest["step"].index(frame["step"])
        assert frame["metrics"]["train_loss"] == rest["train_loss"][i]
        assert frame["metrics"]["grad_norms"] == rest["grad_norms"][i]


def test_rest_edits_between_chunks_take_effect(client):
    """A learning-rate change made while the stream waits for credit shapes the next chunk."""
    streamed, stepped = _create(client), _create(client)
    with _connect(client, streamed) as ws:
        _hello(ws)
        ws.send_json({"type": "play", "steps_per_frame": 30})
        _frame(ws), _frame(ws)  # window full: the server waits, holding no lock
        patch = {"learning_rate": 0.5}
        assert client.patch(f"/api/networks/{streamed}/training", json=patch).status_code == 200
        ws.send_json({"type": "ack", "seq": 1})
        third = _frame(ws)
        _pause(ws)
    client.post(f"/api/networks/{stepped}/step", json={"steps": 60})
    client.patch(f"/api/networks/{stepped}/training", json=patch)
    client.post(f"/api/networks/{stepped}/step", json={"steps": 30})
    expected = _params(client.get(f"/api/networks/{stepped}").json())
    assert third["step"] == 90
    np.testing.assert_array_equal(third.params, expected)


def test_boundary_comes_at_the_requested_rate_and_resolution(client):
    session_id = _create(client)
    with _connect(client, session_id) as ws:
        _hello(ws)
        boundary = {"every": 3, "resolution": 9, "neurons": True}
        ws.send_json({"type": "play", "steps_per_frame": 2, "boundary": boundary})
        frames = [_frame(ws), _frame(ws)]
        for seq in range(1, 6):
            ws.send_json({"type": "ack", "seq": seq})
            frames.append(_frame(ws))
        _, paused = _pause(ws)
    assert [f.boundary is not None for f in frames] == [True, False, False] * 2 + [True]
    described = frames[0]["boundary"]
    assert described["resolution"] == 9 and described["dims"] == 2
    assert described["domain"] == [[-6.0, 6.0], [-6.0, 6.0]]
    last = frames[-1]
    assert last["step"] == paused["step"]  # so the REST boundary is of the same weights
    rest = client.get(f"/api/networks/{session_id}/boundary?resolution=9&neurons=true").json()
    assert last.boundary is not None
    np.testing.assert_array_equal(last.boundary["output"], np.float32(rest["output"]))
    assert [len(n) for n in last.boundary["neurons"]] == [4 * 81, 2 * 81, 1 * 81]
    for got, want in zip(last.boundary["neurons"], rest["neurons"], strict=True):
        np.testing.assert_array_equal(got, np.float32(want).ravel())


def test_a_boundary_over_more_than_two_inputs_spans_the_asked_plane(client):
    iris = client.get("/api/tables/iris").json()["dataset"]
    net = {"layers": [4, 5, 3], "activations": ["tanh", "softmax"], "loss": "cross_entropy"}
    session_id = _create(client, {"network": net, "dataset": iris})
    with _connect(client, session_id) as ws:
        _hello(ws)
        boundary = {"every": 1, "resolution": 6, "plane": [2, 0]}
        ws.send_json({"type": "play", "steps_per_frame": 1, "boundary": boundary})
        frame = _frame(ws)
        _pause(ws)
    rest = client.get(
        f"/api/networks/{session_id}/boundary",
        params={"resolution": 6, "plane_x": 2, "plane_y": 0},
    ).json()  # the plane, its box and the held values do not change with the weights
    described = frame["boundary"]
    assert described["plane"] == rest["plane"] == [2, 0] and described["dims"] == 2
    assert described["domain"] == rest["domain"]
    np.testing.assert_allclose(described["held"], rest["held"])
    assert frame.boundary is not None and len(frame.boundary["output"]) == 36


@pytest.mark.parametrize(("per_second", "expected"), [(1e-3, [True] + [False] * 6),
                                                       (1000.0, [True] * 7)])  # fmt: skip
def test_boundary_per_second_is_a_cadence_in_time(client, per_second, expected):
    """Deterministic at the extremes: once in 1000 s (the first frame only), or 1000 a
    second (every frame: a chunk takes longer than a millisecond to make and send)."""
    with _connect(client, _create(client)) as ws:
        _hello(ws)
        boundary = {"per_second": per_second, "resolution": 5}
        ws.send_json({"type": "play", "steps_per_frame": 60, "boundary": boundary})
        frames = [_frame(ws), _frame(ws)]
        for seq in range(1, 6):
            ws.send_json({"type": "ack", "seq": seq})
            frames.append(_frame(ws))
        _pause(ws)
    assert [f.boundary is not None for f in frames] == expected


def test_speed_changes_settings_without_starting(client):
    with _connect(client, _create(client)) as ws:
        _hello(ws)
        ws.send_json({"type": "speed", "steps_per_frame": 4})
        ws.send_json({"type": "ping"})
        assert _text(ws, "pong")["playing"] is False
        ws.send_json({"type": "play", "steps_per_frame": 4})
        assert _frame(ws)["steps"] == 4
        ws.send_json({"type": "speed", "steps_per_frame": 9, "boundary": {"every": 1}})
        ws.send_json({"type": "ack", "seq": 1})
        frames = [_frame(ws)]  # frame 2 may have been under way with the old settings
        ws.send_json({"type": "ack", "seq": 2})
        frames.append(_frame(ws))
        assert frames[-1]["steps"] == 9 and frames[-1].boundary is not None


def test_json_frames_carry_the_same_content(client):
    session_id = _create(client)
    with _connect(client, session_id) as ws:
        _hello(ws)
        play = {"type": "play", "steps_per_frame": 3, "format": "json",
                "boundary": {"every": 1, "resolution": 5}}  # fmt: skip
        ws.send_json(play)
        first, second = _text(ws, "frame"), _text(ws, "frame")
        _pause(ws)
    session = client.get(f"/api/networks/{session_id}").json()
    assert second["step"] == session["step"] == 6
    assert second["weights"] == session["network"]["weights"]
    assert second["biases"] == session["network"]["biases"]
    assert second["metrics"] == session["metrics"]
    assert len(first["boundary"]["output"]) == 25 and "neurons" not in first["boundary"]


def test_full_speed_and_rate_modes_train(client):
    with _connect(client, _create(client)) as ws:
        _hello(ws)
        ws.send_json({"type": "play"})
        first = _frame(ws)
        assert first["steps"] >= 1 and first["step"] == first["steps"]
        ws.send_json({"type": "play", "steps_per_second": 5000.0})
        ws.send_json({"type": "ack", "seq": 1})
        frames, _ = _pause(ws)
        steps = [first["step"]] + [f["step"] for f in frames]
        assert steps == sorted(steps)


def test_divergence_pauses_with_the_rest_message(client):
    request = next(p["request"] for p in PRESETS if p["id"] == "diverging")
    streamed, stepped = _create(client, request), _create(client, request)
    with _connect(client, streamed) as ws:
        _hello(ws)
        ws.send_json({"type": "play", "steps_per_frame": 100})
        frame = _frame(ws)
        paused = _text(ws, "paused")
    rest = client.post(f"/api/networks/{stepped}/step", json={"steps": 100}).json()
    assert frame["diverged"] and rest["diverged"]
    assert frame["message"] == rest["message"] == paused["message"]
    assert frame["step"] == rest["step"] == paused["step"]
    assert paused["reason"] == "diverged"


def test_close_stops_training(client):
    session_id = _create(client)
    with _connect(client, session_id) as ws:
        _hello(ws)
        ws.send_json({"type": "play", "steps_per_frame": 5})
        seen = _frame(ws)["step"]
    after = client.get(f"/api/networks/{session_id}").json()["step"]
    assert after >= seen and after % 5 == 0  # whole chunks only: saved, or not at all
    client.get("/api/health")
    assert client.get(f"/api/networks/{session_id}").json()["step"] == after


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("{", "not valid JSON"),
        ("[1, 2]", '"type"'),
        ('{"type": "jump"}', "type"),
        ('{"type": "play", "steps_per_frame": 0}', "steps_per_frame"),
        ('{"type": "play", "steps_per_frame": 5, "steps_per_second": 9}', "not both"),
        ('{"type": "play", "speed": 3}', "speed"),
        ('{"type": "play", "boundary": {"every": 0}}', "boundary.every"),
        ('{"type": "play", "boundary": {"per_second": 0}}', "boundary.per_second"),
        ('{"type": "play", "boundary": {"every": 2, "per_second": 9}}', "not both"),
        ('{"type": "play", "boundary": {"resolution": 4096}}', "limit of 128"),
        ('{"type": "play", "steps_per_frame": 1000000}', "limit of 10000"),
        ('{"type": "play", "format": "xml"}', "format"),
        ('{"type": "ack"}', "seq"),
        ('{"type": "ack", "seq": 3}', "has not been sent"),
    ],
)
def test_bad_control_messages_get_an_error_and_the_stream_goes_on(client, message, expected):
    with _connect(client, _create(client)) as ws:
        _hello(ws)
        ws.send_text(message)
        error = _text(ws, "error")
        assert expected in error["detail"]
        ws.send_json({"type": "ping"})
        assert _text(ws, "pong")["playing"] is False
        ws.send_json({"type": "play", "steps_per_frame": 2})
        assert _frame(ws)["step"] == 2


def test_binary_control_messages_are_refused(client):
    with _connect(client, _create(client)) as ws:
        _hello(ws)
        ws.send_bytes(b'{"type": "ping"}')
        assert "JSON text" in _text(ws, "error")["detail"]


def test_unknown_session_closes_with_a_reason(client):
    with _connect(client, "AAAAAAAAAAAAAAAAAAAAAA") as ws:
        error = _text(ws, "error")
        assert "no session with id" in error["detail"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 4404
    assert "no session with id 'AAAAAAAAAAAAAAAAAAAAAA'" in (closed.value.reason or "")


def test_a_session_deleted_while_streaming_closes_the_stream(client):
    session_id = _create(client)
    with _connect(client, session_id) as ws:
        _hello(ws)
        ws.send_json({"type": "play", "steps_per_frame": 2})
        _frame(ws), _frame(ws)
        assert client.delete(f"/api/networks/{session_id}").status_code == 204
        ws.send_json({"type": "ack", "seq": 2})
        assert "no session" in _text(ws, "error")["detail"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 4404


@pytest.mark.parametrize(("grid", "input_dim", "layers", "inline"), [
    (None, 2, [2] + [64] * 9 + [1], True),  # no grid: only the header and arrays
    ({"resolution": 40, "neurons": True}, 2, [2, 4, 2, 1], True),  # default Play: 14,400
    ({"resolution": 128, "neurons": False}, 2, [2, 4, 2, 1], True),  # 16,384
    ({"resolution": 128, "neurons": True}, 2, [2, 4, 2, 1], False),  # 147,456
    ({"resolution": 40, "neurons": True}, 2, [2] + [64] * 9 + [1], False),  # 926,400
    ({"resolution": 128, "neurons": True}, 1, [1, 8, 1], True),  # a line: 128 cells
])  # fmt: skip
def test_only_small_grids_are_built_on_the_event_loop(
    grid: dict[str, Any] | None, input_dim: int, layers: list[int], inline: bool
) -> None:
    request = None if grid is None else BoundaryRequest.model_validate(grid)
    assert small_grid(request, input_dim, layers) is inline
