"""The play stream's control messages (client → server): their models, their parsing
and the play settings they set.

Control messages are JSON text: ``play``, ``speed``, ``pause``, ``ack`` and ``ping``
(see docs/api.md, Stream). A message that cannot be followed raises ``ControlError``,
which the stream answers with an ``error`` message and goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import orjson
from pydantic import Field, TypeAdapter, ValidationError

from app.api.schemas import Strict
from app.settings import Limits


class BoundaryRequest(Strict):
    every: Annotated[int, Field(strict=True, ge=1, le=10_000)] = Field(
        6, description="Include the grid in every n-th frame (the first frame always has it)."
    )
    per_second: Annotated[float, Field(gt=0, le=1000)] | None = Field(
        None,
        description="Instead of `every`: include the grid whenever one is due at this many "
        "a second (on average, while frames come at least that often; the first frame "
        "always has it). A cadence in time holds whatever the client's frame rate.",
    )
    resolution: Annotated[int, Field(strict=True, ge=2)] = 40
    neurons: bool = Field(False, description="Also every neuron's grid, as in /boundary.")
    plane: Annotated[list[int], Field(min_length=2, max_length=2)] = Field(
        [0, 1],
        description="More than 2 raw features: the two the grid spans, the others held at "
        "their training mean (as /boundary's plane_x and plane_y).",
    )


class _Settings(Strict):
    steps_per_frame: Annotated[int, Field(strict=True, ge=1)] | None = Field(
        None, description="Exactly this many updates per frame."
    )
    steps_per_second: Annotated[float, Field(gt=0, le=1e7)] | None = Field(
        None, description="Train at this average rate (frames still follow the acks)."
    )
    boundary: BoundaryRequest | None = None
    format: Literal["binary", "json"] = "binary"


class Play(_Settings):
    """Start (or keep) playing with these settings; without a speed, train at full speed."""

    type: Literal["play"]


class Speed(_Settings):
    """Change the given settings only; playing or paused stays as it is."""

    type: Literal["speed"]


class Pause(Strict):
    type: Literal["pause"]


class Ack(Strict):
    """The client has consumed every frame up to ``seq``; it may be sent more."""

    type: Literal["ack"]
    seq: Annotated[int, Field(strict=True, ge=1)]


class Ping(Strict):
    type: Literal["ping"]


Message = Play | Speed | Pause | Ack | Ping
Control = Annotated[Message, Field(discriminator="type")]
CONTROL: TypeAdapter[Message] = TypeAdapter(Control)


class ControlError(ValueError):
    """A control message that cannot be followed; the answer is an error message."""

    def __init__(self, detail: str, loc: list[Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.loc = loc or []


def parse_control(text: str) -> Message:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as err:
        raise ControlError(f"not valid JSON: {err}") from None
    if (  # the common case, 55 a second per student: what validation would accept, directly
        type(data) is dict
        and len(data) == 2
        and data.get("type") == "ack"
        and type(data.get("seq")) is int
        and data["seq"] >= 1
    ):
        return Ack.model_construct(type="ack", seq=data["seq"])
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ControlError(
            'a control message is a JSON object with "type": play, speed, pause, ack or ping',
            ["type"],
        )
    try:
        msg = CONTROL.validate_python(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = list(first["loc"])
        if loc and loc[0] == data["type"]:  # the union's tag comes first
            loc = loc[1:]
        where = ".".join(str(p) for p in loc) or "type"
        raise ControlError(f"{where}: {first['msg']}", loc or ["type"]) from None
    if isinstance(msg, Play | Speed) and msg.steps_per_frame and msg.steps_per_second:
        raise ControlError(
            "give steps_per_frame or steps_per_second, not both", ["steps_per_second"]
        )
    grid = msg.boundary if isinstance(msg, Play | Speed) else None
    if grid is not None and grid.per_second is not None and "every" in grid.model_fields_set:
        raise ControlError(
            "boundary: give every or per_second, not both", ["boundary", "per_second"]
        )
    return msg


@dataclass
class PlaySettings:
    """What a stream plays with: one speed (or none: full speed), the grid, the format."""

    steps_per_frame: int | None = None
    steps_per_second: float | None = None
    boundary: BoundaryRequest | None = None
    format: str = "binary"

    def apply(self, msg: Play | Speed, limits: Limits, input_dim: Callable[[], int]) -> None:
        """``play`` replaces every setting, ``speed`` only those it gives (a speed given
        replaces the other one). Checked against the server's limits and the session's
        raw input dimension (``input_dim``, read only when a grid is asked for); a
        ``steps_per_frame`` over the limit is dropped after the rest is applied."""
        if msg.boundary is not None:
            _check_boundary(msg.boundary, limits.max_grid, input_dim)
        fields = msg.model_fields_set - {"type"}
        if isinstance(msg, Play):
            self.steps_per_frame, self.steps_per_second = msg.steps_per_frame, msg.steps_per_second
            self.boundary, self.format = msg.boundary, msg.format
        else:
            for name in fields:
                setattr(self, name, getattr(msg, name))
            if {"steps_per_frame", "steps_per_second"} & fields:  # one speed at a time
                if "steps_per_second" not in fields:
                    self.steps_per_second = None
                if "steps_per_frame" not in fields:
                    self.steps_per_frame = None
        if self.steps_per_frame and self.steps_per_frame > limits.max_steps:
            steps, self.steps_per_frame = self.steps_per_frame, None
            raise ControlError(
                f"steps_per_frame: {steps} is over the server's limit of {limits.max_steps}",
                ["steps_per_frame"],
            )


def _check_boundary(b: BoundaryRequest, max_grid: int, input_dim: Callable[[], int]) -> None:
    if b.resolution > max_grid:
        raise ControlError(
            f"boundary.resolution: {b.resolution} is over the server's limit of {max_grid}",
            ["boundary", "resolution"],
        )
    dims = input_dim()
    fx, fy = b.plane
    if dims > 2 and not (fx != fy and 0 <= fx < dims and 0 <= fy < dims):
        raise ControlError(
            f"boundary.plane: needs two different features of 0…{dims - 1}, got {[fx, fy]}",
            ["boundary", "plane"],
        )
