"""Live classes over the API (one app, on SQLite's classes file): creating one, the class
channel's join, publish and replay, and every refusal — wrong token, a student publishing,
bad or oversized messages, another site's page, an unknown class."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from app.api.class_messages import MAX_MESSAGE_BYTES
from app.presets import DEFAULT_REQUEST

Json = dict[str, Any]


def live(client: TestClient, class_id: str, **headers: str) -> Any:
    return client.websocket_connect(f"/api/classes/{class_id}/live", headers=headers)


def joined(ws: WebSocketTestSession, role: str, token: str | None = None) -> Json:
    ws.send_json({"type": "join", "role": role, **({"token": token} if token else {})})
    hello = ws.receive_json()
    assert hello["type"] == "hello" and hello["role"] == role
    return dict(hello)


def closed_with(ws: WebSocketTestSession) -> tuple[int, str]:
    with pytest.raises(WebSocketDisconnect) as info:
        ws.receive_json()
    return info.value.code, info.value.reason


@pytest.fixture
def new_class(client: TestClient) -> Callable[..., Json]:
    def make(**body: Any) -> Json:
        r = client.post("/api/classes", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    return make


def test_a_class_starts_on_a_session_and_a_student_sees_it_at_once(
    client: TestClient, create: Callable[[Json], Json], new_class: Callable[..., Json]
) -> None:
    s = create(copy.deepcopy(DEFAULT_REQUEST))
    c = new_class(session=s["id"])
    assert c["join"] == f"/?class={c['id']}" and len(c["token"]) >= 32
    assert client.get(f"/api/networks/{s['id']}/class").json()["id"] == c["id"]
    with live(client, c["id"]) as ws:
        assert joined(ws, "student")["students"] == 1
        first = ws.receive_json()
        assert first == {"type": "state", "kind": "session", "seq": 1,
                         "data": {"id": s["id"], "step": 0}}  # fmt: skip


def test_the_teacher_publishes_and_every_student_receives_it_once(
    client: TestClient, new_class: Callable[..., Json]
) -> None:
    c = new_class()
    view = {"edge_mode": "grad", "tab": "equations", "phase": "forward",
            "selection": {"kind": "node", "layer": 1, "index": 0}}  # fmt: skip
    with live(client, c["id"]) as teacher, live(client, c["id"]) as a, live(client, c["id"]) as b:
        assert joined(teacher, "teacher", c["token"])["students"] == 0
        joined(a, "student")
        joined(b, "student")
        assert a.receive_json() == {"type": "students", "count": 1}
        teacher.send_json({"type": "publish", "kind": "view", "data": view})
        for ws, counts in ((a, [2]), (b, [2])):
            assert [ws.receive_json()["count"] for _ in counts] == counts
            got = ws.receive_json()
            assert got == {"type": "state", "kind": "view", "seq": 1, "data": view}
    # the class keeps the latest of each kind for whoever joins later
    with live(client, c["id"]) as late:
        joined(late, "student")
        assert late.receive_json()["data"] == view


def test_a_settled_frame_reaches_students_as_sent(
    client: TestClient, new_class: Callable[..., Json]
) -> None:
    """A Step's frame carries what the teacher's page read (the sample's pass, the grids,
    the metrics rows since the last frame): students get it unchanged."""
    c = new_class()
    frame = {"session": "s1", "step": 3, "weights": [[[0.5, -0.25]]], "biases": [[0.1]],
             "metrics": {"step": 3, "train_loss": 0.4}, "settled": True,
             "records": [{"step": 2, "train_loss": 0.5}, {"step": 3, "train_loss": 0.4}],
             "updated_at": 1700000000.5, "dead": {"step": 3, "layers": [[]]},
             "forward": {"layers": [{"z": [[0.1]], "a": [[0.52]]}]},
             "boundary": {"dims": 2, "resolution": 2, "output": [0, 1, 1, 0]}}  # fmt: skip
    with live(client, c["id"]) as teacher, live(client, c["id"]) as a:
        joined(teacher, "teacher", c["token"])
        joined(a, "student")
        assert a.receive_json() == {"type": "students", "count": 1}
        teacher.send_json({"type": "publish", "kind": "frame", "data": frame})
        assert a.receive_json() == {"type": "state", "kind": "frame", "seq": 1, "data": frame}


def test_only_the_teacher_publishes(client: TestClient, new_class: Callable[..., Json]) -> None:
    c = new_class()
    with live(client, c["id"]) as ws:
        ws.send_json({"type": "join", "role": "teacher", "token": "not-the-token"})
        assert closed_with(ws) == (4401, "wrong or missing teacher token")
    with live(client, c["id"]) as ws:
        joined(ws, "student")
        ws.receive_json()  # the count
        ws.send_json({"type": "publish", "kind": "view", "data": {}})
        assert ws.receive_json()["detail"] == "only the teacher publishes in a class"


@pytest.mark.parametrize(
    ("message", "detail"),
    [
        ({"type": "publish", "kind": "weights", "data": {}}, "kind: Input should be"),
        ({"type": "publish", "kind": "view", "data": {"edge_mode": "x"}}, "data.edge_mode:"),
        ({"type": "publish", "kind": "session", "data": {"id": "a/b", "step": 1}}, "data.id:"),
        (
            {
                "type": "publish",
                "kind": "frame",
                "data": {"session": "a", "step": -1, "weights": []},
            },
            "data.step:",
        ),
        (
            {
                "type": "publish",
                "kind": "frame",
                "data": {
                    "session": "a",
                    "step": 1,
                    "weights": [],
                    "settled": True,
                    "records": [{"step": 1}] * 1001,
                },
            },
            "data.records:",
        ),
        ({"type": "shout"}, 'a class message is a JSON object with "type"'),
        ({"type": "join", "role": "student"}, "already joined"),
    ],
)
def test_bad_messages_are_answered_in_plain_words(
    client: TestClient, new_class: Callable[..., Json], message: Json, detail: str
) -> None:
    c = new_class()
    with live(client, c["id"]) as ws:
        joined(ws, "teacher", c["token"])
        ws.send_json(message)
        answer = ws.receive_json()
        assert answer["type"] == "error" and answer["detail"].startswith(detail), answer
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}  # the connection goes on


def test_an_oversized_message_closes_the_connection(
    client: TestClient, new_class: Callable[..., Json]
) -> None:
    c = new_class()
    with live(client, c["id"]) as ws:
        joined(ws, "teacher", c["token"])
        big = {"type": "publish", "kind": "view", "data": {"tab": "x" * MAX_MESSAGE_BYTES}}
        ws.send_text(orjson.dumps(big).decode())
        code, reason = closed_with(ws)
        assert code == 1009 and "at most" in reason


def test_refusals_before_joining(client: TestClient, new_class: Callable[..., Json]) -> None:
    c = new_class()
    with live(client, "no-such-class") as ws:
        assert closed_with(ws) == (4404, "class not found (it may have ended)")
    with live(client, c["id"], origin="https://elsewhere.example") as ws:
        assert closed_with(ws)[0] == 4403
    with live(client, c["id"], origin="http://testserver") as ws:  # the page's own site
        joined(ws, "student")
    with live(client, c["id"]) as ws:
        ws.send_text("not json")
        assert closed_with(ws)[0] == 4400
    with live(client, c["id"]) as ws:
        ws.send_json({"type": "ping"})
        assert closed_with(ws) == (4400, "the first message must be a join")


def test_rest_refusals(client: TestClient) -> None:
    assert client.post("/api/classes", json={"session": "nope"}).status_code == 404
    assert client.post("/api/classes", json={"session": "a b"}).status_code == 422
    assert client.get("/api/classes/nope").status_code == 404
    assert client.get("/api/networks/nope/class").json() == {"id": None, "join": None}
