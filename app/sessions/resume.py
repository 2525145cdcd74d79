"""Where a run was at a snapshot: the optimiser's memory and the minibatch position.

One job: the ``Resume`` point stored beside a snapshot's θ, and the snapshot blob's
format. A blob is θ's float64 bytes, then (for snapshots stored since branching
existed) the resume point packed like the session's arrays, its length and ``MAGIC``.
A blob without the footer is an older snapshot: θ alone, still read as before.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from app.engine.activations import Array
from app.engine.optimizers import State
from app.sessions.record import pack_arrays, unpack_arrays

MAGIC = b"BPresum1"
_LENGTH = struct.Struct("<I")


@dataclass(frozen=True)
class Resume:
    """The batcher's (epoch, cursor) and the optimiser state after the snapshot's step."""

    epoch: int
    cursor: int
    opt_state: State = field(default_factory=dict)

    @classmethod
    def of(cls, epoch: int, cursor: int, opt_state: State) -> Resume:
        """A copy, so later steps (which may update arrays in place) cannot change it."""
        return cls(int(epoch), int(cursor), {k: np.array(v, dtype=np.float64)
                                             for k, v in opt_state.items()})  # fmt: skip


START = Resume(0, 0)  # step 0 of a run: no memory, the first minibatch next


def encode(params: Array, resume: Resume | None) -> bytes:
    theta = np.ascontiguousarray(params, dtype=np.float64).tobytes()
    if resume is None:
        return theta
    arrays = {"position": np.array([resume.epoch, resume.cursor], dtype=np.float64)}
    arrays.update({f"opt_{k}": v for k, v in resume.opt_state.items()})
    packed = pack_arrays(arrays)
    return theta + packed + _LENGTH.pack(len(packed)) + MAGIC


def decode(blob: bytes) -> tuple[Array, Resume | None]:
    """(θ, the resume point or None for a snapshot stored without one)."""
    footer = len(MAGIC) + _LENGTH.size
    if len(blob) < footer or not blob.endswith(MAGIC):
        return np.frombuffer(blob, dtype=np.float64).copy(), None
    (size,) = _LENGTH.unpack_from(blob, len(blob) - footer)
    start = len(blob) - footer - size
    arrays = unpack_arrays(blob[start : len(blob) - footer])
    epoch, cursor = arrays.pop("position")
    opt = {k[4:]: v for k, v in arrays.items()}
    theta = np.frombuffer(blob[:start], dtype=np.float64).copy()
    return theta, Resume(int(epoch), int(cursor), opt)
