"""A stored training session: network, data, settings and where the run is.

This is the domain object the use cases work on. It knows nothing of HTTP or
SQL: it is built from the domain's specs (``specs.CreateSession``), changed by
its own edit methods (a parameter, a point, the settings, a restored history),
and turned into a plain record for the store and back (``record``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from app.engine.activations import Array
from app.engine.datasets import (
    BOUND,
    CLASSIFICATION,
    REGRESSION,
    Dataset,
    custom_dataset,
    labels_to_targets,
    make_dataset,
)
from app.engine.errors import SpecError
from app.engine.features import apply_features
from app.engine.initializers import initialize
from app.engine.network import Network
from app.engine.optimizers import Optimizer, State, make_optimizer
from app.engine.training import METRICS_FIELDS, Batcher, Metrics, Regularization
from app.sessions import specs

DRAWN = "drawn"  # a custom dataset of points drawn on the built-ins' square
T = TypeVar("T")
if TYPE_CHECKING:
    from app.sessions.resume import Resume


@dataclass
class Data:
    """Raw points (before features) with labels or targets, and where they came from."""

    name: str
    kind: str
    x: Array
    y: Array
    test_x: Array
    test_y: Array
    source: dict[str, Any] | None = None  # the built-in's parameters, if any

    @classmethod
    def from_request(cls, spec: specs.BuiltinDataset | specs.CustomDataset) -> Data:
        if isinstance(spec, specs.BuiltinDataset):
            ds = make_dataset(spec.name, spec.n_samples, spec.noise, spec.test_fraction, spec.seed)
            return cls._from(ds, spec.name, spec.model_dump())
        if not spec.x and not spec.test_x:  # an empty canvas to draw on
            d = spec.input_dim or 2
            source = spec.source.model_dump() if spec.source else None
            kind = spec.kind or CLASSIFICATION
            empty = np.empty((0, d)), np.empty((0, 1))
            return cls(spec.name or "custom", kind, *empty, *empty, source)
        first_row = (spec.x or spec.test_x or [[]])[0]
        if spec.input_dim is not None and len(first_row) != spec.input_dim:
            raise SpecError("dataset.input_dim", "must equal the width of x's rows")
        ds = custom_dataset(spec.x, spec.y, spec.test_x, spec.test_y)
        source = spec.source.model_dump() if spec.source else None
        data = cls._from(ds, spec.name or (spec.source.name if spec.source else "custom"), source)
        if spec.kind == REGRESSION and data.kind != REGRESSION:
            # Targets that happen to be 0/1 (the worked example's y = 0) are still numbers to fit.
            data.kind = REGRESSION
            data.y = np.asarray(spec.y, dtype=np.float64)
            if spec.test_y is not None:
                data.test_y = np.asarray(spec.test_y, dtype=np.float64)
        elif spec.kind is not None and spec.kind != data.kind:
            raise SpecError("dataset.kind", "classification needs every target to be 0 or 1")
        return data

    @classmethod
    def _from(cls, ds: Dataset, name: str, source: dict[str, Any] | None) -> Data:
        return cls(
            name, ds.kind, np.array(ds.x), np.array(ds.y), np.array(ds.test_x),
            np.array(ds.test_y), source,
        )  # fmt: skip

    @property
    def input_dim(self) -> int:
        return int(self.x.shape[1])

    @property
    def classification(self) -> bool:
        return self.kind != REGRESSION

    def split(self, split: str) -> tuple[Array, Array]:
        """(raw inputs, labels or targets) of the train or test set."""
        return (self.x, self.y) if split == "train" else (self.test_x, self.test_y)

    def add_point(
        self, x: list[float], y: list[float], split: str, max_samples: int, index: int | None = None
    ) -> None:
        """Append one point (raw input, label or target row) to a split, or insert it before
        point ``index`` (undo puts a removed point back where it was); the first point of
        an empty dataset sets the targets' width. Checked whole before anything changes."""
        xs, ys = self.split(split)
        if index is not None and not 0 <= index <= len(xs):
            raise SpecError(
                "index", f"{index} is out of range: insert at 0…{len(xs)} of the {split} set"
            )
        if len(self.x) + len(self.test_x) + 1 > max_samples:
            raise SpecError("x", f"the dataset already holds the limit of {max_samples} points")
        row_x = np.asarray([x], dtype=np.float64)
        row_y = np.asarray([y], dtype=np.float64)
        if row_x.shape[1] != self.input_dim:
            raise SpecError("x", f"needs {self.input_dim} values (the dataset's raw input)")
        if len(self.x) + len(self.test_x) == 0:
            self.y, self.test_y = np.empty((0, row_y.shape[1])), np.empty((0, row_y.shape[1]))
        if row_y.shape[1] != self.y.shape[1]:
            raise SpecError("y", f"needs {self.y.shape[1]} values, like the dataset's targets")
        if self.classification and not np.isin(row_y, (0.0, 1.0)).all():
            raise SpecError("y", "classification labels must be 0 or 1")
        xs, ys = self.split(split)
        at = len(xs) if index is None else index
        self._set(split, np.insert(xs, at, row_x, axis=0), np.insert(ys, at, row_y, axis=0))

    def remove_point(self, split: str, index: int) -> None:
        """Remove point ``index`` of a split. The last one may go too: an empty dataset is
        drawn on again, and Step, Play and the views say "add points first" until it is."""
        xs, ys = self.split(split)
        if not 0 <= index < len(xs):
            raise SpecError(
                "index", f"{index} is out of range: the {split} set has {len(xs)} points"
            )
        self._set(split, np.delete(xs, index, axis=0), np.delete(ys, index, axis=0))

    def _set(self, split: str, x: Array, y: Array) -> None:
        if split == "train":
            self.x, self.y = x, y
        else:
            self.test_x, self.test_y = x, y


MAX_STEP = 2**53 - 1  # the largest step number: exact in a float64 and in JavaScript

# What each optimiser remembers between updates (``app.engine.optimizers``).
OPTIMIZER_STATE: dict[str, set[str]] = {
    "sgd": set(),
    "momentum": {"velocity"},
    "adam": {"m", "v", "t"},
}


@dataclass
class Session:
    id: str
    network: Network
    init: str | None
    seed: int
    features: list[str] | None
    data: Data
    training: specs.TrainingSettings
    step: int = 0
    opt_state: State = field(default_factory=dict)
    batcher: Batcher = field(default_factory=Batcher)
    initial_params: Array | None = None  # for reset when weights were given explicitly
    metrics: Metrics | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    version: int = 0
    # Where the run was at snapshots taken since the last save (the store writes them beside θ).
    resume_points: dict[int, Resume] = field(default_factory=dict, repr=False)
    _inputs: dict[str, tuple[Array, Array]] = field(default_factory=dict, repr=False)
    # Boundary grids' network inputs by (resolution, plane): see ``remembered_grid``.
    _grids: dict[tuple[int, int, int], Any] = field(default_factory=dict, repr=False)

    # --- building --------------------------------------------------------------------------

    @classmethod
    def create(cls, session_id: str, req: specs.CreateSession) -> Session:
        spec = req.network
        data = Data.from_request(req.dataset)
        if spec.weights is not None:
            net = Network.from_arrays(
                spec.layers, spec.activations, spec.loss, spec.weights, spec.biases, spec.bias
            )
        else:
            if spec.biases is not None:
                raise SpecError("network.biases", "give biases together with weights")
            if spec.init is None:
                raise SpecError("network.init", "required when weights are not given")
            net = Network(spec.layers, spec.activations, spec.loss, spec.bias)
            initialize(net, spec.init, spec.seed)
        session = cls(
            session_id,
            net,
            # With explicit weights, reset restores them, unless this is an import (state
            # given), which keeps the original session's initialiser.
            spec.init if spec.weights is None or req.state is not None else None,
            spec.seed,
            list(spec.features) if spec.features is not None else None,
            data,
            req.training,
            batcher=Batcher(seed=spec.seed),
        )
        session.initial_params = net.params.copy()
        if req.state is not None:
            session._restore(req.state)
        session.inputs("train")  # validates features, widths and targets now, not mid-step
        session.inputs("test")
        session.check_domain("dataset.x")
        return session

    def _restore(self, state: specs.SessionState) -> None:
        self.step = state.step
        self.batcher = Batcher(self.seed, state.batch_epoch, state.batch_cursor)
        self.opt_state = self._checked_opt_state(state)
        if state.initial_weights is not None:
            initial = Network.from_arrays(
                self.network.layers, self.network.activation_names, self.network.loss_name,
                state.initial_weights, state.initial_biases, self.network.bias,
            )  # fmt: skip
            self.initial_params = initial.params.copy()

    def copy(self) -> Session:
        """An independent copy to edit, so the committed session that readers see is never
        changed in place (arrays replaced rather than written are shared)."""
        # (fields set one by one: Play copies its session every frame, and dataclasses.replace
        # ran __init__ over every field, 4% of a class's server samples under py-spy)
        b = self.batcher
        new = _shallow(self)
        new.network = self.network.copy()
        new.data = _shallow(self.data)
        new.opt_state = {k: v.copy() for k, v in self.opt_state.items()}
        new.batcher = Batcher(b.seed, b.epoch, b.cursor)
        new._inputs = dict(self._inputs)
        new._grids = dict(self._grids)
        return new

    def _checked_opt_state(self, state: specs.SessionState) -> dict[str, Array]:
        """The optimiser's memory as the session's optimiser keeps it, or SpecError naming the
        field: its own keys only, vectors of the parameter count, Adam's v ≥ 0 and its t a
        whole number of updates between 1 and the step (a wrong t made every step fail)."""
        name = self.training.optimizer
        keys = OPTIMIZER_STATE[name]
        loc = "state.optimizer_state"
        opt = {k: np.asarray(v, dtype=np.float64) for k, v in state.optimizer_state.items()}
        for key in opt:
            if key not in keys:
                allowed = ", ".join(sorted(keys)) or "nothing"
                raise SpecError(f"{loc}.{key}", f"is not state of {name} (it keeps {allowed})")
        if opt and set(opt) != keys:
            raise SpecError(loc, f"{name} needs all of {', '.join(sorted(keys))}, or none")
        for key, value in opt.items():
            if key != "t" and value.shape != self.network.params.shape:
                raise SpecError(f"{loc}.{key}", "length must equal the parameter count")
        if "v" in opt and (opt["v"] < 0).any():
            raise SpecError(f"{loc}.v", "Adam's second moments cannot be negative")
        if "t" in opt:
            t = opt["t"]
            if t.shape != (1,) or not 1 <= t[0] <= max(state.step, 1) or t[0] != int(t[0]):
                raise SpecError(
                    f"{loc}.t", f"must be one whole number of updates from 1 to {state.step}"
                )
        return opt

    # --- derived data ----------------------------------------------------------------------

    def inputs(self, split: str) -> tuple[Array, Array]:
        """(network inputs a^0 after features, targets) of a split; cached until data changes."""
        if split not in self._inputs:
            d = self.data
            x_raw, y_raw = (d.x, d.y) if split == "train" else (d.test_x, d.test_y)
            x = self.transform(x_raw, f"dataset.{'x' if split == 'train' else 'test_x'}")
            y = labels_to_targets(y_raw, self.network.layers[-1], d.kind)
            y = self.network.check_targets(y, f"dataset.{'y' if split == 'train' else 'test_y'}")
            if not np.isfinite(x).all():
                raise SpecError(
                    f"dataset.{'x' if split == 'train' else 'test_x'}",
                    "the features of these points are too large to be finite numbers",
                )
            self._inputs[split] = (x, y)
        return self._inputs[split]

    def transform(self, x_raw: Array, loc: str = "x") -> Array:
        """Raw inputs → the network's input a^0 (features applied), shape-checked."""
        x_raw = np.asarray(x_raw, dtype=np.float64)
        if x_raw.ndim != 2 or x_raw.shape[1] != self.data.input_dim:
            raise SpecError(loc, f"expected rows of {self.data.input_dim} raw input values")
        x = (
            x_raw
            if self.features is None
            else apply_features(x_raw, self.features, loc="network.features")
        )
        n0 = self.network.layers[0]
        if x.shape[1] != n0:
            what = (
                f"{len(self.features)} features" if self.features else f"{x.shape[1]} input columns"
            )
            raise SpecError("network.layers[0]", f"is {n0}, but the data gives {what}")
        return x

    def evaluation_set(self) -> tuple[Array, Array, int]:
        """Train and test rows stacked (x, y) and the train count: one forward scores both."""
        if "all" not in self._inputs:
            (x, y), (tx, ty) = self.inputs("train"), self.inputs("test")
            self._inputs["all"] = (np.vstack([x, tx]), np.vstack([y, ty]))
        x_all, y_all = self._inputs["all"]
        return x_all, y_all, len(self.data.x)

    def data_changed(self) -> None:
        self._inputs.clear()
        self._grids.clear()

    def remembered_grid(self, key: tuple[int, int, int], build: Callable[[], T]) -> T:
        """``build()``, kept under ``key`` until the data changes: a grid's inputs depend on
        the data's domain (and mean), and Play redraws the same grid 12 times a second."""
        if key not in self._grids:
            self._grids[key] = build()
        grid: T = self._grids[key]
        return grid

    def dead_neurons(self) -> list[list[int]]:
        """Per layer l = 1 … L, the neurons whose a^l is 0 on every training sample."""
        return self.network.dead_neurons(self.inputs("train")[0])

    def domain(self) -> list[list[float]]:
        """The input box drawn and gridded: the built-ins' square (also for data drawn on it,
        named "drawn", and for none), or the data's range padded."""
        pts = np.vstack([self.data.x, self.data.test_x])
        if self.data.source is not None or len(pts) == 0 or self.data.name == DRAWN:
            return [[-BOUND, BOUND]] * self.data.input_dim
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = np.maximum((hi - lo) * 0.1, 0.5)
        return [[float(a), float(b)] for a, b in zip(lo - pad, hi + pad, strict=True)]

    def check_domain(self, loc: str) -> None:
        """The drawn domain must be finite, or no view of the session could be sent."""
        with np.errstate(over="ignore", invalid="ignore"):
            box = self.domain()
        if not np.isfinite(box).all():
            raise SpecError(
                loc, "the points are spread too far apart: their range is not a finite number"
            )

    def targets_for(self, y: Array, loc: str = "y") -> Array:
        try:
            y = labels_to_targets(
                np.asarray(y, dtype=np.float64), self.network.layers[-1], self.data.kind
            )
        except SpecError as err:  # it names the dataset's field; these targets are ``loc``
            raise SpecError(loc, err.message) from None
        return self.network.check_targets(y, loc)

    # --- training --------------------------------------------------------------------------

    def optimizer(self) -> Optimizer:
        t = self.training
        options: dict[str, float] = {}
        if t.optimizer == "momentum":
            options = {"beta": t.momentum}
        elif t.optimizer == "adam":
            options = {"beta1": t.beta1, "beta2": t.beta2, "epsilon": t.epsilon}
        return make_optimizer(t.optimizer, t.learning_rate, **options)

    def regularization(self) -> Regularization:
        return Regularization(self.training.regularization, self.training.regularization_rate)

    def reset(self) -> None:
        if self.init is not None:
            initialize(self.network, self.init, self.seed)
        elif self.initial_params is not None:
            self.network.params[:] = self.initial_params
        self.step = 0
        self.opt_state = {}
        self.batcher = Batcher(seed=self.seed)
        self.metrics = None

    def check_steps_left(self, n: int, loc: str = "steps") -> None:
        """Step numbers are stored as 64-bit integers and read by JavaScript: at most 2⁵³ − 1."""
        if self.step + n > MAX_STEP:
            raise SpecError(
                loc,
                f"the session is at step {self.step}; {n} more would pass the largest step "
                f"number, {MAX_STEP} (2⁵³ − 1): export it to a new session with a smaller step",
            )

    def touch(self) -> None:
        self.updated_at = time.time()

    # --- edits -----------------------------------------------------------------------------

    def set_parameter(self, layer: int, kind: str, row: int, column: int, value: float) -> None:
        """Set one weight W^l[row][column] (``kind`` "weight") or bias b^l[row]."""
        net = self.network
        L = len(net.layers) - 1
        if layer > L:
            raise SpecError("layer", f"must be between 1 and {L}, got {layer}")
        n_out, n_in = net.layers[layer], net.layers[layer - 1]
        if row >= n_out:
            raise SpecError("row", f"layer {layer} has {n_out} neurons (rows 0…{n_out - 1})")
        if kind == "weight":
            if column >= n_in:
                raise SpecError(
                    "column", f"layer {layer - 1} has {n_in} neurons (columns 0…{n_in - 1})"
                )
            net.weights[layer - 1][row, column] = value
        else:
            if net.biases is None:
                raise SpecError("kind", "this network has no biases")
            net.biases[layer - 1][row] = value

    def update_training(self, changes: dict[str, Any]) -> None:
        """Change some training settings mid-run; a new optimiser starts with no memory."""
        if changes.get("optimizer", self.training.optimizer) != self.training.optimizer:
            self.opt_state = {}  # another optimiser's memory means nothing to this one
        self.training = self.training.model_copy(update=changes)

    def add_point(
        self, x: list[float], y: list[float], split: str, max_samples: int, index: int | None = None
    ) -> None:
        self.data.add_point(x, y, split, max_samples, index)
        self.data_changed()
        self.inputs(split)  # validate before saving
        self.check_domain("x")

    def remove_point(self, split: str, index: int) -> None:
        self.data.remove_point(split, index)
        self.data_changed()

    def _check_history_steps(self, loc: str, steps: list[int]) -> None:
        """History steps rise and none is past the session's own step."""
        for i, step in enumerate(steps):
            if step > self.step:
                raise SpecError(
                    f"{loc}[{i}]", f"step {step} is past the session's step {self.step}"
                )
            if i and step <= steps[i - 1]:
                raise SpecError(f"{loc}[{i}]", "steps must rise, each listed once")

    def restore_history(
        self, history: specs.History
    ) -> tuple[list[Metrics], list[tuple[int, Array]]]:
        """An export's metrics columns and weight snapshots, checked against this network;
        the latest record becomes the session's."""
        cols = history.metrics
        n = len(cols.step)
        for name in METRICS_FIELDS[1:]:
            if len(getattr(cols, name)) != n:
                raise SpecError(f"history.metrics.{name}", f"must have {n} entries, like step")
        self._check_history_steps("history.metrics.step", cols.step)
        self._check_history_steps("history.snapshots", [snap.step for snap in history.snapshots])
        layers = len(self.network.layers) - 1
        for name in ("delta_norms", "grad_norms"):
            for i, norms in enumerate(getattr(cols, name)):
                if len(norms) != layers:
                    raise SpecError(
                        f"history.metrics.{name}[{i}]", f"must have {layers} values, one a layer"
                    )
        columns = [getattr(cols, name) for name in METRICS_FIELDS]
        metrics = [Metrics(*row) for row in zip(*columns, strict=True)]
        net = self.network
        snapshots = []
        for i, snap in enumerate(history.snapshots):
            try:
                restored = Network.from_arrays(net.layers, net.activation_names, net.loss_name,
                                               snap.weights, snap.biases, net.bias)  # fmt: skip
            except SpecError as err:
                raise SpecError(f"history.snapshots[{i}].{err.loc}", err.message) from None
            snapshots.append((snap.step, restored.params.copy()))
        if metrics:
            self.metrics = metrics[-1]
        return metrics, snapshots


def _shallow(obj: T) -> T:
    """A shallow copy of a plain instance (its attribute dict copied, no __init__)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new
