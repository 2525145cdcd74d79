"""The API's request wrappers and response shapes.

Request bodies wrap the domain's specs (``app.sessions.specs``: network, dataset,
training, state, history, sample selection), re-exported here under the same names so
routers and the OpenAPI schema see one module; the configurable limits are checked in
``app.api.limits`` before any work starts. ``*Out`` models document what is answered.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from app.sessions.specs import ActivationName as ActivationName
from app.sessions.specs import BuiltinDataset as BuiltinDataset
from app.sessions.specs import Count as Count
from app.sessions.specs import CreateSession as CreateSession
from app.sessions.specs import CustomDataset as CustomDataset
from app.sessions.specs import DatasetName as DatasetName
from app.sessions.specs import FeatureName as FeatureName
from app.sessions.specs import History as History
from app.sessions.specs import InitName as InitName
from app.sessions.specs import LossName as LossName
from app.sessions.specs import Matrix as Matrix
from app.sessions.specs import MetricsColumns as MetricsColumns
from app.sessions.specs import NetworkSpec as NetworkSpec
from app.sessions.specs import OptimizerName as OptimizerName
from app.sessions.specs import RegularizationName as RegularizationName
from app.sessions.specs import SampleSelection as SampleSelection
from app.sessions.specs import Seed as Seed
from app.sessions.specs import SessionNetworkSpec as SessionNetworkSpec
from app.sessions.specs import SessionState as SessionState
from app.sessions.specs import Snapshot as Snapshot
from app.sessions.specs import Split as Split
from app.sessions.specs import Strict as Strict
from app.sessions.specs import TrainingSettings as TrainingSettings
from app.sessions.specs import metrics_model

# --- requests ------------------------------------------------------------------------------


class TraceRequest(Strict):
    network: NetworkSpec
    x: Matrix = Field(description="B × n_0 inputs.", examples=[[[1.0]]])
    y: Matrix = Field(description="B × n_L targets.", examples=[[[0.0]]])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "network": {
                        "layers": [1, 1],
                        "activations": ["square"],
                        "loss": "mse",
                        "bias": False,
                        "weights": [[[2.0]]],
                    },
                    "x": [[1.0]],
                    "y": [[0.0]],
                }
            ]
        }
    )


def _patch_of(model: type[BaseModel]) -> Any:
    """``model``'s fields, each with its own constraints but optional (None: unchanged)."""
    optional: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        kind: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        optional[name] = (kind | None, None)
    return create_model(f"_{model.__name__}Patch", __base__=Strict, **optional)


class TrainingPatch(_patch_of(TrainingSettings)):  # type: ignore[misc]
    pass


class ParameterEdit(Strict):
    layer: Annotated[int, Field(strict=True, ge=1)]
    kind: Literal["weight", "bias"] = "weight"
    row: Annotated[int, Field(strict=True, ge=0)]
    column: Annotated[int, Field(strict=True, ge=0)] = 0
    value: Annotated[float, Field(ge=-1e6, le=1e6)]


class BranchRequest(Strict):
    step: Annotated[int, Field(ge=0, description="A step with a stored snapshot.")]


class NewPoint(Strict):
    x: list[float] = Field(min_length=1, description="Raw input (before features).")
    y: list[float] = Field(min_length=1, description="Label [0|1] or target row.")
    split: Split = "train"
    index: Annotated[int, Field(strict=True, ge=0)] | None = Field(
        None, description="Insert before this point of the split (0 … its size); default: append."
    )


# --- computing on a session ----------------------------------------------------------------


class StepRequest(Strict):
    steps: Annotated[int, Field(strict=True, ge=1)] = 1
    trace: bool = Field(
        True, strict=True, description="Include the minibatch's full trace (1 step only)."
    )


class GradcheckRequest(SampleSelection):
    drop_derivative_layer: Annotated[int, Field(strict=True, ge=1)] | None = Field(
        None, description="Leave σ_l' out of backprop in this layer, to show a wrong gradient."
    )


class PathsRequest(Strict):
    layer: Annotated[int, Field(strict=True, ge=1)]
    row: Annotated[int, Field(strict=True, ge=0)]
    column: Annotated[int, Field(strict=True, ge=0)]
    index: Annotated[int, Field(strict=True, ge=0)] = 0
    split: Split = "train"


# --- responses ------------------------------------------------------------------------------
#
# Answers are serialised straight from numpy (``app.api.serialize``), so FastAPI does not
# validate them: these models document their shapes in the OpenAPI schema, and
# tests/hardening/test_schemathesis.py checks that what is sent conforms.


class Out(BaseModel):
    """Response shapes: documented fields are always present; more may be added later."""


class LayerTraceOut(Out):
    z: Matrix = Field(description="B × n_l pre-activations z^l.")
    a: Matrix = Field(description="B × n_l activations a^l.")
    delta: Matrix = Field(description="B × n_l, δ^l_b = ∂C_b/∂z^l_b per sample.")
    grad_weights: Matrix = Field(description="n_l × n_{l-1}, ∂C/∂W^l (batch mean).")
    grad_biases: list[float] | None = Field(description="∂C/∂b^l; null without biases.")


class TraceOut(Out):
    loss: float = Field(description="Batch loss C = (1/B) Σ_b C_b.")
    sample_losses: list[float] = Field(description="C_b per sample.")
    x: Matrix = Field(description="B × n_0 network inputs a^0.")
    layers: list[LayerTraceOut] = Field(description="l = 1 … L in order.")


class Health(Out):
    status: Literal["ok"]
    version: str
    store: Literal["sqlite", "redis"]
    kernel: Literal["warming", "ready", "failed"] = Field(
        description="The training kernel's warm-up at server start: 'warming' while it "
        "compiles (on a first start, in a child process), then 'ready' ('failed': the first "
        "step compiles it instead)."
    )


class Error(Out):
    detail: str = Field(description="One sentence naming the field and what is wrong.")
    errors: list[dict[str, Any]] = Field(
        default_factory=list, description="Every problem found, each with ``loc`` and ``msg``."
    )


class NetworkOut(Out):
    layers: list[int]
    activations: list[ActivationName]
    loss: LossName
    bias: bool
    weights: list[Matrix] = Field(description="W^l for l = 1 … L, each n_l × n_{l-1}.")
    biases: list[list[float]] | None = Field(description="b^l for l = 1 … L; null without.")


class SessionNetworkOut(NetworkOut):
    init: InitName | None
    seed: int
    features: list[FeatureName] | None


# Descriptions of the metrics fields that need one (the fields come from Metrics).
METRICS_DESCRIPTIONS = {
    "delta_norms": "‖δ^l‖ per layer (Frobenius over √B).",
    "grad_norms": "‖∂C/∂W^l‖ per layer.",
}


def _record_field(name: str, kind: Any) -> tuple[Any, Any]:
    if name in METRICS_DESCRIPTIONS:
        return kind, Field(description=METRICS_DESCRIPTIONS[name])
    return kind, ...


class MetricsOut(metrics_model("_MetricsOut", Out, _record_field)):  # type: ignore[misc]
    """One step's record."""


def _column_field(name: str, kind: Any) -> tuple[Any, Any]:
    return list[kind], ...


class MetricsColumnsOut(metrics_model("_MetricsColumnsOut", Out, _column_field)):  # type: ignore[misc]
    """Per-step metrics as columns, one entry per step."""


class DatasetOut(Out):
    name: str
    kind: Literal["classification", "regression"]
    input_dim: int
    n_train: int
    n_test: int
    source: dict[str, Any] | None = Field(description="The built-in's parameters, if any.")
    domain: list[list[float]] = Field(description="[min, max] per raw input dimension.")
    x: Matrix = Field(description="Raw training inputs (before features).")
    y: Matrix = Field(description="Training targets as trained (one-hot if so).")
    test_x: Matrix
    test_y: Matrix
    labels: Matrix | None = Field(description="Classification labels as given; null otherwise.")
    test_labels: Matrix | None


class DeadOut(Out):
    step: int = Field(description="The step these neurons were found dead at.")
    layers: list[list[int]] = Field(
        description="Per layer l = 1 … L, the neurons j whose a^l_j is 0 on every training sample."
    )


class SessionOut(Out):
    id: str = Field(description="128 random bits, URL-safe base64.")
    step: int = Field(description="Updates since creation or reset.")
    created_at: float
    updated_at: float
    network: SessionNetworkOut
    dataset: DatasetOut
    training: TrainingSettings
    metrics: MetricsOut | None = Field(description="The latest step's record; null before one.")
    dead: DeadOut


class SessionSummary(Out):
    id: str
    step: int
    updated_at: float
    layers: list[int]
    dataset: str


class SessionList(Out):
    sessions: list[SessionSummary]
    unreadable: list[str] = Field(
        default_factory=list, description="Ids asked for whose stored record is damaged; skipped."
    )


class ExportOut(Out):
    """A create request (``POST /api/networks``) that reproduces the session exactly."""

    network: SessionNetworkOut
    dataset: CustomDataset
    training: TrainingSettings
    state: SessionState
    history: History


class ForwardLayerOut(Out):
    z: Matrix
    a: Matrix


class ForwardOut(Out):
    indices: list[int] | None = Field(description="Dataset rows used; null for explicit x.")
    x_raw: Matrix
    x: Matrix = Field(description="Network inputs a^0 (features applied).")
    output: Matrix
    layers: list[ForwardLayerOut]


class UpdateOut(Out):
    weights: list[Matrix] = Field(description="ΔW^l, l = 1 … L.")
    biases: list[list[float]] | None


class BackwardOut(TraceOut):
    step: int = Field(description="The session's step: the weights this pass used.")
    indices: list[int] | None
    x_raw: Matrix
    update: UpdateOut = Field(
        description="ΔW, Δb the optimiser would apply for this batch from its current state "
        "(regularisation included); nothing is applied."
    )


class StepOut(Out):
    """One step adds ``indices``, ``update`` and (unless ``trace: false``) ``trace``; more
    steps add ``history``. A diverged single step has neither ``indices`` nor ``update``."""

    step: int
    applied_steps: int
    diverged: bool
    message: str | None
    metrics: MetricsOut | None
    network: NetworkOut
    dead: DeadOut
    indices: list[int] | None = None
    update: UpdateOut | None = None
    trace: TraceOut | None = None
    history: MetricsColumnsOut | None = None


class SnapshotOut(Out):
    step: int
    weights: list[Matrix]
    biases: list[list[float]] | None


class SnapshotsOut(Out):
    snapshots: list[SnapshotOut]


class BoundaryOut(Out):
    dims: Literal[1, 2]
    resolution: int
    domain: list[list[float]]
    output: list[float] = Field(description="The first output unit (class 1 of a softmax pair).")
    inputs: Matrix | None = Field(None, description="With neurons: a^0, n_0 × cells.")
    neurons: list[Matrix] | None = Field(None, description="With neurons: a^l, n_l × cells.")
    plane: list[int] | None = Field(
        None, description="More than 2 raw features: the two the grid spans (x, y)."
    )
    held: list[float] | None = Field(
        None,
        description="More than 2 raw features: the raw input the other features are held "
        "at (the training mean), one value per feature.",
    )


class GradcheckParameterOut(Out):
    name: str = Field(description="W^l_{j,k} or b^l_{j}, in the book's notation.")
    kind: Literal["W", "b"]
    layer: int
    row: int
    column: int = Field(description="k of W^l_{jk}; 0 for a bias.")
    backprop: float
    numeric: float = Field(description="Central difference D(h) for this parameter.")
    error: float = Field(description="|backprop − numeric| / max(|backprop|, |numeric|, ρG).")
    tolerance: float = Field(description="r + (what the step h explains) / the same scale.")
    verdict: Literal["pass", "fail", "kink"]


class GradcheckLayerOut(Out):
    layer: int
    backprop_weights: Matrix
    numeric_weights: Matrix
    backprop_biases: list[float] | None
    numeric_biases: list[float] | None
    max_relative_error: float = Field(description="Largest error of the checked parameters.")
    passed: bool
    worst: int = Field(description="Index in parameters of the one deciding the verdict.")
    parameters: list[GradcheckParameterOut] = Field(description="W^l row by row, then b^l.")


class GradcheckCountsOut(Out):
    pass_: int = Field(alias="pass")
    fail: int
    kink: int


class GradcheckOut(Out):
    indices: list[int] | None
    passed: bool = Field(description="No checked parameter failed; kinks are not counted.")
    max_relative_error: float
    step: float
    threshold: float = Field(description="r: the relative agreement asked of backprop.")
    gradient_scale: float = Field(description="G, the largest |backprop| or |numeric|.")
    counts: GradcheckCountsOut
    drop_derivative_layer: int | None
    layers: list[GradcheckLayerOut]


class PathTermOut(Out):
    neurons: list[int]
    contribution: float


class DepthCostOut(Out):
    hidden_layers: int
    paths: int
    path_multiply_adds: int
    dp_multiply_adds: int


class PathsOut(Out):
    layer: int
    row: int
    column: int
    index: int
    paths: int
    path_gradient: float
    dp_gradient: float
    path_multiply_adds: int
    dp_multiply_adds: int
    top_paths: list[PathTermOut]
    cost_by_depth: list[DepthCostOut]


class CatalogOut(Out):
    activations: list[dict[str, Any]]
    losses: list[dict[str, Any]]
    optimizers: list[dict[str, Any]]
    initializers: list[dict[str, Any]]
    regularizations: list[RegularizationName]
    features: list[dict[str, Any]]
    datasets: list[dict[str, Any]]
    bundled: list[dict[str, Any]] = Field(
        description="Real datasets served by ``GET /api/tables/{name}``."
    )
    domain: list[float]
    presets: list[dict[str, Any]]
    defaults: dict[str, Any]
    limits: dict[str, int]
    metrics_fields: list[str] = Field(
        description="A step's metrics record, field by field, in order (as ``/metrics`` columns)."
    )


# --- tables --------------------------------------------------------------------------------

Cell = str | float | int | None


class JsonTable(Strict):
    rows: list[list[Cell]] = Field(description="Cells row by row; the header row too, if any.")
    header: bool | None = Field(None, description="null: guessed from the first two rows.")
    target: str | int | None = Field(None, description="Column name or index; default: last.")


class TableOut(Out):
    name: str
    columns: list[str] = Field(description="Feature names, in the order of x's columns.")
    target: str
    kind: Literal["classification", "regression"]
    classes: list[str] = Field(description="Class labels by class number; [] for regression.")
    n_rows: int
    preview: list[list[float | str]] = Field(description="The first rows: features, target.")
    image: list[int] | None = Field(description="[rows, columns] when the inputs are pixels.")
    dataset: CustomDataset = Field(description="A custom dataset for ``POST /api/networks``.")
