"""The play stream's messages from the server: ``hello``, then frames, encoded.

``hello`` describes the session and the flat parameter layout every frame uses.
A frame is the state after one chunk of updates, binary by default:

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
from dataclasses import asdict
from typing import Any

import numpy as np
import orjson

from app.api import views
from app.api.controls import BoundaryRequest
from app.api.serialize import dumps
from app.sessions.play import ChunkResult, boundary_arrays
from app.sessions.session import Session
from app.settings import Limits

PROTOCOL = 1


def hello(s: Session, window: int, limits: Limits) -> dict[str, Any]:
    """The first message: the session, the credit ``window`` and the server's limits."""
    net = s.network
    return {
        "type": "hello",
        "protocol": PROTOCOL,
        "id": s.id,
        "step": s.step,
        "window": window,
        "layers": net.layers,
        "bias": net.bias,
        "n_params": net.n_params,
        # per layer l = 1…L: [offset of W^l, n_l, n_{l-1}, offset of b^l or null] in params
        "layout": [[p.w_start, *p.shape, p.b_start if net.bias else None] for p in net.layout],
        "formats": ["binary", "json"],
        "max_steps_per_frame": limits.max_steps,
        "max_resolution": limits.max_grid,
    }


def frame(
    s: Session, seq: int, result: ChunkResult, grid: BoundaryRequest | None, fmt: str
) -> bytes | str:
    """The frame after a chunk: binary, or JSON text if ``fmt`` is "json"."""
    boundary = None
    if grid is not None:
        with np.errstate(all="ignore"):
            plane = (grid.plane[0], grid.plane[1])
            boundary = boundary_arrays(s, grid.resolution, grid.neurons, plane)
    header: dict[str, Any] = {
        "type": "frame",
        "seq": seq,
        "step": s.step,
        "steps": result.applied,
        "train_ms": round(result.seconds * 1e3, 3),
        "diverged": result.diverged,
        "message": result.message,
        "metrics": s.metrics,  # orjson writes a dataclass as asdict would, 30× faster
    }
    if fmt == "json":
        header["metrics"] = asdict(s.metrics) if s.metrics else None  # (dumps checks it)
        view = views.network_view(s.network)
        header["weights"], header["biases"] = view["weights"], view["biases"]
        header["boundary"] = boundary
        return dumps(header).decode()  # refuses NaN/Infinity as every JSON answer does
    f32: list[np.ndarray] = []
    if boundary is not None:
        f32 = [boundary["output"]]
        if "neurons" in boundary:
            f32 += [boundary["inputs"], *boundary["neurons"]]
    spans = layout([s.network.params], f32)
    header["params"] = spans[0]
    header["boundary"] = None
    if boundary is not None:
        keys = ("dims", "resolution", "domain", "plane", "held")
        desc: dict[str, Any] = {k: boundary[k] for k in keys if k in boundary}
        desc["output"] = spans[1]
        if "neurons" in boundary:
            desc["inputs"] = spans[2]
            desc["neurons"] = spans[3:]
        header["boundary"] = desc
    return encode_binary(header, [s.network.params], f32)


# --- encoding ------------------------------------------------------------------------------


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
