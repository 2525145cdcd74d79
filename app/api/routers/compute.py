"""Computing on a stored session: forward, backward, step, boundary, checks, history."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from app.api import limits as check
from app.api import schemas, views
from app.api.budget import BYTES_PER_VALUE, Reserved
from app.api.deps import client_gone, editing, heavy, io, limits, reading, respond, run, store
from app.api.idempotency import checked_key
from app.api.quota import charge
from app.api.responses import SESSION
from app.api.serialize import dumps
from app.sessions import compute
from app.sessions.session import Session

router = APIRouter(prefix="/api/networks/{session_id}", tags=["compute"], responses=SESSION)


def _rows(session: Session, sel: schemas.SampleSelection) -> int:
    if sel.x is not None:
        return len(sel.x)
    return len(sel.indices) if sel.indices is not None else session.training.batch_size


@router.post("/forward", response_model=schemas.ForwardOut)
async def forward(session_id: str, sel: schemas.SampleSelection, request: Request) -> Response:
    """z^l and a^l for chosen dataset rows (``indices``) or explicit raw inputs (``x``)."""
    async with editing(store(request), session_id) as session:
        big = heavy(_rows(session, sel), session.network.layers)
        return await respond(big, compute.forward, session, sel, limits(request))


@router.post("/backward", response_model=schemas.BackwardOut)
async def backward(session_id: str, sel: schemas.SampleSelection, request: Request) -> Response:
    """The full trace (z, a, δ, ∂C/∂W, ∂C/∂b) for chosen samples, or the next minibatch
    when none are chosen; nothing is updated."""
    async with editing(store(request), session_id) as session:
        big = heavy(_rows(session, sel), session.network.layers, passes=3)
        return await respond(
            big, lambda: views.backward_view(compute.backward(session, sel, limits(request)))
        )


@router.post("/step", response_model=schemas.StepOut)
async def step(session_id: str, req: schemas.StepRequest, request: Request) -> Response:
    """N minibatch updates. One step answers with its full trace and the ΔW, Δb applied;
    more answer with the per-step history. A diverging step is refused (``diverged``).
    With an ``Idempotency-Key`` header a retry gets the first answer, applied once; a call
    whose client goes away stops at its next record and saves what it did."""
    check.check_steps(req.steps, limits(request))
    key = checked_key(request.headers.get("idempotency-key"))
    st = store(request)
    async with editing(st, session_id) as session:
        # Under the session's lock (across processes), so a retry on any worker waits for
        # the first call and then finds its answer in the store.
        if key is not None and (first := await io(st, st.answer, session_id, key)) is not None:
            return Response(first, media_type="application/json")
        # Each update: forward + backward of a minibatch, then one forward of train + test.
        d = session.data
        rows = 3 * session.training.batch_size + len(d.x) + len(d.test_x)
        big = heavy(rows, session.network.layers, passes=req.steps)
        if big:
            charge(request, "heavy calls")
        async with client_gone(request) as gone:
            done, metrics, snapshots = await run(
                big, compute.run_steps, session, req.steps, req.trace, gone.is_set
            )
        await io(st, st.save, session, metrics, snapshots)
        body = await run(big, lambda: dumps(views.steps_view(session, done, metrics)))
        if key is not None:
            await io(st, st.keep_answer, session_id, key, body)
        return Response(body, media_type="application/json")


@router.get("/metrics", response_model=schemas.MetricsColumnsOut)
async def metrics(
    session_id: str, request: Request, since: int = Query(0, ge=0, le=2**53 - 1)
) -> Response:
    """Per-step metrics since creation (or step ``since``), as columns."""
    st = store(request)
    await reading(st, session_id)
    # A long run has many rows: read and encode them off the event loop.
    return await respond(True, lambda: views.metrics_columns(st.metrics(session_id, since)))


@router.get("/snapshots", response_model=schemas.SnapshotsOut)
async def snapshots(session_id: str, request: Request) -> Response:
    """Stored weight snapshots: every early step, then evenly thinned, bounded."""
    st = store(request)
    session = await reading(st, session_id)
    return await respond(
        True,
        lambda: {"snapshots": views.snapshots_view(session.network, st.snapshots(session_id))},
    )


@router.get("/boundary", response_model=schemas.BoundaryOut)
async def boundary(
    session_id: str,
    request: Request,
    resolution: int | None = Query(None, ge=2, description="Default 40, or the limit if lower."),
    neurons: bool = Query(False),
    plane_x: int = Query(0, ge=0, description="More than 2 features: the horizontal one."),
    plane_y: int = Query(1, ge=0, description="More than 2 features: the vertical one."),
) -> Response:
    """The output (and with ``neurons`` every neuron) over a grid of the input plane; with
    more than two raw features, over features ``plane_x`` and ``plane_y`` with the others
    held at their training mean."""
    if resolution is None:
        resolution = min(40, limits(request).max_grid)
    check.check_grid(resolution, limits(request))
    async with editing(store(request), session_id) as session:
        cells = resolution if session.data.input_dim == 1 else resolution * resolution
        check.check_grid_values(cells, session.network.layers, neurons, limits(request))
        if session.data.input_dim > 2:
            compute.check_plane((plane_x, plane_y), session.data.input_dim)
        plane = (plane_x, plane_y)
        big = heavy(cells, session.network.layers, passes=2 if neurons else 1)
        if big:
            charge(request, "heavy calls")
        values = check.grid_values(cells, session.network.layers, neurons)
        # Held until the answer is sent (or its connection dropped): bytes in flight bounded.
        release = request.app.state.budget.reserve(values * BYTES_PER_VALUE)
        try:
            answer = await respond(big, compute.boundary, session, resolution, neurons, plane)
        except BaseException:
            release()
            raise
        return Reserved(answer, release)


@router.post("/gradcheck", response_model=schemas.GradcheckOut)
async def gradcheck(session_id: str, req: schemas.GradcheckRequest, request: Request) -> Response:
    """Backprop beside central differences for every parameter, per layer."""
    charge(request, "heavy calls")
    async with editing(store(request), session_id) as session:
        return await respond(
            True, compute.gradcheck, session, req, req.drop_derivative_layer, limits(request)
        )


@router.post("/paths", response_model=schemas.PathsOut)
async def paths(session_id: str, req: schemas.PathsRequest, request: Request) -> Response:
    """∂C/∂w summed over every path to the loss, beside the δ recurrence, with both costs."""
    charge(request, "heavy calls")
    async with editing(store(request), session_id) as session:
        return await respond(
            True, compute.paths, session, req.layer, req.row, req.column, req.index, req.split,
            limits(request),
        )  # fmt: skip
