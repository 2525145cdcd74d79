"""Every request and response body of the API, in one place.

Requests are validated here for types and fixed ranges; the configurable
limits (widths, samples, steps …) are checked in ``app.api.limits`` before any
work starts, and the shapes that depend on each other (a weight matrix against
the layer widths) by the engine, whose errors name the field as well.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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

Matrix = list[list[float]]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]


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

    step: Annotated[int, Field(ge=0)] = 0
    optimizer_state: dict[str, list[float]] = Field(default_factory=dict)
    batch_epoch: Annotated[int, Field(ge=0)] = 0
    batch_cursor: Annotated[int, Field(ge=0)] = 0
    initial_weights: list[Matrix] | None = None
    initial_biases: list[list[float]] | None = None


class MetricsColumns(Strict):
    step: list[int] = Field(default_factory=list)
    train_loss: list[float] = Field(default_factory=list)
    test_loss: list[float | None] = Field(default_factory=list)
    train_accuracy: list[float | None] = Field(default_factory=list)
    test_accuracy: list[float | None] = Field(default_factory=list)
    delta_norms: list[list[float]] = Field(default_factory=list)
    grad_norms: list[list[float]] = Field(default_factory=list)


class Snapshot(Strict):
    step: Annotated[int, Field(ge=0)]
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


# --- responses (documented shapes; bodies are serialised straight from numpy) -----------------


class LayerTraceOut(BaseModel):
    z: Matrix
    a: Matrix
    delta: Matrix
    grad_weights: Matrix
    grad_biases: list[float] | None


class TraceOut(BaseModel):
    loss: float
    sample_losses: list[float]
    x: Matrix
    layers: list[LayerTraceOut]


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    store: str


class Error(BaseModel):
    detail: str
    errors: list[dict[str, Any]] = Field(default_factory=list)
