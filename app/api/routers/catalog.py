"""Everything the page builds its menus from, so no list is duplicated in JavaScript."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from fastapi import APIRouter, Request, Response

from app.api import schemas
from app.api.deps import limits
from app.api.serialize import json_response
from app.engine import initializers, optimizers
from app.engine.activations import ACTIVATIONS
from app.engine.datasets import BOUND, DATASETS
from app.engine.features import FEATURES
from app.engine.losses import LOSSES
from app.engine.training import METRICS_FIELDS, REGULARIZATIONS
from app.presets import DEFAULT_REQUEST, PRESETS
from app.sessions.tables import bundled_catalog
from app.settings import Limits

router = APIRouter(tags=["catalog"])


def _optimizer_options(name: str) -> dict[str, float]:
    defaults = schemas.TrainingSettings()
    keys = {"sgd": (), "momentum": ("momentum",), "adam": ("beta1", "beta2", "epsilon")}[name]
    return {key: getattr(defaults, key) for key in keys}


def catalog(lim: Limits) -> dict[str, Any]:
    return {
        "activations": [
            {"name": a.name, "formula": a.formula, "derivative": a.derivative_formula,
             "elementwise": a.elementwise, "range": list(a.output_range)}
            for a in ACTIVATIONS.values()
        ],
        "losses": [
            {"name": loss.name, "formula": loss.formula,
             "output_activations": list(loss.output_activations or ACTIVATIONS)}
            for loss in LOSSES.values()
        ],
        "optimizers": [
            {"name": name, "formula": optimizers.FORMULAS[name],
             "options": _optimizer_options(name)}
            for name in optimizers.OPTIMIZERS
        ],
        "initializers": [
            {"name": name, "description": initializers.DESCRIPTIONS[name]}
            for name in initializers.INITIALIZERS
        ],
        "regularizations": list(REGULARIZATIONS),
        "features": [
            {"name": f.name, "label": f.label, "latex": f.latex, "needs": list(f.needs)}
            for f in FEATURES.values()
        ],
        "datasets": [
            {**asdict(spec),
             "n_samples_range": [1, min(spec.n_samples_range[1], lim.max_samples)]}
            for spec in DATASETS.values()
        ],
        "bundled": bundled_catalog(),
        "domain": [-BOUND, BOUND],
        "presets": PRESETS,
        "defaults": DEFAULT_REQUEST,
        "limits": {f.name: getattr(lim, f.name) for f in fields(lim)},
        "metrics_fields": list(METRICS_FIELDS),
    }  # fmt: skip


@router.get("/api/catalog", response_model=schemas.CatalogOut)
async def get_catalog(request: Request) -> Response:
    """Activations, losses, optimisers, initialisers, features, datasets, presets, limits,
    and the names of a step's metrics."""
    return json_response(catalog(limits(request)))
