"""The stateless trace: one forward and backward pass on a network given in full."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request, Response

from app.api import limits as check
from app.api import schemas
from app.api.deps import heavy, limits, respond
from app.api.responses import BODY
from app.api.views import trace_view
from app.engine.errors import SpecError
from app.engine.network import Network

router = APIRouter(tags=["trace"])


def _trace(req: schemas.TraceRequest) -> dict[str, object]:
    spec = req.network
    if spec.weights is None:
        raise SpecError("network.weights", "required: a stateless trace needs every W^l")
    net = Network.from_arrays(
        spec.layers, spec.activations, spec.loss, spec.weights, spec.biases, spec.bias
    )
    if not req.x:
        raise SpecError("x", "give at least one sample")
    x = net.check_input(np.asarray(req.x, dtype=np.float64), "x")
    y = net.check_targets(np.asarray(req.y, dtype=np.float64), "y")
    if len(y) != len(x):
        raise SpecError(
            "y", f"has {len(y)} rows but x has {len(x)}; need one target row per sample"
        )
    return trace_view(net.backward(x, y))


@router.post("/api/trace", response_model=schemas.TraceOut, responses=BODY)
async def trace(req: schemas.TraceRequest, request: Request) -> Response:
    """One forward and backward pass on the given network and samples; nothing is stored."""
    lim = limits(request)
    check.check_network(req.network, lim)
    check.check_rows(len(req.x), lim, "x")
    big = heavy(len(req.x), req.network.layers, passes=3)
    return await respond(big, _trace, req)
