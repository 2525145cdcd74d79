"""Computing on a stored session: forward, backward, step, boundary, checks, history."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from app.api import limits as check
from app.api import schemas
from app.api.deps import editing, limits, run, store
from app.api.serialize import json_response
from app.sessions import compute

router = APIRouter(prefix="/api/networks/{session_id}", tags=["compute"])

# Above these sizes a call leaves the event loop so other users are not stalled.
HEAVY_STEPS = 20
HEAVY_GRID_CELLS = 64 * 64


@router.post("/forward")
async def forward(session_id: str, sel: schemas.SampleSelection, request: Request) -> Response:
    """z^l and a^l for chosen dataset rows (``indices``) or explicit raw inputs (``x``)."""
    async with editing(store(request), session_id) as session:
        return json_response(await run(False, compute.forward, session, sel, limits(request)))


@router.post("/backward")
async def backward(session_id: str, sel: schemas.SampleSelection, request: Request) -> Response:
    """The full trace (z, a, δ, ∂C/∂W, ∂C/∂b) for chosen samples, or the next minibatch
    when none are chosen; nothing is updated."""
    async with editing(store(request), session_id) as session:
        return json_response(await run(False, compute.backward, session, sel, limits(request)))


@router.post("/step")
async def step(session_id: str, req: schemas.StepRequest, request: Request) -> Response:
    """N minibatch updates. One step answers with its full trace and the ΔW, Δb applied;
    more answer with the per-step history. A diverging step is refused (``diverged``)."""
    check.check_steps(req.steps, limits(request))
    st = store(request)
    async with editing(st, session_id) as session:
        answer, metrics, snapshots = await run(
            req.steps > HEAVY_STEPS, compute.run_steps, session, req.steps, req.trace
        )
        st.save(session, metrics, snapshots)
        return json_response(answer)


@router.get("/metrics")
async def metrics(session_id: str, request: Request, since: int = Query(0, ge=0)) -> Response:
    """Per-step metrics since creation (or step ``since``), as columns."""
    st = store(request)
    st.get(session_id)
    return json_response(compute.metrics_columns(st.metrics(session_id, since)))


@router.get("/snapshots")
async def snapshots(session_id: str, request: Request) -> Response:
    """Stored weight snapshots: every early step, then evenly thinned, bounded."""
    st = store(request)
    session = st.get(session_id)
    return json_response(
        {
            "snapshots": [
                {"step": step, **{k: v for k, v in compute.network_view(session.network, p).items()
                                  if k in ("weights", "biases")}}
                for step, p in st.snapshots(session_id)
            ]
        }
    )  # fmt: skip


@router.get("/boundary")
async def boundary(
    session_id: str,
    request: Request,
    resolution: int = Query(40, ge=2),
    neurons: bool = Query(False),
) -> Response:
    """The output (and with ``neurons`` every neuron) over a grid of the input plane."""
    check.check_grid(resolution, limits(request))
    async with editing(store(request), session_id) as session:
        cells = resolution * resolution * (len(session.network.layers) if neurons else 1)
        answer = await run(cells > HEAVY_GRID_CELLS, compute.boundary, session, resolution, neurons)
        return json_response(answer)


@router.post("/gradcheck")
async def gradcheck(session_id: str, req: schemas.GradcheckRequest, request: Request) -> Response:
    """Backprop beside central differences for every parameter, per layer."""
    async with editing(store(request), session_id) as session:
        answer = await run(True, compute.gradcheck, session, req, limits(request))
        return json_response(answer)


@router.post("/paths")
async def paths(session_id: str, req: schemas.PathsRequest, request: Request) -> Response:
    """∂C/∂w summed over every path to the loss, beside the δ recurrence, with both costs."""
    async with editing(store(request), session_id) as session:
        answer = await run(True, compute.paths, session, req, limits(request))
        return json_response(answer)
