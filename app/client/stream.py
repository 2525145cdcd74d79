"""Play mode from Python: the stream's frames, decoded, one at a time (docs/api.md, Stream).

A binary frame is a uint32 little-endian header length H, H bytes of JSON header, zero
padding to a multiple of 8, then float64 parameters and float32 boundary grids, each
located by ``[byte offset from the data section, count]`` in the header. Each frame is
acknowledged when the next one is asked for, so the server trains no further ahead than
this loop consumes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import numpy as np
import orjson

from app.client.errors import ApiError
from app.client.models import Boundary, Frame, Metrics
from app.client.transport import Socket

PROTOCOL = 1  # the stream protocol this client speaks (hello's "protocol")


def _align8(n: int) -> int:
    return (n + 7) & ~7


def decode(message: bytes, layout: list[list[int | None]]) -> Frame:
    """A binary frame; ``layout`` is hello's ``[offset of W^l, n_l, n_{l−1}, offset of b^l]``
    per layer, in the flat parameter vector."""
    (length,) = struct.unpack_from("<I", message, 0)
    header = orjson.loads(message[4 : 4 + length])
    data = memoryview(message)[_align8(4 + length) :]

    def read(span: list[int], dtype: type[np.generic]) -> np.ndarray:
        offset, count = span
        return np.frombuffer(data, dtype=dtype, count=count, offset=offset).copy()

    params = read(header["params"], np.float64)
    weights, biases = [], []
    for w_at, n_out, n_in, b_at in layout:
        assert w_at is not None and n_out is not None and n_in is not None
        weights.append(params[w_at : w_at + n_out * n_in].reshape(n_out, n_in))
        if b_at is not None:
            biases.append(params[b_at : b_at + n_out])
    boundary = None
    if header["boundary"] is not None:
        b = header["boundary"]
        grids: dict[str, Any] = {k: read(b[k], np.float32) for k in ("output", "inputs") if k in b}
        if "neurons" in b:
            grids["neurons"] = [read(s, np.float32) for s in b["neurons"]]
        boundary = Boundary.from_json({**b, **grids})
    return _frame(header, weights, biases if len(biases) == len(layout) else None, boundary)


def _frame(
    header: dict[str, Any],
    weights: list[np.ndarray],
    biases: list[np.ndarray] | None,
    boundary: Boundary | None,
) -> Frame:
    return Frame(
        seq=int(header["seq"]),
        step=int(header["step"]),
        steps=int(header["steps"]),
        train_ms=float(header["train_ms"]),
        diverged=bool(header["diverged"]),
        message=header.get("message"),
        metrics=Metrics.from_json(header["metrics"]),
        weights=weights,
        biases=biases,
        boundary=boundary,
    )


def decode_json(data: dict[str, Any]) -> Frame:
    """A frame sent as JSON text (``format: "json"``): the same content, arrays as lists."""
    biases = data.get("biases")
    boundary = data.get("boundary")
    return _frame(
        data,
        [np.asarray(w, dtype=np.float64) for w in data["weights"]],
        None if biases is None else [np.asarray(b, dtype=np.float64) for b in biases],
        None if boundary is None else Boundary.from_json(boundary),
    )


class Stream:
    """Frames of a playing session, as an iterator; a context manager closes the socket.

    Iteration ends after ``frames`` frames (then the stream is paused), or when the
    server pauses it (training diverged: the last frame says so). ``hello`` is the
    server's first message: the session's ``step``, ``layers`` and parameter ``layout``.
    """

    def __init__(self, socket: Socket, play: dict[str, Any], frames: int | None) -> None:
        self._socket = socket
        self._left = frames
        self._unacked: int | None = None
        self._done = False
        hello = self._json(socket.receive())
        if hello.get("type") == "error":  # an unknown session: the close that follows says 404
            socket.receive()
            raise ApiError(422, str(hello.get("detail")), [hello])
        if hello.get("type") != "hello":
            raise ApiError(0, f"the stream began with {hello.get('type')!r}, not hello")
        if hello.get("protocol") != PROTOCOL:
            raise ApiError(
                0,
                f"the server speaks stream protocol {hello.get('protocol')}, "
                f"this client {PROTOCOL}",
            )
        self.hello: dict[str, Any] = hello
        self.paused: dict[str, Any] | None = None  # the server's "paused" message, once paused
        self._send(play)

    def _send(self, message: dict[str, Any]) -> None:
        self._socket.send(orjson.dumps(message).decode())

    @staticmethod
    def _json(message: str | bytes) -> dict[str, Any]:
        data = orjson.loads(message)
        if not isinstance(data, dict):
            raise ApiError(0, "the stream sent a message that is not a JSON object")
        return data

    def __iter__(self) -> Iterator[Frame]:
        return self

    def __next__(self) -> Frame:
        if self._unacked is not None:
            self._send({"type": "ack", "seq": self._unacked})
            self._unacked = None
        if self._done or self._left == 0:
            self.pause()
            raise StopIteration
        while True:
            message = self._socket.receive()
            if isinstance(message, bytes):
                return self._take(decode(message, self.hello["layout"]))
            data = self._json(message)
            if data.get("type") == "frame":  # format "json"
                return self._take(decode_json(data))
            if data.get("type") == "paused":
                self.paused, self._done = data, True
                raise StopIteration
            if data.get("type") == "error":
                raise ApiError(422, str(data.get("detail")), [data])

    def _take(self, frame: Frame) -> Frame:
        self._unacked = frame.seq
        if self._left is not None:
            self._left -= 1
        return frame

    def pause(self) -> None:
        """Stop training; frames trained meanwhile are read (and acknowledged) until the
        server says it paused."""
        if self._done:
            return
        self._done = True
        self._send({"type": "pause"})
        while True:
            message = self._socket.receive()
            if isinstance(message, bytes):
                self._send({"type": "ack", "seq": decode(message, self.hello["layout"]).seq})
                continue
            data = self._json(message)
            if data.get("type") == "frame":
                self._send({"type": "ack", "seq": data["seq"]})
            elif data.get("type") == "paused":
                self.paused = data
                return

    def close(self) -> None:
        """Close the socket (the server finishes and saves the chunk it is training)."""
        self._done = True
        self._socket.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
