"""The domain's specs: what a network, a dataset, training settings, a run's state and its
history are, as validated pydantic models.

One job: say what a valid session is made of, with types and fixed ranges, so a session
can be built from them (``Session.create``) and an export read back into them. They sit
below the API, which wraps them in request bodies (``app.api.schemas``); the configurable
limits are checked by the API (``app.api.limits``) before any work starts, and the shapes
that depend on each other (a weight matrix against the layer widths) by the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from app.engine.training import METRICS_FIELDS, Metrics

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
Seed = Annotated[int, Field(strict=True, ge=0, le=2**32 - 1)]
# Step numbers and positions: stored as 64-bit integers and read by JavaScript, so at most
# 2⁵³ − 1 (larger ones were a 500 from SQLite and orjson).
Count = Annotated[int, Field(strict=True, ge=0, le=2**53 - 1)]


class Strict(BaseModel):
    """Unknown fields are errors (a typo should not be silently ignored); no NaN/Infinity."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# --- networks ------------------------------------------------------------------------------


class NetworkSpec(Strict):
    layers: list[Annotated[int, Field(strict=True, ge=1)]] = Field(
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
    n_samples: Annotated[int, Field(strict=True, ge=1)] = 200
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
    input_dim: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Raw input width d when x is empty (drawing from zero points); else d."
    )


# --- training ------------------------------------------------------------------------------


class TrainingSettings(Strict):
    optimizer: OptimizerName = "sgd"
    learning_rate: Annotated[float, Field(gt=0.0, le=100.0)] = 0.03
    batch_size: Annotated[int, Field(strict=True, ge=1)] = 10
    regularization: RegularizationName = "none"
    regularization_rate: Annotated[float, Field(ge=0.0, le=10.0)] = 0.0
    momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.9
    beta1: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.9
    beta2: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.999
    epsilon: Annotated[float, Field(gt=0.0, le=1.0)] = 1e-8


# --- sessions ------------------------------------------------------------------------------


class SessionState(Strict):
    """Where a run is: restores a session exactly (export → create)."""

    step: Count = 0
    optimizer_state: dict[str, list[float]] = Field(default_factory=dict)
    batch_epoch: Count = 0
    batch_cursor: Count = 0
    initial_weights: list[Matrix] | None = None
    initial_biases: list[list[float]] | None = None


def metrics_model(
    name: str, base: type[BaseModel], field: Callable[[str, Any], tuple[Any, Any]]
) -> Any:
    """A model with one field per Metrics field, in its order: ``field(name, type)`` gives
    each one's (annotation, default or FieldInfo). Subclass the result to name and document
    it; nothing here lists the metrics again."""
    hints = get_type_hints(Metrics)
    definitions: dict[str, Any] = {n: field(n, hints[n]) for n in METRICS_FIELDS}
    return create_model(name, __base__=base, **definitions)


def _column(name: str, kind: Any) -> tuple[Any, Any]:
    return (list[Count] if name == "step" else list[kind]), Field(default_factory=list)


class MetricsColumns(metrics_model("_MetricsColumns", Strict, _column)):  # type: ignore[misc]
    pass


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


# --- choosing samples ---------------------------------------------------------------------


class SampleSelection(Strict):
    """Which samples: dataset rows by index, or explicit raw inputs (and targets)."""

    indices: list[Annotated[int, Field(strict=True, ge=0)]] | None = None
    split: Split = "train"
    x: Matrix | None = Field(None, description="Explicit raw inputs, B × d.")
    y: Matrix | None = Field(None, description="Targets for explicit x, B × n_L.")
