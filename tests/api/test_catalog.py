"""GET /api/catalog: every menu the page builds, from the engine's own registries."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from app.api import schemas
from app.engine.activations import ACTIVATIONS
from app.engine.datasets import DATASETS
from app.engine.features import FEATURES
from app.engine.initializers import INITIALIZERS
from app.engine.losses import LOSSES
from app.engine.optimizers import OPTIMIZERS
from app.engine.training import REGULARIZATIONS, Metrics
from app.main import create_app
from app.presets import DEFAULT_REQUEST, PRESETS
from app.settings import Limits, Settings

# (catalog key, the request schema's literal type, the engine registry it must match)
REGISTRIES: list[tuple[str, Any, Collection[str]]] = [
    ("activations", schemas.ActivationName, ACTIVATIONS),
    ("losses", schemas.LossName, LOSSES),
    ("optimizers", schemas.OptimizerName, OPTIMIZERS),
    ("initializers", schemas.InitName, INITIALIZERS),
    ("features", schemas.FeatureName, FEATURES),
    ("datasets", schemas.DatasetName, DATASETS),
    ("regularizations", schemas.RegularizationName, REGULARIZATIONS),
]
REGISTRY_IDS = [key for key, _, _ in REGISTRIES]


@pytest.fixture
def catalog(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/catalog")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _names(entries: list[Any]) -> list[str]:
    return [e if isinstance(e, str) else e["name"] for e in entries]


@pytest.mark.parametrize(("key", "literal", "registry"), REGISTRIES, ids=REGISTRY_IDS)
def test_catalog_lists_every_registry_name(
    catalog: dict[str, Any], key: str, literal: Any, registry: Collection[str]
) -> None:
    assert _names(catalog[key]) == list(registry)


@pytest.mark.parametrize(("key", "literal", "registry"), REGISTRIES, ids=REGISTRY_IDS)
def test_request_schema_accepts_exactly_the_engine_names(
    key: str, literal: Any, registry: Collection[str]
) -> None:
    """An activation (loss, dataset …) added to the engine but not the API, or the reverse,
    fails here: requests could not name it, or would name one the engine lacks."""
    assert set(get_args(literal)) == set(registry)


def test_activations_carry_formulas(catalog: dict[str, Any]) -> None:
    for entry in catalog["activations"]:
        assert entry["formula"] and entry["derivative"], entry["name"]
    by_name = {a["name"]: a for a in catalog["activations"]}
    assert by_name["softmax"]["elementwise"] is False
    assert by_name["tanh"]["elementwise"] is True


def test_loss_output_activations_are_known_activations(catalog: dict[str, Any]) -> None:
    by_name = {loss["name"]: loss for loss in catalog["losses"]}
    assert by_name["bce"]["output_activations"] == ["sigmoid"]
    for loss in catalog["losses"]:
        assert set(loss["output_activations"]) <= set(ACTIVATIONS)


def test_optimizer_options_have_defaults(catalog: dict[str, Any]) -> None:
    options = {o["name"]: o["options"] for o in catalog["optimizers"]}
    assert options == {
        "sgd": {},
        "momentum": {"momentum": 0.9},
        "adam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    }


def test_datasets_describe_kind_and_input_dim(catalog: dict[str, Any]) -> None:
    by_name = {d["name"]: d for d in catalog["datasets"]}
    for name in ("xor", "circle", "gauss", "spiral"):
        assert (by_name[name]["kind"], by_name[name]["input_dim"]) == ("classification", 2)
    dims = {d["input_dim"] for d in by_name.values() if d["kind"] == "regression"}
    assert dims == {1, 2}


def test_catalog_holds_presets_defaults_and_limits(catalog: dict[str, Any]) -> None:
    assert catalog["presets"] == PRESETS
    assert catalog["defaults"] == DEFAULT_REQUEST
    assert catalog["limits"] == asdict(Limits())


def test_catalog_names_the_metrics_fields_every_answer_uses(
    client: TestClient, catalog: dict[str, Any], create: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    """One list (the Metrics dataclass): the catalog names it, and a session's latest record,
    a step's history columns and GET /metrics have exactly those keys, in that order."""
    assert catalog["metrics_fields"] == [f.name for f in fields(Metrics)]
    assert catalog["metrics_fields"][:3] == ["step", "train_loss", "test_loss"]
    session = create(DEFAULT_REQUEST)
    assert list(session["metrics"]) == catalog["metrics_fields"]
    steps = client.post(f"/api/networks/{session['id']}/step", json={"steps": 3}).json()
    assert list(steps["history"]) == catalog["metrics_fields"]
    assert steps["history"]["step"] == [1, 2, 3]
    columns = client.get(f"/api/networks/{session['id']}/metrics").json()
    assert list(columns) == catalog["metrics_fields"]
    assert columns["step"] == [0, 1, 2, 3]


def test_catalog_reports_the_configured_limits(tmp_path: Path) -> None:
    limits = Limits(max_samples=300, max_width=5)
    app = create_app(Settings(db_path=tmp_path / "db.sqlite3", limits=limits))
    with TestClient(app) as client:
        catalog = client.get("/api/catalog").json()
    assert catalog["limits"] == asdict(limits)
    assert {d["n_samples_range"][1] for d in catalog["datasets"]} == {300}


@pytest.mark.parametrize("preset", PRESETS, ids=[p["id"] for p in PRESETS])
def test_every_preset_creates_a_session(
    client: TestClient, create: Callable[[dict[str, Any]], dict[str, Any]], preset: dict[str, Any]
) -> None:
    session = create(preset["request"])
    assert session["step"] == 0
    assert session["network"]["layers"] == preset["request"]["network"]["layers"]
    assert client.get(f"/api/networks/{session['id']}").status_code == 200


def test_default_request_creates_a_session(
    create: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    assert create(DEFAULT_REQUEST)["network"]["layers"] == DEFAULT_REQUEST["network"]["layers"]
