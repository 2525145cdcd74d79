"""Stored sessions: create, read, list, delete, reset, export, and edits in place."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request, Response

from app.api import limits as check
from app.api import schemas
from app.api.deps import editing, keep_alive, limits, respond, run, settings, store
from app.api.responses import SESSION, errors
from app.api.serialize import json_response
from app.engine.errors import SpecError
from app.engine.network import Network
from app.engine.training import Metrics
from app.sessions import compute
from app.sessions.session import Session
from app.sessions.store import NotFound, new_id

router = APIRouter(prefix="/api/networks", tags=["sessions"], responses=SESSION)


def _history(session: Session, history: schemas.History) -> tuple[list[Metrics], list]:
    cols = history.metrics
    n = len(cols.step)
    for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy",
                 "delta_norms", "grad_norms"):  # fmt: skip
        if len(getattr(cols, name)) != n:
            raise SpecError(f"history.metrics.{name}", f"must have {n} entries, like step")
    metrics = [
        Metrics(cols.step[i], cols.train_loss[i], cols.test_loss[i], cols.train_accuracy[i],
                cols.test_accuracy[i], cols.delta_norms[i], cols.grad_norms[i])
        for i in range(n)
    ]  # fmt: skip
    net = session.network
    snapshots = []
    for i, snap in enumerate(history.snapshots):
        try:
            restored = Network.from_arrays(net.layers, net.activation_names, net.loss_name,
                                           snap.weights, snap.biases, net.bias)  # fmt: skip
        except SpecError as err:
            raise SpecError(f"history.snapshots[{i}].{err.loc}", err.message) from None
        snapshots.append((snap.step, restored.params.copy()))
    return metrics, snapshots


def _create(req: schemas.CreateSession) -> tuple[Session, list[Metrics], list | None]:
    session = Session.create(new_id(), req)
    if req.history is None:
        if session.step:  # restored state without history: nothing to record
            return session, [], None
        return session, compute.initial_metrics(session), None
    metrics, snapshots = _history(session, req.history)
    if metrics:
        session.metrics = metrics[-1]
    return session, metrics, snapshots


@router.post(
    "",
    status_code=201,
    response_model=schemas.SessionOut,
    responses=errors(429),
)
async def create_session(req: schemas.CreateSession, request: Request) -> Response:
    """Create a stored session (201); with ``state`` and ``history`` from export, restore one."""
    lim = limits(request)
    check.check_network(req.network, lim)
    check.check_dataset(req.dataset, lim)
    check.check_training(req.training, lim)
    if req.history is not None:
        check.check_history(req.history, lim)
    st = store(request)
    st.make_room()  # a full server refuses (429) before building anything
    heavy = isinstance(req.dataset, schemas.CustomDataset) or req.dataset.n_samples > 500
    session, metrics, snapshots = await run(heavy, _create, req)
    if req.history is not None:  # an import: many rows to write
        await run(True, st.create, session, metrics, snapshots)
    else:
        st.create(session, metrics, snapshots)
    return await respond(heavy, compute.session_view, session, status=201)


@router.get("", response_model=schemas.SessionList, responses=errors(403))
async def list_sessions(
    request: Request,
    limit: int = Query(20, ge=1, le=200),
    ids: str | None = Query(
        None, max_length=5000, description="Comma-separated session ids to summarise."
    ),
) -> Response:
    """Summaries of the given sessions (e.g. those a browser created), newest first. Listing
    every session needs BACKPROP_EXPLORER_LIST_SESSIONS=1: ids are private links."""
    st = store(request)
    if ids is None:
        if not settings(request).list_sessions:
            raise HTTPException(
                403,
                "ids: listing all sessions is disabled on this server (session ids are private "
                "links); give the ids you hold, or set BACKPROP_EXPLORER_LIST_SESSIONS=1",
            )
        return json_response({"sessions": st.recent(limit)})
    found: list[dict[str, Any]] = []
    wanted = list(dict.fromkeys(i for i in ids.split(",") if i))[:limit]  # unique, in order
    for session_id in wanted:
        try:
            s = st.get(session_id)
        except NotFound:
            continue
        found.append({"id": s.id, "step": s.step, "updated_at": s.updated_at,
                      "layers": s.network.layers, "dataset": s.data.name})  # fmt: skip
    found.sort(key=lambda row: float(row["updated_at"]), reverse=True)
    return json_response({"sessions": found})


@router.get("/{session_id}", response_model=schemas.SessionOut)
async def get_session(session_id: str, request: Request) -> Response:
    """The session: network with current weights, dataset, training settings, latest metrics."""
    st = store(request)
    session = st.get(session_id)
    await keep_alive(st, session)
    return await respond(len(session.data.x) > 500, compute.session_view, session)


@router.delete("/{session_id}", status_code=204)
async def delete_session(session_id: str, request: Request) -> Response:
    store(request).delete(session_id)
    return Response(status_code=204)


@router.post("/{session_id}/reset", response_model=schemas.SessionOut)
async def reset_session(session_id: str, request: Request) -> Response:
    """Re-initialise from the session's initialiser and seed (or its initial weights); step 0."""
    st = store(request)
    async with editing(st, session_id) as session:
        session.reset()
        big = len(session.data.x) + len(session.data.test_x) > 500  # a pass over all the data
        first = await run(big, compute.initial_metrics, session)
        st.save(session, first, reset_history=True)
        return json_response(compute.session_view(session))


@router.get("/{session_id}/export", response_model=schemas.ExportOut)
async def export_session(session_id: str, request: Request) -> Response:
    """A create request that reproduces this session exactly, history included."""
    st = store(request)
    # Under the lock, so a step in progress on another call cannot be half in the export;
    # history can be long, so it is read and encoded off the event loop.
    async with editing(st, session_id) as session:
        return await respond(
            True, lambda: compute.export(session, st.metrics(session_id), st.snapshots(session_id))
        )


@router.patch("/{session_id}/parameter", response_model=schemas.SessionOut)
async def set_parameter(session_id: str, edit: schemas.ParameterEdit, request: Request) -> Response:
    """Set one weight W^l[row][column] or bias b^l[row]."""
    st = store(request)
    async with editing(st, session_id) as session:
        net = session.network
        L = len(net.layers) - 1
        if edit.layer > L:
            raise SpecError("layer", f"must be between 1 and {L}, got {edit.layer}")
        n_out, n_in = net.layers[edit.layer], net.layers[edit.layer - 1]
        if edit.row >= n_out:
            raise SpecError("row", f"layer {edit.layer} has {n_out} neurons (rows 0…{n_out - 1})")
        if edit.kind == "weight":
            if edit.column >= n_in:
                raise SpecError(
                    "column", f"layer {edit.layer - 1} has {n_in} neurons (columns 0…{n_in - 1})"
                )
            net.weights[edit.layer - 1][edit.row, edit.column] = edit.value
        else:
            if net.biases is None:
                raise SpecError("kind", "this network has no biases")
            net.biases[edit.layer - 1][edit.row] = edit.value
        st.save(session)
        return json_response(compute.session_view(session))


@router.patch("/{session_id}/training", response_model=schemas.SessionOut)
async def update_training(
    session_id: str, patch: schemas.TrainingPatch, request: Request
) -> Response:
    """Change learning rate, batch size, optimiser or regularisation mid-run."""
    check.check_training(patch, limits(request))
    st = store(request)
    async with editing(st, session_id) as session:
        changes = patch.model_dump(exclude_none=True)
        if changes.get("optimizer", session.training.optimizer) != session.training.optimizer:
            session.opt_state = {}  # another optimiser's memory means nothing to this one
        session.training = session.training.model_copy(update=changes)
        st.save(session)
        return json_response(compute.session_view(session))


@router.post("/{session_id}/points", response_model=schemas.SessionOut)
async def add_point(session_id: str, point: schemas.NewPoint, request: Request) -> Response:
    """Append a point (raw input and label or target) to the train or test set."""
    lim = limits(request)
    st = store(request)
    async with editing(st, session_id) as session:
        d = session.data
        if len(d.x) + len(d.test_x) + 1 > lim.max_samples:
            raise SpecError("x", f"the dataset already holds the limit of {lim.max_samples} points")
        x = np.asarray([point.x], dtype=np.float64)
        y = np.asarray([point.y], dtype=np.float64)
        if x.shape[1] != d.input_dim:
            raise SpecError("x", f"needs {d.input_dim} values (the dataset's raw input)")
        if y.shape[1] != d.y.shape[1]:
            raise SpecError("y", f"needs {d.y.shape[1]} values, like the dataset's targets")
        if d.classification and not np.isin(y, (0.0, 1.0)).all():
            raise SpecError("y", "classification labels must be 0 or 1")
        if point.split == "train":
            d.x, d.y = np.vstack([d.x, x]), np.vstack([d.y, y])
        else:
            d.test_x, d.test_y = np.vstack([d.test_x, x]), np.vstack([d.test_y, y])
        session.data_changed()
        session.inputs(point.split)  # validate before saving
        st.save(session, data_changed=True)
        return json_response(compute.session_view(session))


@router.delete("/{session_id}/points/{split}/{index}", response_model=schemas.SessionOut)
async def remove_point(
    session_id: str, split: schemas.Split, index: int, request: Request
) -> Response:
    """Remove point ``index`` of the train or test set."""
    st = store(request)
    async with editing(st, session_id) as session:
        d = session.data
        xs = d.x if split == "train" else d.test_x
        if not 0 <= index < len(xs):
            raise SpecError(
                "index", f"{index} is out of range: the {split} set has {len(xs)} points"
            )
        if split == "train":
            if len(d.x) == 1:
                raise SpecError("index", "the training set needs at least one point")
            d.x, d.y = np.delete(d.x, index, axis=0), np.delete(d.y, index, axis=0)
        else:
            d.test_x, d.test_y = np.delete(d.test_x, index, 0), np.delete(d.test_y, index, 0)
        session.data_changed()
        st.save(session, data_changed=True)
        return json_response(compute.session_view(session))
