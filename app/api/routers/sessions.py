"""Stored sessions: create, read, list, delete, reset, export, and edits in place."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from app.api import limits as check
from app.api import schemas, views
from app.api.deps import commit, editing, io, limits, reading, respond, run, settings, store
from app.api.quota import charge, client_of
from app.api.responses import SESSION, errors
from app.api.serialize import dumps, json_response
from app.sessions import branch, compute
from app.sessions.stores.base import NotFound, Unreadable, new_id

log = logging.getLogger("backprop_explorer")
router = APIRouter(prefix="/api/networks", tags=["sessions"], responses=SESSION)


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
    charge(request, "creates")
    st = store(request)
    client = client_of(request)
    await io(st, st.make_room, client)  # a full server refuses (429) before building anything
    heavy = isinstance(req.dataset, schemas.CustomDataset) or req.dataset.n_samples > 500
    session, metrics, snapshots = await run(heavy, compute.create_session, new_id(), req)
    # Rendered before it is stored: a session that cannot be shown is refused, not kept.
    body = await run(heavy, lambda: dumps(views.session_view(session)))
    if req.history is not None:  # an import: many rows to write
        await run(True, st.create, session, metrics, snapshots, client)
    else:
        await io(st, st.create, session, metrics, snapshots, client)
    return Response(body, status_code=201, media_type="application/json")


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
        return json_response({"sessions": await io(st, st.recent, limit)})
    found: list[dict[str, Any]] = []
    unreadable: list[str] = []
    wanted = list(dict.fromkeys(i for i in ids.split(",") if i))[:limit]  # unique, in order
    for session_id in wanted:
        try:
            s = await io(st, st.get, session_id)
        except NotFound:
            continue
        except Unreadable as err:  # one damaged row must not hide the others
            log.error("%s", err)
            unreadable.append(session_id)
            continue
        found.append({"id": s.id, "step": s.step, "updated_at": s.updated_at,
                      "layers": s.network.layers, "dataset": s.data.name})  # fmt: skip
    found.sort(key=lambda row: float(row["updated_at"]), reverse=True)
    return json_response({"sessions": found, "unreadable": unreadable})


@router.get("/{session_id}", response_model=schemas.SessionOut)
async def get_session(session_id: str, request: Request) -> Response:
    """The session: network with current weights, dataset, training settings, latest metrics."""
    session = await reading(store(request), session_id)
    return await respond(len(session.data.x) > 500, views.session_view, session)


@router.delete("/{session_id}", status_code=204)
async def delete_session(session_id: str, request: Request) -> Response:
    st = store(request)
    await io(st, st.delete, session_id)
    return Response(status_code=204)


@router.post("/{session_id}/reset", response_model=schemas.SessionOut)
async def reset_session(session_id: str, request: Request) -> Response:
    """Re-initialise from the session's initialiser and seed (or its initial weights); step 0."""
    st = store(request)
    async with editing(st, session_id) as session:
        session.reset()
        big = len(session.data.x) + len(session.data.test_x) > 500  # a pass over all the data
        first = await run(big, compute.initial_metrics, session)
        return await commit(st, session, views.session_view, metrics=first, reset_history=True)


@router.get("/{session_id}/export", response_model=schemas.ExportOut)
async def export_session(session_id: str, request: Request) -> Response:
    """A create request that reproduces this session exactly, history included."""
    st = store(request)
    # Under the lock, so a step in progress on another call cannot be half in the export;
    # history can be long, so it is read and encoded off the event loop.
    charge(request, "heavy calls")
    max_bytes = limits(request).max_body_bytes  # what an import may send
    async with editing(st, session_id) as session:
        body = await run(
            True,
            lambda: views.export_body(
                session, st.metrics(session_id), st.snapshots(session_id), max_bytes
            ),
        )
        return Response(body, media_type="application/json")


@router.post(
    "/{session_id}/branch",
    status_code=201,
    response_model=schemas.SessionOut,
    responses=errors(429),
)
async def branch_session(session_id: str, req: schemas.BranchRequest, request: Request) -> Response:
    """A new session from the stored snapshot at ``step``: θ, optimiser state, minibatch
    position and history as they were then (201); 422 names the nearest stored steps."""
    st = store(request)
    source = await reading(st, session_id)
    client = client_of(request)
    await io(st, st.make_room, client)
    points = await run(True, st.snapshot_points, session_id)
    rows = st.metrics(session_id)
    session, metrics, snapshots = await run(
        True, branch.branch, source, new_id(), req.step, points, rows
    )
    await run(True, st.create, session, metrics, snapshots, client)
    return await respond(len(session.data.x) > 500, views.session_view, session, status=201)


@router.patch("/{session_id}/parameter", response_model=schemas.SessionOut)
async def set_parameter(session_id: str, edit: schemas.ParameterEdit, request: Request) -> Response:
    """Set one weight W^l[row][column] or bias b^l[row]."""
    st = store(request)
    async with editing(st, session_id) as session:
        session.set_parameter(edit.layer, edit.kind, edit.row, edit.column, edit.value)
        return await commit(st, session, views.session_view)


@router.patch("/{session_id}/training", response_model=schemas.SessionOut)
async def update_training(
    session_id: str, patch: schemas.TrainingPatch, request: Request
) -> Response:
    """Change learning rate, batch size, optimiser or regularisation mid-run."""
    check.check_training(patch, limits(request))
    st = store(request)
    async with editing(st, session_id) as session:
        session.update_training(patch.model_dump(exclude_none=True))
        return await commit(st, session, views.session_view)


@router.post("/{session_id}/points", response_model=schemas.SessionOut)
async def add_point(session_id: str, point: schemas.NewPoint, request: Request) -> Response:
    """Append a point (raw input and label or target) to the train or test set, or insert
    it at ``index``."""
    lim = limits(request)
    st = store(request)
    async with editing(st, session_id) as session:
        session.add_point(point.x, point.y, point.split, lim.max_samples, point.index)
        return await commit(st, session, views.session_view, data_changed=True)


@router.delete("/{session_id}/points/{split}/{index}", response_model=schemas.SessionOut)
async def remove_point(
    session_id: str, split: schemas.Split, index: int, request: Request
) -> Response:
    """Remove point ``index`` of the train or test set."""
    st = store(request)
    async with editing(st, session_id) as session:
        session.remove_point(split, index)
        return await commit(st, session, views.session_view, data_changed=True)
