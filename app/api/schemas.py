"""Every request and response body of the API, in one place.

Requests are validated here for types and fixed ranges; the configurable
limits (widths, samples, steps …) are checked in ``app.api.limits`` before any
work starts, and the shapes that depend on each other (a weight matrix against
the layer widths) by the engine, whose errors name the field as well.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

ActivationName = Literal[
    "sigmoid", "tanh", "relu", "leaky_relu", "linear", "softplus", "square", "softmax"
]
LossName = Literal["mse", "bce", "cross_entropy"]
InitName = Literal["xavier", "he", "normal", "zeros"]
OptimizerName = Literal["sgd", "momentum", "adam"]
RegularizationName = Literal["none", "l1", "l2"]
FeatureName = Literal["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]
DatasetName = Literal["xor", "circle", "gauss", "spiral", "moons", "sine", "plane", "bumps"]
Split = Literal["train", "test"]


def _rectangular(rows: list[list[float]]) -> list[list[float]]:
    """Ragged rows are refused here, naming the field; numpy would fail on them with a 500."""
    for i, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise ValueError(f"row {i} has {len(row)} values but row 0 has {len(rows[0])}")
    return rows


Matrix = Annotated[list[list[float]], AfterValidator(_rectangular)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
# Step numbers and positions: stored as 64-bit integers and read by JavaScript, so at most
# 2⁵³ − 1 (larger ones were a 500 from SQLite and orjson).
Count = Annotated[int, Field(ge=0, le=2**53 - 1)]


class Strict(BaseModel):
    """Unknown fields are errors (a typo should not be silently ignored); no NaN/Infinity."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# --- networks ------------------------------------------------------------------------------


class NetworkSpec(Strict):
    layers: list[Annotated[int, Field(ge=1)]] = Field(
        min_length=2, description="Widths n_0 … n_L; n_0 is the input.", examples=[[2, 4, 1]]
    )
    activations: list[ActivationName] = Field(
        description="σ_l for l = 1 … L.", examples=[["tanh", "sigmoid"]]
    )
    loss: LossName = "mse"
    bias: bool = True
    weights: list[Matrix] | None = Field(
        None, description="W^l for l = 1 … L, each n_l × n_{l-1}; omit to initialise."
    )
    biases: list[list[float]] | None = Field(None, description="b^l for l = 1 … L, each n_l.")


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


class SessionNetworkSpec(NetworkSpec):
    init: InitName | None = Field(
        "xavier", description="Initialiser used when weights are absent (and on reset)."
    )
    seed: Seed = 0
    features: list[FeatureName] | None = Field(
        None, description="Input transforms; layers[0] must equal their count. null: raw input."
    )


# --- datasets ------------------------------------------------------------------------------


class BuiltinDataset(Strict):
    name: DatasetName = "xor"
    n_samples: Annotated[int, Field(ge=1)] = 200
    noise: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    test_fraction: Annotated[float, Field(ge=0.0, le=0.9)] = 0.2
    seed: Seed = 0


class CustomDataset(Strict):
    x: Matrix = Field(description="N × d raw inputs.")
    y: Matrix = Field(description="N × 1 labels (0/1) or N × n targets.")
    test_x: Matrix | None = None
    test_y: Matrix | None = None
    name: Annotated[str, Field(max_length=60)] | None = Field(
        None, description="Display name; a built-in's name and parameters are kept on export."
    )
    source: BuiltinDataset | None = Field(
        None, description="The built-in these points came from, if any (display only)."
    )
    kind: Literal["classification", "regression"] | None = Field(
        None,
        description="Omitted: classification when every target is 0 or 1, else regression.",
    )


# --- training ------------------------------------------------------------------------------


class TrainingSettings(Strict):
    optimizer: OptimizerName = "sgd"
    learning_rate: Annotated[float, Field(gt=0.0, le=100.0)] = 0.03
    batch_size: Annotated[int, Field(ge=1)] = 10
    regularization: RegularizationName = "none"
    regularization_rate: Annotated[float, Field(ge=0.0, le=10.0)] = 0.0
    momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.9
    beta1: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.9
    beta2: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.999
    epsilon: Annotated[float, Field(gt=0.0, le=1.0)] = 1e-8


class TrainingPatch(Strict):
    optimizer: OptimizerName | None = None
    learning_rate: Annotated[float, Field(gt=0.0, le=100.0)] | None = None
    batch_size: Annotated[int, Field(ge=1)] | None = None
    regularization: RegularizationName | None = None
    regularization_rate: Annotated[float, Field(ge=0.0, le=10.0)] | None = None
    momentum: Annotated[float, Field(ge=0.0, lt=1.0)] | None = None
    beta1: Annotated[float, Field(ge=0.0, lt=1.0)] | None = None
    beta2: Annotated[float, Field(ge=0.0, lt=1.0)] | None = None
    epsilon: Annotated[float, Field(gt=0.0, le=1.0)] | None = None


# --- sessions ------------------------------------------------------------------------------


class SessionState(Strict):
    """Where a run is: restores a session exactly (export → create)."""

    step: Count = 0
    optimizer_state: dict[str, list[float]] = Field(default_factory=dict)
    batch_epoch: Count = 0
    batch_cursor: Count = 0
    initial_weights: list[Matrix] | None = None
    initial_biases: list[list[float]] | None = None


class MetricsColumns(Strict):
    step: list[Count] = Field(default_factory=list)
    train_loss: list[float] = Field(default_factory=list)
    test_loss: list[float | None] = Field(default_factory=list)
    train_accuracy: list[float | None] = Field(default_factory=list)
    test_accuracy: list[float | None] = Field(default_factory=list)
    delta_norms: list[list[float]] = Field(default_factory=list)
    grad_norms: list[list[float]] = Field(default_factory=list)


class Snapshot(Strict):
    step: Count
    weights: list[Matrix]
    biases: list[list[float]] | None = None


class History(Strict):
    metrics: MetricsColumns = Field(default_factory=MetricsColumns)
    snapshots: list[Snapshot] = Field(default_factory=list)


class CreateSession(Strict):
    network: SessionNetworkSpec
    dataset: BuiltinDataset | CustomDataset = Field(default_factory=BuiltinDataset)
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    state: SessionState | None = None
    history: History | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "network": {
                        "layers": [2, 4, 1],
                        "activations": ["tanh", "sigmoid"],
                        "loss": "bce",
                        "init": "xavier",
                        "seed": 0,
                    },
                    "dataset": {"name": "xor", "n_samples": 200, "noise": 0.0, "seed": 0},
                    "training": {"optimizer": "sgd", "learning_rate": 0.1, "batch_size": 10},
                }
            ]
        }
    )


class ParameterEdit(Strict):
    layer: Annotated[int, Field(ge=1)]
    kind: Literal["weight", "bias"] = "weight"
    row: Annotated[int, Field(ge=0)]
    column: Annotated[int, Field(ge=0)] = 0
    value: Annotated[float, Field(ge=-1e6, le=1e6)]


class NewPoint(Strict):
    x: list[float] = Field(min_length=1, description="Raw input (before features).")
    y: list[float] = Field(min_length=1, description="Label [0|1] or target row.")
    split: Split = "train"


# --- computing on a session ----------------------------------------------------------------


class SampleSelection(Strict):
    """Which samples: dataset rows by index, or explicit raw inputs (and targets)."""

    indices: list[Annotated[int, Field(ge=0)]] | None = None
    split: Split = "train"
    x: Matrix | None = Field(None, description="Explicit raw inputs, B × d.")
    y: Matrix | None = Field(None, description="Targets for explicit x, B × n_L.")


class StepRequest(Strict):
    steps: Annotated[int, Field(ge=1)] = 1
    trace: bool = Field(True, description="Include the minibatch's full trace (1 step only).")


class GradcheckRequest(SampleSelection):
    drop_derivative_layer: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Leave σ_l' out of backprop in this layer, to show a wrong gradient."
    )


class PathsRequest(Strict):
    layer: Annotated[int, Field(ge=1)]
    row: Annotated[int, Field(ge=0)]
    column: Annotated[int, Field(ge=0)]
    index: Annotated[int, Field(ge=0)] = 0
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


class MetricsOut(Out):
    """One step's record."""

    step: int
    train_loss: float
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    delta_norms: list[float] = Field(description="‖δ^l‖ per layer (Frobenius over √B).")
    grad_norms: list[float] = Field(description="‖∂C/∂W^l‖ per layer.")


class MetricsColumnsOut(Out):
    """Per-step metrics as columns, one entry per step."""

    step: list[int]
    train_loss: list[float]
    test_loss: list[float | None]
    train_accuracy: list[float | None]
    test_accuracy: list[float | None]
    delta_norms: list[list[float]]
    grad_norms: list[list[float]]


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
    domain: list[float]
    presets: list[dict[str, Any]]
    defaults: dict[str, Any]
    limits: dict[str, int]
