"""The use cases the API offers on a session: choose samples, forward, backward, step,
boundary, gradient check, path sums.

One job: run the engine on a Session for one API call and return the result as plain
data (numpy arrays, engine dataclasses, small dicts); JSON views of those results are
the API's (``app.api.views``), and which snapshots a run keeps is ``retention``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, TypedDict

import numpy as np

from app.engine.activations import Array, IndexArray
from app.engine.errors import SpecError
from app.engine.gradcheck import gradient_check
from app.engine.kernel import Trainer, finite
from app.engine.network import Trace
from app.engine.paths import cost_by_depth, sum_over_paths
from app.engine.recording import EvaluationSet, train_recorded
from app.engine.training import Metrics, evaluate
from app.sessions import specs
from app.sessions.resume import Resume
from app.sessions.retention import DENSE_SNAPSHOTS, snapshot_due
from app.sessions.session import Session
from app.settings import Limits

Json = dict[str, Any]


# --- creating ------------------------------------------------------------------------------


MIN_TRAIN_POINTS = 1  # the worked example trains on its one point


def too_few_points(s: Session) -> str | None:
    """Why the session cannot train yet (a sentence for the learner), or None."""
    n = len(s.data.x)
    if n >= MIN_TRAIN_POINTS:
        return None
    return f"add at least {MIN_TRAIN_POINTS} training point to train (the training set is empty)"


def create_session(
    session_id: str, req: specs.CreateSession
) -> tuple[Session, list[Metrics], list[tuple[int, Array]] | None]:
    """A new session with its first metrics, or an export restored with its history;
    returns (session, metrics, snapshots or None for "the current weights")."""
    session = Session.create(session_id, req)
    if req.history is None:
        if session.step or len(session.data.x) == 0:  # nothing to record yet
            return session, [], None
        return session, initial_metrics(session), None
    metrics, snapshots = session.restore_history(req.history)
    return session, metrics, snapshots


# --- choosing samples ----------------------------------------------------------------------


def select(
    s: Session, sel: specs.SampleSelection, need_targets: bool, limits: Limits
) -> tuple[Array, Array, Array | None, list[int] | None]:
    """(raw x, network input x, targets or None, indices or None) for a selection."""
    if sel.x is not None:
        if sel.indices is not None:
            raise SpecError("indices", "give either indices or x, not both")
        x_raw = np.asarray(sel.x, dtype=np.float64)
        _check_batch(len(x_raw), "x", limits)
        x = s.transform(x_raw, "x")
        if sel.y is None:
            if need_targets:
                raise SpecError("y", "targets are needed with explicit x")
            return x_raw, x, None, None
        y = s.targets_for(np.asarray(sel.y, dtype=np.float64), "y")
        if len(y) != len(x):
            raise SpecError("y", f"has {len(y)} rows but x has {len(x)}")
        return x_raw, x, y, None
    if sel.y is not None:
        raise SpecError("y", "targets go with explicit x; for dataset rows give indices")
    indices = sel.indices if sel.indices is not None else [0]
    _check_batch(len(indices), "indices", limits)
    x_all, y_all = s.inputs(sel.split)
    raw_all = s.data.x if sel.split == "train" else s.data.test_x
    if len(x_all) == 0:
        loc = "dataset.x" if sel.split == "train" else "dataset.test_x"
        raise SpecError(loc, empty_split(sel.split))
    for i, index in enumerate(indices):
        if index >= len(x_all):
            raise SpecError(
                f"indices[{i}]",
                f"{index} is out of range: the {sel.split} set has {len(x_all)} points",
            )
    idx = np.asarray(indices, dtype=np.intp)
    return raw_all[idx], x_all[idx], y_all[idx], list(indices)


def _check_batch(n: int, loc: str, limits: Limits) -> None:
    if n < 1:
        raise SpecError(loc, "select at least one sample")
    if n > limits.max_batch:
        raise SpecError(loc, f"{n} samples is more than the limit of {limits.max_batch}")


def empty_split(split: str) -> str:
    """Why nothing of an empty split can be shown: the learner adds points first."""
    return f"the {split} set is empty: add points first (click the data plot)"


def next_batch_indices(s: Session, peek: bool) -> IndexArray:
    n = len(s.inputs("train")[0])
    if n == 0:
        raise SpecError("dataset.x", empty_split("train"))
    batcher = s.batcher
    if peek:
        batcher = type(batcher)(batcher.seed, batcher.epoch, batcher.cursor)
    return batcher.next_indices(n, s.training.batch_size)


# --- forward, backward, step ---------------------------------------------------------------


def forward(s: Session, sel: specs.SampleSelection, limits: Limits) -> Json:
    x_raw, x, _, indices = select(s, sel, need_targets=False, limits=limits)
    fwd = s.network.forward(x)
    return {
        "indices": indices, "x_raw": x_raw, "x": x, "output": fwd.output,
        "layers": [{"z": z, "a": a} for z, a in zip(fwd.zs, fwd.activations, strict=True)],
    }  # fmt: skip


@dataclass
class Backward:
    """A backward pass at the session's current weights, and the update it proposes."""

    trace: Trace
    step: int  # the session's step: the weights this pass used
    indices: list[int] | None
    x_raw: Array
    update: Json  # ΔW, Δb as ``proposed_update`` gives them


def backward(s: Session, sel: specs.SampleSelection, limits: Limits) -> Backward:
    if sel.indices is None and sel.x is None:
        idx = next_batch_indices(s, peek=True)
        x_all, y_all = s.inputs("train")
        x_raw, x, y, indices = s.data.x[idx], x_all[idx], y_all[idx], idx.tolist()
    else:
        x_raw, x, y_opt, indices = select(s, sel, need_targets=True, limits=limits)
        assert y_opt is not None
        y = y_opt
    trace = s.network.backward(x, y)
    update = None
    if sel.indices is None and sel.x is None:  # what the next step applies, bit for bit
        preview = trainer(s).preview(s.batcher, s.opt_state)
        if preview is not None:
            trace.grad[:] = preview.last_grad  # the kernel's ∂C/∂θ: numpy's to about 1e−15
            dw, db = s.network.views(preview.last_delta)
            update = {"weights": dw, "biases": db}
    return Backward(trace, s.step, indices, x_raw, update or proposed_update(s, trace))


def trainer(s: Session) -> Trainer:
    """The training kernel on the session's network, data and settings."""
    x, y = s.inputs("train")
    return Trainer(s.network, s.optimizer(), x, y, s.training.batch_size, s.regularization())


def proposed_update(s: Session, trace: Trace) -> Json:
    """ΔW, Δb the session's optimiser would apply for this batch, from its current state
    and with regularisation, without applying anything (the inspector's "next update")."""
    net = s.network
    grad = trace.grad
    reg = s.regularization().gradient(net.params, net.weight_mask)
    if reg is not None:
        grad = grad + reg
    delta, _ = s.optimizer().propose(grad, s.opt_state)
    dw, db = net.views(delta)
    return {"weights": dw, "biases": db}


def initial_metrics(s: Session) -> list[Metrics]:
    """The step-0 record, so charts start from the untrained loss (the worked example's C = 8);
    the norms are of the first minibatch's gradient. None if weights given by hand overflow."""
    x_all, y_all = s.inputs("train")
    if len(x_all) == 0:  # an empty canvas: no loss to show yet
        s.metrics = None
        return []
    idx = next_batch_indices(s, peek=True)
    x_eval, y_eval, n_train = s.evaluation_set()
    with np.errstate(all="ignore"):
        trace = s.network.backward(x_all[idx], y_all[idx])
        m = evaluate(s.network, s.step, trace, x_eval, y_eval, n_train, s.data.classification)
        preview = trainer(s).preview(s.batcher, s.opt_state)
    if preview is not None:  # the norms the first step will record, bit for bit
        deltas, grads = preview.norms()
        m = replace(m, delta_norms=deltas, grad_norms=grads)
    if not finite(m):
        s.metrics = None
        return []
    s.metrics = m
    return [m]


def diverged_message(s: Session, step: int) -> str:
    return (
        f"training diverged at step {step}: the update would make parameters or the loss "
        f"non-finite, so it was not applied; try a smaller learning rate than "
        f"{s.training.learning_rate:g}"
    )


class Steps(TypedDict):
    """What a step call did. ``indices``, ``delta`` and ``trace`` describe the update of a
    one-step call (None otherwise, and ``trace`` None unless asked for)."""

    requested: int
    step: int
    applied_steps: int
    diverged: bool
    message: str | None
    indices: IndexArray | None
    delta: Array | None  # Δθ in the parameters' layout
    trace: Trace | None


def run_steps(
    s: Session, n: int, with_trace: bool, stop: Callable[[], bool] | None = None
) -> tuple[Steps, list[Metrics], list[tuple[int, Array]]]:
    """N minibatch updates by the training kernel; returns (what was done, new metrics,
    snapshots to store). Metrics records at the steps ``app.engine.recording`` schedules
    (every one of the first DENSE_SNAPSHOTS, then every E, and the last); snapshots at
    those that ``snapshot_due``."""
    s.check_steps_left(n)
    x_all, y_all = s.inputs("train")
    if (why := too_few_points(s)) is not None:
        raise SpecError("dataset.x", why)
    x_eval, y_eval, n_train = s.evaluation_set()
    net = s.network
    train = trainer(s)
    idx = trace = None
    if n == 1:  # the taught step: its minibatch and, if asked, its trace before the update
        idx = next_batch_indices(s, peek=True)
        trace = net.backward(x_all[idx], y_all[idx]) if with_trace and train.compiled else None
    data = EvaluationSet(x_eval, y_eval, n_train, s.data.classification)
    # ``stop`` (the client went away) ends the run at a record: a consistent state to save.
    run = train_recorded(train, s.batcher, s.opt_state, s.step, n, data, DENSE_SNAPSHOTS, stop)
    s.opt_state, s.step = run.state, s.step + run.applied
    if run.metrics:
        s.metrics = run.metrics[-1]
    last_of_many = n > 1
    snapshots = []
    for (step, params), (state, epoch, cursor) in zip(run.params, run.positions, strict=True):
        if snapshot_due(step, last_of_many and step == s.step):
            snapshots.append((step, params))
            s.resume_points[step] = Resume.of(epoch, cursor, state)
    done = Steps(
        requested=n, step=s.step, applied_steps=run.applied, diverged=run.refused,
        message=diverged_message(s, s.step + 1) if run.refused else None,
        indices=None, delta=None, trace=None,
    )  # fmt: skip
    if n == 1 and run.applied:
        done["indices"], done["delta"] = idx, train.last_delta
        if with_trace:
            if trace is None:  # the BLAS path: the reference's own trace
                trace = train.last_trace
            else:  # the gradient applied (numpy's to about 1e−15), so ΔW = −η ∂C/∂W exactly
                trace.grad[:] = train.last_grad
            done["trace"] = trace
    return done, run.metrics, snapshots


# --- pictures and checks -------------------------------------------------------------------


def check_plane(plane: tuple[int, int], input_dim: int) -> None:
    """Two different features of the raw input, each below ``input_dim``."""
    for axis, feature in zip(("plane_x", "plane_y"), plane, strict=True):
        if not 0 <= feature < input_dim:
            raise SpecError(
                axis, f"feature {feature} is out of range: the inputs have {input_dim} features "
                f"(0…{input_dim - 1})",
            )  # fmt: skip
    if plane[0] == plane[1]:
        raise SpecError("plane_y", "choose a feature other than the horizontal one")


def held_values(s: Session) -> Array:
    """The raw input the plane's other features are held at: the training mean (or the
    test set's, or 0, when there is less data)."""
    for pts in (s.data.x, s.data.test_x):
        if len(pts):
            return np.asarray(pts.mean(axis=0), dtype=np.float64)
    return np.zeros(s.data.input_dim)


def grid_inputs(s: Session, resolution: int, fx: int, fy: int) -> tuple[Array, list[Any], Json]:
    """(network inputs of the grid's points, the box it spans, the plane's fields) for
    ``boundary``; with more than two raw features the others are held at the mean."""
    box = s.domain()
    d = s.data.input_dim
    extra: Json = {}
    if d >= 2:
        xs = np.linspace(box[fx][0], box[fx][1], resolution)
        ys = np.linspace(box[fy][1], box[fy][0], resolution)  # top row is the largest value
        gx, gy = np.meshgrid(xs, ys)
        held = held_values(s)
        grid = np.tile(held, (resolution * resolution, 1))
        grid[:, fx], grid[:, fy] = gx.ravel(), gy.ravel()
        box = [box[fx], box[fy]]
        if d > 2:
            extra = {"plane": [fx, fy], "held": held.tolist()}
    else:
        grid = np.linspace(box[0][0], box[0][1], resolution)[:, None]
    x = s.transform(grid, "grid")
    x.flags.writeable = False  # shared by every boundary of this data
    return x, box, extra


def boundary(
    s: Session,
    resolution: int,
    neurons: bool,
    plane: tuple[int, int] = (0, 1),
    arrays: Callable[[Array], Array] = np.ascontiguousarray,
) -> Json:
    """Output (and each neuron) over a grid of the input domain. With more than two raw
    features the grid spans features ``plane`` and holds the others at the training mean.
    Each array is made by ``arrays`` from its (possibly transposed) view: contiguous float64
    here, float32 for a Play frame (``play.boundary_arrays``)."""
    d = s.data.input_dim
    fx, fy = plane if d > 2 else (0, 1)
    if d >= 2:
        check_plane((fx, fy), d)
    x, box, extra = s.remembered_grid(
        (resolution, fx, fy), lambda: grid_inputs(s, resolution, fx, fy)
    )
    fwd = s.network.forward(x)
    out = fwd.output
    output = (
        out[:, 1]
        if out.shape[1] == 2 and s.network.activation_names[-1] == "softmax"
        else out[:, 0]
    )
    answer: Json = {"dims": min(d, 2), "resolution": resolution, "domain": box,
                    "output": arrays(output), **extra}  # fmt: skip
    if neurons:
        answer["inputs"] = arrays(x.T)
        answer["neurons"] = [arrays(a.T) for a in fwd.activations]
    return answer


def gradcheck(
    s: Session, sel: specs.SampleSelection, drop_derivative_layer: int | None, limits: Limits
) -> Json:
    """Backprop's gradient beside central differences, optionally with σ_l' left out."""
    if s.network.n_params > limits.max_gradcheck_params:
        raise SpecError(
            "network",
            f"{s.network.n_params} parameters is more than the gradient-check limit of "
            f"{limits.max_gradcheck_params}; use a smaller network",
        )
    L = len(s.network.layers) - 1
    if drop_derivative_layer is not None and drop_derivative_layer > L:
        raise SpecError("drop_derivative_layer", f"must be a layer between 1 and {L}")
    _, x, y, indices = select(s, sel, need_targets=True, limits=limits)
    assert y is not None
    check = gradient_check(s.network, x, y, drop_derivative_layer=drop_derivative_layer)
    return {
        "indices": indices,
        "passed": check.passed,
        "max_relative_error": check.max_relative_error,
        "step": check.step,
        "threshold": check.threshold,
        "gradient_scale": check.gradient_scale,
        "counts": {v: check.count(v) for v in ("pass", "fail", "kink")},
        "drop_derivative_layer": drop_derivative_layer,
        "layers": [
            {**{k: v for k, v in asdict(layer).items() if k != "parameters"},
             "passed": layer.passed,
             # each row is one parameter's own numbers, so a table cannot mix two of them
             "parameters": [{"name": p.name, **asdict(p)} for p in layer.parameters]}
            for layer in check.layers
        ],
    }  # fmt: skip


def paths(
    s: Session,
    layer: int,
    row: int,
    column: int,
    index: int,
    split: specs.Split,
    limits: Limits,
) -> Json:
    """∂C/∂W^l[row][column] for sample ``index`` summed over every path, beside δ's."""
    n = len(s.inputs(split)[0])
    if n == 0:
        raise SpecError("index", empty_split(split))
    if index >= n:  # checked here so the answer names ``index``, not select's ``indices``
        raise SpecError("index", f"{index} is out of range: the {split} set has {n} points")
    sel = specs.SampleSelection(indices=[index], split=split, x=None, y=None)
    _, x, y, _ = select(s, sel, need_targets=True, limits=limits)
    assert y is not None
    result = sum_over_paths(s.network, x, y, layer, row, column, max_paths=limits.max_paths)
    widths = s.network.layers
    hidden = max(widths[1:-1], default=widths[-1])
    return {
        **asdict(result),
        "index": index,
        "cost_by_depth": cost_by_depth(hidden, widths[0], widths[-1], max_depth=12),
    }
