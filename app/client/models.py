"""Answers of the API as dataclasses holding numpy arrays, in the contract's notation.

Layers are l = 0 … L with widths ``layers = [n_0, …, n_L]``; per-layer lists hold
l = 1 … L in order. W^l is n_l × n_{l−1}, b^l has n_l entries; z^l, a^l and
δ^l_b = ∂C_b/∂z^l_b are B × n_l (a row per sample); ``grad_weights`` is
∂C/∂W^l = (1/B) Σ_b δ^l_b (a^{l−1}_b)ᵀ. A JSON ``null`` in a column of numbers is
``nan`` here (a test loss without a test set, an accuracy of a regression).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.client import display

Json = dict[str, Any]


def _f64(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def _matrices(values: Any) -> list[np.ndarray]:
    return [_f64(m) for m in values]


def _maybe_vectors(values: Any) -> list[np.ndarray] | None:
    return None if values is None else [_f64(v) for v in values]


def _column(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _dead(d: Json) -> list[list[int]] | None:
    """``dead.layers``: the neurons whose a^l_j is 0 on every training sample (dead ReLUs)."""
    dead = d.get("dead")
    return None if dead is None else [list(layer) for layer in dead["layers"]]


def _rows(values: list[list[float]], width: int) -> np.ndarray:
    return _f64(values).reshape(len(values), width)


@dataclass
class Network:
    """Widths n_0 … n_L, σ_l per layer, the loss, and W^l, b^l (l = 1 … L)."""

    layers: list[int]
    activations: list[str]
    loss: str
    bias: bool
    weights: list[np.ndarray]
    biases: list[np.ndarray] | None
    init: str | None = None
    seed: int | None = None
    features: list[str] | None = None

    @classmethod
    def from_json(cls, d: Json) -> Network:
        return cls(
            layers=list(d["layers"]),
            activations=list(d["activations"]),
            loss=d["loss"],
            bias=bool(d["bias"]),
            weights=_matrices(d["weights"]),
            biases=_maybe_vectors(d.get("biases")),
            init=d.get("init"),
            seed=d.get("seed"),
            features=d.get("features"),
        )

    def to_json(self) -> Json:
        """The ``network`` part of a request (``POST /api/trace`` or ``/api/networks``)."""
        out: Json = {
            "layers": self.layers,
            "activations": self.activations,
            "loss": self.loss,
            "bias": self.bias,
            "weights": [w.tolist() for w in self.weights],
        }
        if self.biases is not None:
            out["biases"] = [b.tolist() for b in self.biases]
        return out

    def _repr_html_(self) -> str:
        return display.network_html(self)


@dataclass
class Metrics:
    """One step's record: losses, accuracies (nan when not defined), ‖δ^l‖ and ‖∂C/∂W^l‖."""

    step: int
    train_loss: float
    test_loss: float
    train_accuracy: float
    test_accuracy: float
    delta_norms: np.ndarray
    grad_norms: np.ndarray

    @classmethod
    def from_json(cls, d: Json) -> Metrics:
        nan = float("nan")
        return cls(
            step=int(d["step"]),
            train_loss=float(d["train_loss"]),
            test_loss=nan if d["test_loss"] is None else float(d["test_loss"]),
            train_accuracy=nan if d["train_accuracy"] is None else float(d["train_accuracy"]),
            test_accuracy=nan if d["test_accuracy"] is None else float(d["test_accuracy"]),
            delta_norms=_f64(d["delta_norms"]),
            grad_norms=_f64(d["grad_norms"]),
        )


@dataclass
class History:
    """Per-step metrics as columns: entry i is the record of update ``step[i]``."""

    step: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    delta_norms: np.ndarray  # steps × L
    grad_norms: np.ndarray  # steps × L

    @classmethod
    def from_json(cls, d: Json) -> History:
        steps = np.asarray(d["step"], dtype=np.int64)
        L = len(d["delta_norms"][0]) if d["delta_norms"] else 0
        return cls(
            step=steps,
            train_loss=_column(d["train_loss"]),
            test_loss=_column(d["test_loss"]),
            train_accuracy=_column(d["train_accuracy"]),
            test_accuracy=_column(d["test_accuracy"]),
            delta_norms=_rows(d["delta_norms"], L),
            grad_norms=_rows(d["grad_norms"], L),
        )

    def __len__(self) -> int:
        return len(self.step)

    def _repr_html_(self) -> str:
        return display.loss_curve_html(self)


@dataclass
class Dataset:
    """Raw inputs ``x`` (before features) and targets ``y`` as trained, train and test."""

    name: str
    kind: str
    input_dim: int
    x: np.ndarray
    y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    domain: np.ndarray
    labels: np.ndarray | None = None
    test_labels: np.ndarray | None = None
    source: Json | None = None

    @classmethod
    def from_json(cls, d: Json) -> Dataset:
        dim, width = d["input_dim"], len(d["y"][0]) if d["y"] else 1
        return cls(
            name=d["name"],
            kind=d["kind"],
            input_dim=dim,
            x=_rows(d["x"], dim),
            y=_rows(d["y"], width),
            test_x=_rows(d["test_x"], dim),
            test_y=_rows(d["test_y"], width),
            domain=_f64(d["domain"]),
            labels=None if d.get("labels") is None else _f64(d["labels"]),
            test_labels=None if d.get("test_labels") is None else _f64(d["test_labels"]),
            source=d.get("source"),
        )


@dataclass
class Session:
    """A stored session as it is now: network, dataset, training settings, latest metrics."""

    id: str
    step: int
    network: Network
    dataset: Dataset
    training: Json
    metrics: Metrics | None
    created_at: float
    updated_at: float
    dead: list[list[int]] | None = None  # per layer l = 1 … L, neurons j with a^l_j = 0 on all

    @classmethod
    def from_json(cls, d: Json) -> Session:
        return cls(
            id=d["id"],
            step=int(d["step"]),
            network=Network.from_json(d["network"]),
            dataset=Dataset.from_json(d["dataset"]),
            training=dict(d["training"]),
            metrics=None if d.get("metrics") is None else Metrics.from_json(d["metrics"]),
            created_at=float(d["created_at"]),
            updated_at=float(d["updated_at"]),
            dead=_dead(d),
        )

    def _repr_html_(self) -> str:
        return display.session_html(self)


@dataclass
class LayerTrace:
    """Layer l of a trace: z^l, a^l, δ^l (B × n_l), ∂C/∂W^l (n_l × n_{l−1}), ∂C/∂b^l."""

    z: np.ndarray
    a: np.ndarray
    delta: np.ndarray
    grad_weights: np.ndarray
    grad_biases: np.ndarray | None

    @classmethod
    def from_json(cls, d: Json) -> LayerTrace:
        return cls(
            z=_f64(d["z"]),
            a=_f64(d["a"]),
            delta=_f64(d["delta"]),
            grad_weights=_f64(d["grad_weights"]),
            grad_biases=None if d["grad_biases"] is None else _f64(d["grad_biases"]),
        )


@dataclass
class Trace:
    """One forward and backward pass: C, C_b per sample, a^0 = x, and layers l = 1 … L.

    ``weights`` (W^l) are the ones the pass used, when the client knows them (it does
    for ``Client.trace``); they let ``chain_rule`` show δ's recurrence with numbers.
    """

    loss: float
    sample_losses: np.ndarray
    x: np.ndarray
    layers: list[LayerTrace]
    weights: list[np.ndarray] | None = None

    @classmethod
    def from_json(cls, d: Json, weights: list[np.ndarray] | None = None) -> Trace:
        return cls(**cls._fields(d), weights=weights)

    @staticmethod
    def _fields(d: Json) -> Json:
        return {
            "loss": float(d["loss"]),
            "sample_losses": _f64(d["sample_losses"]),
            "x": _f64(d["x"]),
            "layers": [LayerTrace.from_json(t) for t in d["layers"]],
        }

    @property
    def widths(self) -> list[int]:
        """n_0 … n_L."""
        return [self.x.shape[1]] + [t.z.shape[1] for t in self.layers]

    def chain_rule(self, layer: int, row: int, column: int, sample: int = 0) -> display.ChainRule:
        """∂C/∂W^l[row][column] taken apart: the batch mean of δ^l_j a^{l−1}_k, and δ^l_j's
        recurrence down from the loss for ``sample``, with this trace's numbers."""
        return display.ChainRule(self, layer, row, column, sample)

    def _repr_html_(self) -> str:
        return display.trace_html(self)


@dataclass
class Update:
    """ΔW^l and Δb^l (l = 1 … L): what the optimiser applies, or would."""

    weights: list[np.ndarray]
    biases: list[np.ndarray] | None

    @classmethod
    def from_json(cls, d: Json) -> Update:
        return cls(_matrices(d["weights"]), _maybe_vectors(d.get("biases")))


@dataclass
class Backward(Trace):
    """A session's trace for chosen samples or its next minibatch; nothing is updated.

    ``step`` names the weights used; ``update`` is the ΔW, Δb a step would apply."""

    step: int = 0
    indices: list[int] | None = None
    x_raw: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    update: Update | None = None

    @classmethod
    def from_json(cls, d: Json, weights: list[np.ndarray] | None = None) -> Backward:
        return cls(
            **cls._fields(d),
            weights=weights,
            step=int(d["step"]),
            indices=d.get("indices"),
            x_raw=_f64(d["x_raw"]),
            update=Update.from_json(d["update"]),
        )


@dataclass
class ForwardLayer:
    z: np.ndarray
    a: np.ndarray


@dataclass
class Forward:
    """z^l and a^l for chosen samples; ``x`` is a^0 (features applied), ``output`` a^L."""

    indices: list[int] | None
    x_raw: np.ndarray
    x: np.ndarray
    output: np.ndarray
    layers: list[ForwardLayer]

    @classmethod
    def from_json(cls, d: Json) -> Forward:
        return cls(
            indices=d.get("indices"),
            x_raw=_f64(d["x_raw"]),
            x=_f64(d["x"]),
            output=_f64(d["output"]),
            layers=[ForwardLayer(_f64(t["z"]), _f64(t["a"])) for t in d["layers"]],
        )


@dataclass
class StepResult:
    """After ``applied_steps`` updates: the network, the latest metrics and, for one step,
    its minibatch (``indices``), trace and update; for more, the steps' ``history``.
    ``diverged`` says a step was refused (``message`` suggests why)."""

    step: int
    applied_steps: int
    diverged: bool
    message: str | None
    metrics: Metrics | None
    network: Network
    indices: list[int] | None = None
    update: Update | None = None
    trace: Trace | None = None
    history: History | None = None
    dead: list[list[int]] | None = None

    @classmethod
    def from_json(cls, d: Json) -> StepResult:
        return cls(
            step=int(d["step"]),
            applied_steps=int(d["applied_steps"]),
            diverged=bool(d["diverged"]),
            message=d.get("message"),
            metrics=None if d.get("metrics") is None else Metrics.from_json(d["metrics"]),
            network=Network.from_json(d["network"]),
            indices=d.get("indices"),
            update=None if d.get("update") is None else Update.from_json(d["update"]),
            trace=None if d.get("trace") is None else Trace.from_json(d["trace"]),
            history=None if d.get("history") is None else History.from_json(d["history"]),
            dead=_dead(d),
        )

    def _repr_html_(self) -> str:
        return display.step_html(self)


@dataclass
class Boundary:
    """The output over the input domain: a resolution × resolution grid (row 0 is the top,
    x₂ largest) for 2-D inputs, a line for 1-D; with neurons, every a^l_j the same way."""

    dims: int
    resolution: int
    domain: np.ndarray
    output: np.ndarray
    inputs: np.ndarray | None = None
    neurons: list[np.ndarray] | None = None
    plane: tuple[int, int] | None = None  # more than 2 features: the two the grid spans
    held: np.ndarray | None = None  # … and the raw input the others are held at

    @classmethod
    def from_json(cls, d: Json) -> Boundary:
        """From ``GET …/boundary`` (lists) or a binary frame (float32 arrays, kept so)."""
        shape = cls.grid_shape(d["dims"], d["resolution"])

        def grid(v: Any, *lead: int) -> np.ndarray:
            a = v if isinstance(v, np.ndarray) else _f64(v)
            return a.reshape(*lead, *shape)

        neurons = d.get("neurons")
        return cls(
            dims=d["dims"],
            resolution=d["resolution"],
            domain=_f64(d["domain"]),
            output=grid(d["output"]),
            inputs=None if d.get("inputs") is None else grid(d["inputs"], -1),
            neurons=None if neurons is None else [grid(n, -1) for n in neurons],
            plane=None if d.get("plane") is None else (d["plane"][0], d["plane"][1]),
            held=None if d.get("held") is None else _f64(d["held"]),
        )

    @staticmethod
    def grid_shape(dims: int, resolution: int) -> tuple[int, ...]:
        return (resolution, resolution) if dims == 2 else (resolution,)


@dataclass
class ParameterCheck:
    """One parameter's comparison: ``verdict`` is pass, fail or kink (no derivative there)."""

    name: str
    kind: str
    layer: int
    row: int
    column: int
    backprop: float
    numeric: float
    error: float
    tolerance: float
    verdict: str


@dataclass
class GradcheckLayer:
    """Layer l: ∂C/∂W^l and ∂C/∂b^l by backprop and numerically, and each parameter's
    verdict; ``worst`` indexes the parameter that decides the layer's."""

    layer: int
    backprop_weights: np.ndarray
    numeric_weights: np.ndarray
    backprop_biases: np.ndarray | None
    numeric_biases: np.ndarray | None
    max_relative_error: float
    passed: bool
    worst: int
    parameters: list[ParameterCheck]


@dataclass
class Gradcheck:
    """Backprop's ∂C/∂W^l, ∂C/∂b^l beside central differences, per layer."""

    passed: bool
    max_relative_error: float
    step: float
    threshold: float
    gradient_scale: float
    counts: dict[str, int]  # parameters that pass, fail, or sit at a kink
    indices: list[int] | None
    drop_derivative_layer: int | None
    layers: list[GradcheckLayer]

    @classmethod
    def from_json(cls, d: Json) -> Gradcheck:
        def vec(v: Any) -> np.ndarray | None:
            return None if v is None else _f64(v)

        return cls(
            passed=bool(d["passed"]),
            max_relative_error=float(d["max_relative_error"]),
            step=float(d["step"]),
            threshold=float(d["threshold"]),
            gradient_scale=float(d["gradient_scale"]),
            counts=dict(d["counts"]),
            indices=d.get("indices"),
            drop_derivative_layer=d.get("drop_derivative_layer"),
            layers=[
                GradcheckLayer(
                    layer=int(g["layer"]),
                    backprop_weights=_f64(g["backprop_weights"]),
                    numeric_weights=_f64(g["numeric_weights"]),
                    backprop_biases=vec(g["backprop_biases"]),
                    numeric_biases=vec(g["numeric_biases"]),
                    max_relative_error=float(g["max_relative_error"]),
                    passed=bool(g["passed"]),
                    worst=int(g["worst"]),
                    parameters=[ParameterCheck(**p) for p in g["parameters"]],
                )
                for g in d["layers"]
            ],
        )

    def _repr_html_(self) -> str:
        return display.gradcheck_html(self)


@dataclass
class PathTerm:
    neurons: list[int]  # i_l, …, i_L: the neuron the path passes in each layer
    contribution: float


@dataclass
class DepthCost:
    hidden_layers: int
    paths: int
    path_multiply_adds: int
    dp_multiply_adds: int


@dataclass
class Paths:
    """∂C/∂W^l[row][column] summed over every path to the loss, beside the δ recurrence
    (dynamic programming), with what each costs, also as the network gets deeper."""

    layer: int
    row: int
    column: int
    index: int
    paths: int
    path_gradient: float
    dp_gradient: float
    path_multiply_adds: int
    dp_multiply_adds: int
    top_paths: list[PathTerm]
    cost_by_depth: list[DepthCost]

    @classmethod
    def from_json(cls, d: Json) -> Paths:
        return cls(
            **{k: d[k] for k in ("layer", "row", "column", "index", "paths")},
            path_gradient=float(d["path_gradient"]),
            dp_gradient=float(d["dp_gradient"]),
            path_multiply_adds=int(d["path_multiply_adds"]),
            dp_multiply_adds=int(d["dp_multiply_adds"]),
            top_paths=[
                PathTerm(list(p["neurons"]), float(p["contribution"])) for p in d["top_paths"]
            ],
            cost_by_depth=[DepthCost(**c) for c in d["cost_by_depth"]],
        )

    def _repr_html_(self) -> str:
        return display.paths_html(self)


@dataclass
class Snapshot:
    step: int
    weights: list[np.ndarray]
    biases: list[np.ndarray] | None

    @classmethod
    def from_json(cls, d: Json) -> Snapshot:
        return cls(int(d["step"]), _matrices(d["weights"]), _maybe_vectors(d.get("biases")))


@dataclass
class Frame:
    """One frame of the play stream: the state after ``steps`` more updates, at ``step``.

    ``weights``/``biases`` are exact (float64); ``boundary`` grids are float32, present
    in the frames that carry them."""

    seq: int
    step: int
    steps: int
    train_ms: float
    diverged: bool
    message: str | None
    metrics: Metrics
    weights: list[np.ndarray]
    biases: list[np.ndarray] | None
    boundary: Boundary | None
