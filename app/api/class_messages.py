"""The class channel's messages (``/api/classes/{id}/live``; docs/api.md, "Classes").

Client → server, JSON text, validated here:

* ``{"type": "join", "role": "student"}`` or ``{"type": "join", "role": "teacher",
  "token": …}`` — the first message of every connection;
* ``{"type": "publish", "kind": "session" | "frame" | "view", "data": {…}}`` — the
  teacher only: what its page shows now (each kind replaces the class's latest one);
* ``{"type": "ping"}`` — answered with ``pong``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import Field, TypeAdapter, ValidationError

from app.api.controls import ControlError
from app.api.schemas import Strict

MAX_MESSAGE_BYTES = 1_000_000  # a frame's weights at the largest network are ~0.5 MB of JSON
Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,200}$")]
Numbers = list[Any]  # nested lists of numbers (weights per layer); checked by size only


class Join(Strict):
    type: Literal["join"]
    role: Literal["student", "teacher"]
    token: Annotated[str, Field(max_length=200)] | None = None


class Ping(Strict):
    type: Literal["ping"]


class SessionState(Strict):
    """The teacher's session: a follower loads it when the id or version differs."""

    id: Id
    step: Annotated[int, Field(ge=0)]
    updated_at: float | str | None = None
    sent_at: float | None = None


class FrameState(Strict):
    """A Play frame: the weights after ``step``, with the metrics (throttled by the page)."""

    session: Id
    step: Annotated[int, Field(ge=0)]
    weights: Numbers
    biases: Numbers | None = None
    metrics: dict[str, Any] | None = None
    boundary: dict[str, Any] | None = None
    forward: dict[str, Any] | None = None  # the sample's pass the teacher's page read for it
    backward: dict[str, Any] | None = None  # (with the edges on ∂C/∂W): followers read none
    # a settled frame (a Step, a pause, an edited weight: the same step is shown again) with
    # the metrics rows since the last one sent, the session's version and its dead neurons
    settled: bool = False
    records: Annotated[list[dict[str, Any]], Field(max_length=1000)] | None = None
    updated_at: float | str | None = None
    dead: dict[str, Any] | None = None
    sent_at: float | None = None


class Sample(Strict):
    split: Literal["train", "test"]
    index: Annotated[int, Field(ge=0)]


class Presenter(Strict):
    on: bool
    hide: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=60)] = Field(
        default_factory=list
    )


class ViewState(Strict):
    """What the teacher's page shows besides the weights."""

    selection: dict[str, Any] | None = None
    edge_mode: Literal["weight", "grad", "update"] = "weight"
    sample: Sample | None = None
    tab: Annotated[str, Field(max_length=40)] | None = None
    phase: Literal["forward", "backward", "update", "idle"] = "idle"
    # the layer the forward/backward signal has reached: followers show the same one
    phase_layer: Annotated[int, Field(ge=0, le=1000)] | None = None
    # the pass being animated (the teacher's own values), so followers read none
    pass_: Annotated[dict[str, Any] | None, Field(alias="pass")] = None
    playing: bool = False
    presenter: Presenter | None = None
    sent_at: float | None = None


class Publish(Strict):
    type: Literal["publish"]
    kind: Literal["session", "frame", "view"]
    data: dict[str, Any]


MODELS: dict[str, type[Strict]] = {
    "session": SessionState,
    "frame": FrameState,
    "view": ViewState,
}
MESSAGE = TypeAdapter(Annotated[Join | Ping | Publish, Field(discriminator="type")])


def _where(err: ValidationError, skip: int = 0) -> str:
    first = err.errors()[0]
    loc = [str(p) for p in first["loc"]][skip:]
    return f"{'.'.join(loc) or 'message'}: {first['msg']}"


def parse(text: str | None) -> Join | Ping | Publish:
    """A client message, or ``ControlError`` saying in plain words what is wrong."""
    if text is None:
        raise ControlError("class messages are JSON text, not binary")
    if len(text) > MAX_MESSAGE_BYTES or len(text.encode()) > MAX_MESSAGE_BYTES:
        raise ControlError(f"a message may be at most {MAX_MESSAGE_BYTES} bytes")
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as err:
        raise ControlError(f"not valid JSON: {err}") from None
    if not isinstance(data, dict) or data.get("type") not in ("join", "ping", "publish"):
        raise ControlError(
            'a class message is a JSON object with "type": join, publish or ping', ["type"]
        )
    try:
        msg = MESSAGE.validate_python(data)
    except ValidationError as err:
        raise ControlError(_where(err, 1)) from None
    if isinstance(msg, Publish):
        try:
            MODELS[msg.kind].model_validate(msg.data)
        except ValidationError as err:
            raise ControlError(f"data.{_where(err)}", ["data"]) from None
    return msg
