"""Session ⇄ stored record: small JSON metadata plus float64 arrays as exact bytes.

Arrays are stored as their raw float64 bytes (not decimal text), so a session
read back after a restart has bit-identical weights. ``data`` is written only
when the points change; a training step rewrites ``meta``, ``params`` and
``opt_state``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from app.engine.activations import Array
from app.engine.network import Network
from app.engine.training import Batcher, Metrics
from app.sessions import specs
from app.sessions.session import Data, Session


def pack_arrays(arrays: dict[str, Array]) -> bytes:
    """A JSON header line (names and shapes) then each array's float64 bytes."""
    header = orjson.dumps({k: list(v.shape) for k, v in arrays.items()}) + b"\n"
    return header + b"".join(np.ascontiguousarray(v, dtype=np.float64).tobytes()
                             for v in arrays.values())  # fmt: skip


def unpack_arrays(blob: bytes) -> dict[str, Array]:
    end = blob.index(b"\n")
    shapes: dict[str, list[int]] = orjson.loads(blob[:end])
    flat = np.frombuffer(blob, dtype=np.float64, offset=end + 1)
    arrays, offset = {}, 0
    for key, shape in shapes.items():
        size = int(np.prod(shape))
        arrays[key] = flat[offset : offset + size].reshape(shape).copy()
        offset += size
    return arrays


def meta_of(s: Session) -> bytes:
    net = s.network
    return orjson.dumps(
        {
            "layers": net.layers,
            "activations": net.activation_names,
            "loss": net.loss_name,
            "bias": net.bias,
            "init": s.init,
            "seed": s.seed,
            "features": s.features,
            "training": s.training.model_dump(),
            "step": s.step,
            "batch_epoch": s.batcher.epoch,
            "batch_cursor": s.batcher.cursor,
            "data": {"name": s.data.name, "kind": s.data.kind, "source": s.data.source},
            "metrics": s.metrics,  # orjson writes a dataclass as asdict would, 30× faster
            "created_at": s.created_at,
            "updated_at": s.updated_at,
        }
    )


def summary(session_id: str, meta_json: bytes | str) -> dict[str, Any]:
    """One line of a session list, read from the stored metadata alone."""
    meta = orjson.loads(meta_json)
    return {"id": session_id, "step": meta["step"], "updated_at": meta["updated_at"],
            "layers": meta["layers"], "dataset": meta["data"]["name"]}  # fmt: skip


def params_of(s: Session) -> bytes:
    arrays = {"params": s.network.params}
    if s.initial_params is not None:
        arrays["initial"] = s.initial_params
    arrays.update({f"opt_{k}": v for k, v in s.opt_state.items()})
    return pack_arrays(arrays)


def data_of(s: Session) -> bytes:
    d = s.data
    return pack_arrays({"x": d.x, "y": d.y, "test_x": d.test_x, "test_y": d.test_y})


def session_from(
    session_id: str, meta_json: bytes | str, params_blob: bytes, data_blob: bytes, version: int
) -> Session:
    meta: dict[str, Any] = orjson.loads(meta_json)
    arrays = unpack_arrays(params_blob)
    data = unpack_arrays(data_blob)
    net = Network(meta["layers"], meta["activations"], meta["loss"], meta["bias"], arrays["params"])
    info = meta["data"]
    session = Session(
        session_id,
        net,
        meta["init"],
        meta["seed"],
        meta["features"],
        Data(info["name"], info["kind"], data["x"], data["y"], data["test_x"], data["test_y"],
             info["source"]),
        specs.TrainingSettings(**meta["training"]),
        step=meta["step"],
        opt_state={k[4:]: v for k, v in arrays.items() if k.startswith("opt_")},
        batcher=Batcher(meta["seed"], meta["batch_epoch"], meta["batch_cursor"]),
        initial_params=arrays.get("initial"),
        metrics=Metrics(**meta["metrics"]) if meta["metrics"] else None,
        created_at=meta["created_at"],
        updated_at=meta["updated_at"],
        version=version,
    )  # fmt: skip
    return session
