"""``Client``: one typed method per endpoint of the REST API (docs/api.md), and play.

    from app.client import Client
    client = Client("http://127.0.0.1:8000")          # a running server
    client = Client.in_process(create_app(settings))   # or the app itself, no server

Methods that act on a session take its id or the ``Session`` itself. Answers are the
dataclasses of ``app.client.models``; every error is an ``ApiError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal

import numpy as np
import orjson

from app.client import models
from app.client.errors import ApiError, from_answer
from app.client.stream import Stream
from app.client.transport import InProcess, Remote, Transport

Json = dict[str, Any]
SessionRef = str | models.Session
Rows = Sequence[Sequence[float]] | np.ndarray
Split = Literal["train", "test"]

_DUMP = orjson.OPT_SERIALIZE_NUMPY
# Fields of a session's network that a stateless trace has no use for (and refuses).
_SESSION_ONLY = ("init", "seed", "features")


def _id(session: SessionRef) -> str:
    return session.id if isinstance(session, models.Session) else session


def _network(network: Mapping[str, Any] | models.Network) -> Mapping[str, Any]:
    return network.to_json() if isinstance(network, models.Network) else network


def _selection(indices: Sequence[int] | None, split: Split, x: Rows | None, y: Rows | None) -> Json:
    body: Json = {"split": split}
    if indices is not None:
        body["indices"] = list(indices)
    if x is not None:
        body["x"] = np.asarray(x, dtype=np.float64)
    if y is not None:
        body["y"] = np.asarray(y, dtype=np.float64)
    return body


class Client:
    """The API of one server (``url``) or of an app run in this process (``in_process``)."""

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = 60.0,
        transport: Transport | None = None,
    ) -> None:
        self._transport = transport or Remote(url, timeout)

    @classmethod
    def in_process(cls, app: Any) -> Client:
        """Call ``app`` (an ASGI app such as ``app.main.create_app(settings)``) directly."""
        return cls(transport=InProcess(app))

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- plumbing --------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        content = None if body is None else orjson.dumps(body, option=_DUMP)
        answer = self._transport.request(method, path, content, params)
        if answer.status >= 400:
            raise from_answer(answer.status, answer.body)
        return orjson.loads(answer.body) if answer.body else None

    def _on(self, session: SessionRef, action: str = "") -> str:
        return f"/api/networks/{_id(session)}{action}"

    # --- server ----------------------------------------------------------------------------

    def health(self) -> Json:
        """``{"status": "ok", "version", "store", "kernel"}``."""
        result: Json = self._call("GET", "/api/health")
        return result

    def catalog(self) -> Json:
        """Activations, losses, optimisers, datasets, presets, defaults and limits."""
        result: Json = self._call("GET", "/api/catalog")
        return result

    # --- sessions --------------------------------------------------------------------------

    def create(
        self,
        network: Mapping[str, Any] | models.Network,
        dataset: Mapping[str, Any] | None = None,
        training: Mapping[str, Any] | None = None,
    ) -> models.Session:
        """A new stored session (``POST /api/networks``): ``network`` as {layers, activations,
        loss, bias, init, seed | weights, biases, features}, ``dataset`` a built-in by name or
        explicit x/y arrays, ``training`` the optimiser's settings."""
        body: Json = {"network": _network(network)}
        if dataset is not None:
            body["dataset"] = dataset
        if training is not None:
            body["training"] = training
        return self.create_from(body)

    def create_from(self, request: Mapping[str, Any]) -> models.Session:
        """A session from a whole create request: a net.json file, a preset's ``request``,
        or an export (which restores the session exactly, history included)."""
        return models.Session.from_json(self._call("POST", "/api/networks", request))

    def get(self, session: SessionRef) -> models.Session:
        return models.Session.from_json(self._call("GET", self._on(session)))

    def delete(self, session: SessionRef) -> None:
        self._call("DELETE", self._on(session))

    def reset(self, session: SessionRef) -> models.Session:
        """Back to step 0 from the session's initialiser and seed (or initial weights)."""
        return models.Session.from_json(self._call("POST", self._on(session, "/reset")))

    def export(self, session: SessionRef) -> Json:
        """A create request (JSON-ready) that reproduces the session exactly; save it with
        ``json.dump`` and bring it back with ``import_session``."""
        result: Json = self._call("GET", self._on(session, "/export"))
        return result

    def import_session(self, exported: Mapping[str, Any]) -> models.Session:
        """A new session, the exact copy of an exported one."""
        return self.create_from(exported)

    def set_parameter(
        self,
        session: SessionRef,
        layer: int,
        row: int,
        column: int = 0,
        value: float = 0.0,
        kind: Literal["weight", "bias"] = "weight",
    ) -> models.Session:
        """Set W^l[row][column] (or b^l[row] with ``kind="bias"``)."""
        body = {"layer": layer, "kind": kind, "row": row, "column": column, "value": value}
        return models.Session.from_json(self._call("PATCH", self._on(session, "/parameter"), body))

    def update_training(self, session: SessionRef, **changes: Any) -> models.Session:
        """Change learning_rate, batch_size, optimizer, regularization … mid-run."""
        answer = self._call("PATCH", self._on(session, "/training"), changes)
        return models.Session.from_json(answer)

    # --- computing -------------------------------------------------------------------------

    def trace(self, network: Mapping[str, Any] | models.Network, x: Rows, y: Rows) -> models.Trace:
        """One forward and backward pass (stateless ``POST /api/trace``): C, z, a, δ, ∂C/∂W.
        ``network`` needs its ``weights`` (and ``biases`` unless ``bias`` is false); a
        session's network (its ``init``, ``seed`` and ``features`` are left out) will do, with
        ``x`` as a^0, the inputs after features."""
        spec = {k: v for k, v in _network(network).items() if k not in _SESSION_ONLY}
        body = {
            "network": spec,
            "x": np.asarray(x, dtype=np.float64),
            "y": np.asarray(y, dtype=np.float64),
        }
        weights = spec.get("weights")
        known = None if weights is None else [np.asarray(w, dtype=np.float64) for w in weights]
        return models.Trace.from_json(self._call("POST", "/api/trace", body), known)

    def forward(
        self,
        session: SessionRef,
        indices: Sequence[int] | None = None,
        *,
        x: Rows | None = None,
        split: Split = "train",
    ) -> models.Forward:
        """z^l and a^l for dataset rows ``indices`` or explicit raw inputs ``x``."""
        body = _selection(indices, split, x, None)
        return models.Forward.from_json(self._call("POST", self._on(session, "/forward"), body))

    def backward(
        self,
        session: SessionRef,
        indices: Sequence[int] | None = None,
        *,
        x: Rows | None = None,
        y: Rows | None = None,
        split: Split = "train",
    ) -> models.Backward:
        """The full trace for chosen samples, or for the next minibatch when none are given,
        with the update a step would apply; nothing changes."""
        body = _selection(indices, split, x, y)
        return models.Backward.from_json(self._call("POST", self._on(session, "/backward"), body))

    def step(self, session: SessionRef, steps: int = 1, *, trace: bool = True) -> models.StepResult:
        """``steps`` minibatch updates by the session's optimiser."""
        body = {"steps": steps, "trace": trace}
        return models.StepResult.from_json(self._call("POST", self._on(session, "/step"), body))

    def boundary(
        self,
        session: SessionRef,
        resolution: int | None = None,
        *,
        neurons: bool = False,
        plane: tuple[int, int] = (0, 1),
    ) -> models.Boundary:
        """The output (and with ``neurons`` every a^l_j) over the input domain; with more
        than two raw features, over features ``plane``, the others held at their mean."""
        params: dict[str, Any] = {"neurons": "true" if neurons else "false"}
        if resolution is not None:
            params["resolution"] = resolution
        params["plane_x"], params["plane_y"] = plane
        answer = self._call("GET", self._on(session, "/boundary"), params=params)
        return models.Boundary.from_json(answer)

    def gradcheck(
        self,
        session: SessionRef,
        indices: Sequence[int] | None = None,
        *,
        x: Rows | None = None,
        y: Rows | None = None,
        split: Split = "train",
        drop_derivative_layer: int | None = None,
    ) -> models.Gradcheck:
        """Backprop's gradient beside central differences; ``drop_derivative_layer=l``
        leaves σ_l' out of backprop to show what a wrong gradient looks like."""
        body = _selection(indices, split, x, y)
        body["drop_derivative_layer"] = drop_derivative_layer
        answer = self._call("POST", self._on(session, "/gradcheck"), body)
        return models.Gradcheck.from_json(answer)

    def paths(
        self,
        session: SessionRef,
        layer: int,
        row: int,
        column: int,
        *,
        index: int = 0,
        split: Split = "train",
    ) -> models.Paths:
        """∂C/∂W^l[row][column] for sample ``index`` summed over every path, beside δ's
        recurrence, and what each costs."""
        body = {"layer": layer, "row": row, "column": column, "index": index, "split": split}
        return models.Paths.from_json(self._call("POST", self._on(session, "/paths"), body))

    def metrics(self, session: SessionRef, since: int = 0) -> models.History:
        """Every recorded step's metrics (from step ``since``), as columns."""
        answer = self._call("GET", self._on(session, "/metrics"), params={"since": since})
        return models.History.from_json(answer)

    def snapshots(self, session: SessionRef) -> list[models.Snapshot]:
        """Stored weights by step: every early step, then evenly thinned."""
        answer = self._call("GET", self._on(session, "/snapshots"))
        return [models.Snapshot.from_json(s) for s in answer["snapshots"]]

    # --- play ------------------------------------------------------------------------------

    def play(
        self,
        session: SessionRef,
        *,
        steps_per_frame: int | None = None,
        steps_per_second: float | None = None,
        frames: int | None = None,
        boundary: Mapping[str, Any] | None = None,
        format: Literal["binary", "json"] = "binary",
    ) -> Stream:
        """Train over the WebSocket stream; iterate for frames (``frames`` of them, or until
        the server pauses). Neither speed given: full speed, paced by this loop.
        ``boundary`` asks for grids, e.g. ``{"every": 5, "resolution": 20}``."""
        play: Json = {
            "type": "play",
            "format": format,
            "boundary": None if boundary is None else dict(boundary),
        }
        if steps_per_frame is not None:
            play["steps_per_frame"] = steps_per_frame
        if steps_per_second is not None:
            play["steps_per_second"] = steps_per_second
        socket = self._transport.connect(self._on(session, "/stream"))
        try:
            return Stream(socket, play, frames)
        except ApiError:
            socket.close()
            raise
