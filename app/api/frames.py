"""The play stream's messages: control messages in, frames out.

Control messages (client → server) are JSON text, validated here. Frames
(server → client) are binary by default:

    uint32 little-endian  H, the header's length in bytes
    H bytes               the header, compact JSON (UTF-8)
    zero padding          to the next multiple of 8 bytes: the data section starts here
    float64 …             the parameters (exact, in ``params``' flat layout)
    float32 …             the boundary grids, if this frame has them

Every array is located by ``[byte offset from the data section's start, count]``
in the header. Small numbers (step, losses, accuracies, norms) are in the header
as JSON. ``format: "json"`` in ``play`` asks for the same content as one compact
JSON text message instead, arrays as nested lists (see docs/api.md, Stream).
"""

from __future__ import annotations

import struct
from typing import Annotated, Any, Literal

import numpy as np
import orjson
from pydantic import Field, TypeAdapter, ValidationError

from app.api.schemas import Strict

PROTOCOL = 1

# --- control messages (client → server) ----------------------------------------------------


class BoundaryRequest(Strict):
    every: Annotated[int, Field(ge=1, le=10_000)] = Field(
        6, description="Include the grid in every n-th frame (the first frame always has it)."
    )
    per_second: Annotated[float, Field(gt=0, le=1000)] | None = Field(
        None,
        description="Instead of `every`: include the grid whenever one is due at this many "
        "a second (on average, while frames come at least that often; the first frame "
        "always has it). A cadence in time holds whatever the client's frame rate.",
    )
    resolution: Annotated[int, Field(ge=2)] = 40
    neurons: bool = Field(False, description="Also every neuron's grid, as in /boundary.")


class _Settings(Strict):
    steps_per_frame: Annotated[int, Field(ge=1)] | None = Field(
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
    seq: Annotated[int, Field(ge=1)]


class Ping(Strict):
    type: Literal["ping"]


Control = Annotated[Play | Speed | Pause | Ack | Ping, Field(discriminator="type")]
CONTROL: TypeAdapter[Play | Speed | Pause | Ack | Ping] = TypeAdapter(Control)


class ControlError(ValueError):
    """A control message that cannot be followed; the answer is an error message."""

    def __init__(self, detail: str, loc: list[Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.loc = loc or []


def parse_control(text: str) -> Play | Speed | Pause | Ack | Ping:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as err:
        raise ControlError(f"not valid JSON: {err}") from None
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


# --- frames (server → client) --------------------------------------------------------------


def _align8(n: int) -> int:
    return (n + 7) & ~7


def encode_binary(header: dict[str, Any], f64: list[np.ndarray], f32: list[np.ndarray]) -> bytes:
    """Header plus arrays; the header's array fields must already hold the
    ``[offset, count]`` pairs that ``layout`` returned for the same arrays."""
    head = orjson.dumps(header)
    start = _align8(4 + len(head))
    parts = [struct.pack("<I", len(head)), head, b"\0" * (start - 4 - len(head))]
    parts += [np.ascontiguousarray(a, dtype=np.float64).tobytes() for a in f64]
    parts += [np.ascontiguousarray(a, dtype=np.float32).tobytes() for a in f32]
    return b"".join(parts)


def layout(f64: list[np.ndarray], f32: list[np.ndarray]) -> list[list[int]]:
    """``[offset, count]`` of each array, float64 ones first, as ``encode_binary`` lays them."""
    spans, offset = [], 0
    for arrays, size in ((f64, 8), (f32, 4)):
        for a in arrays:
            spans.append([offset, int(a.size)])
            offset += int(a.size) * size
    return spans


def decode_binary(message: bytes) -> tuple[dict[str, Any], memoryview]:
    """(header, data section) of a binary frame; read an array with ``array``."""
    (length,) = struct.unpack_from("<I", message, 0)
    header = orjson.loads(message[4 : 4 + length])
    return header, memoryview(message)[_align8(4 + length) :]


def array(data: memoryview, span: list[int], dtype: type[np.generic]) -> np.ndarray:
    offset, count = span
    return np.frombuffer(data, dtype=dtype, count=count, offset=offset)
