"""What the API computes on a session, as plain dicts of numpy arrays.

Each function takes a Session (and validated request values), calls the
engine, and returns the answer's shape; ``app.api.serialize`` turns it into
JSON bytes without a detour through Python lists.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import numpy as np

from app.api import schemas
from app.engine.activations import Array, IndexArray
from app.engine.datasets import BOUND
from app.engine.errors import SpecError
from app.engine.gradcheck import gradient_check
from app.engine.kernel import Trainer, finite
from app.engine.network import Network, Trace
from app.engine.paths import cost_by_depth, sum_over_paths
from app.engine.recording import EvaluationSet, train_recorded
from app.engine.training import Metrics, evaluate
from app.sessions.session import Session
from app.sessions.store import DENSE_SNAPSHOTS
from app.settings import Limits

SNAPSHOT_EVERY = 10  # after the dense start; the store thins old ones to stay bounded

Json = dict[str, Any]


# --- views of a session --------------------------------------------------------------------


def network_view(net: Network, params: Array | None = None) -> Json:
    weights, biases = net.views(net.params if params is None else params)
    return {
        "layers": net.layers,
        "activations": net.activation_names,
        "loss": net.loss_name,
        "bias": net.bias,
        "weights": weights,
        "biases": biases,
    }


def session_view(s: Session) -> Json:
    d = s.data
    y, test_y = s.inputs("train")[1], s.inputs("test")[1]
    return {
        "id": s.id,
        "step": s.step,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "network": {**network_view(s.network), "init": s.init, "seed": s.seed,
                    "features": s.features},
        "dataset": {
            "name": d.name, "kind": d.kind, "input_dim": d.input_dim,
            "n_train": len(d.x), "n_test": len(d.test_x), "source": d.source,
            "domain": domain(s), "x": d.x, "y": y, "test_x": d.test_x, "test_y": test_y,
            "labels": d.y if d.classification else None,
            "test_labels": d.test_y if d.classification else None,
        },
        "training": s.training.model_dump(),
        "metrics": asdict(s.metrics) if s.metrics else None,
        "dead": dead_view(s),
    }  # fmt: skip


def dead_view(s: Session) -> Json:
    """Neurons whose a is 0 on every training sample, per layer, at this step."""
    return {"step": s.step, "layers": s.network.dead_neurons(s.inputs("train")[0])}


def trace_view(trace: Trace) -> Json:
    return {
        "loss": trace.loss,
        "sample_losses": trace.sample_losses,
        "x": trace.x,
        "layers": [
            {"z": t.z, "a": t.a, "delta": t.delta, "grad_weights": t.grad_weights,
             "grad_biases": t.grad_biases}
            for t in trace.layers
        ],
    }  # fmt: skip


def domain(s: Session) -> list[list[float]]:
    """The input box drawn and gridded: the built-ins' square, or the data's range padded."""
    if s.data.source is not None:
        return [[-BOUND, BOUND]] * s.data.input_dim
    pts = np.vstack([s.data.x, s.data.test_x])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = np.maximum((hi - lo) * 0.1, 0.5)
    return [[float(a), float(b)] for a, b in zip(lo - pad, hi + pad, strict=True)]


# --- choosing samples ----------------------------------------------------------------------


def select(
    s: Session, sel: schemas.SampleSelection, need_targets: bool, limits: Limits
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


def next_batch_indices(s: Session, peek: bool) -> IndexArray:
    n = len(s.inputs("train")[0])
    if n == 0:
        raise SpecError("dataset.x", "the training set is empty")
    batcher = s.batcher
    if peek:
        batcher = type(batcher)(batcher.seed, batcher.epoch, batcher.cursor)
    return batcher.next_indices(n, s.training.batch_size)


# --- forward, backward, step ---------------------------------------------------------------


def forward(s: Session, sel: schemas.SampleSelection, limits: Limits) -> Json:
    x_raw, x, _, indices = select(s, sel, need_targets=False, limits=limits)
    fwd = s.network.forward(x)
    return {
        "indices": indices, "x_raw": x_raw, "x": x, "output": fwd.output,
        "layers": [{"z": z, "a": a} for z, a in zip(fwd.zs, fwd.activations, strict=True)],
    }  # fmt: skip


def backward(s: Session, sel: schemas.SampleSelection, limits: Limits) -> Json:
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
    return {**trace_view(trace), "step": s.step, "indices": indices, "x_raw": x_raw,
            "update": update or proposed_update(s, trace)}  # fmt: skip


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


def run_steps(
    s: Session, n: int, with_trace: bool
) -> tuple[Json, list[Metrics], list[tuple[int, Array]]]:
    """N minibatch updates by the training kernel; returns (answer, new metrics, snapshots
    to store). Metrics records at the steps ``app.engine.recording`` schedules (every one
    of the first DENSE_SNAPSHOTS, then every E and the last), a snapshot with those at
    multiples of SNAPSHOT_EVERY and the last."""
    x_all, y_all = s.inputs("train")
    if len(x_all) == 0:
        raise SpecError("dataset.x", "the training set is empty")
    x_eval, y_eval, n_train = s.evaluation_set()
    net = s.network
    train = trainer(s)
    if n == 1:  # the taught step: its minibatch and, if asked, its trace before the update
        idx = next_batch_indices(s, peek=True)
        trace = net.backward(x_all[idx], y_all[idx]) if with_trace and train.compiled else None
    data = EvaluationSet(x_eval, y_eval, n_train, s.data.classification)
    done = train_recorded(train, s.batcher, s.opt_state, s.step, n, data, DENSE_SNAPSHOTS)
    s.opt_state, s.step = done.state, s.step + done.applied
    if done.metrics:
        s.metrics = done.metrics[-1]
    snapshots = [
        (step, params)
        for step, params in done.params
        if step <= DENSE_SNAPSHOTS or step % SNAPSHOT_EVERY == 0 or (n > 1 and step == s.step)
    ]
    answer: Json = {
        "step": s.step,
        "applied_steps": done.applied,
        "diverged": done.refused,
        "message": diverged_message(s, s.step + 1) if done.refused else None,
        "metrics": asdict(s.metrics) if s.metrics else None,
        "network": network_view(net),
        "dead": dead_view(s),
    }
    if n > 1:
        answer["history"] = metrics_columns([asdict(m) for m in done.metrics])
    elif done.applied:
        dw, db = net.views(train.last_delta)
        answer.update({"indices": idx, "update": {"weights": dw, "biases": db}})
        if with_trace:
            if trace is None:  # the BLAS path: the reference's own trace
                assert train.last_trace is not None
                trace = train.last_trace
            else:  # the gradient applied (numpy's to about 1e−15), so ΔW = −η ∂C/∂W exactly
                trace.grad[:] = train.last_grad
            answer["trace"] = trace_view(trace)
    return answer, done.metrics, snapshots


def metrics_columns(rows: list[Json]) -> Json:
    keys = ("step", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
            "delta_norms", "grad_norms")  # fmt: skip
    return {key: [row[key] for row in rows] for key in keys}


# --- pictures and checks -------------------------------------------------------------------


def boundary(s: Session, resolution: int, neurons: bool) -> Json:
    """Output (and each neuron) over a grid of the input domain."""
    box = domain(s)
    if s.data.input_dim == 2:
        xs = np.linspace(box[0][0], box[0][1], resolution)
        ys = np.linspace(box[1][1], box[1][0], resolution)  # top row is the largest x₂
        gx, gy = np.meshgrid(xs, ys)
        grid = np.column_stack([gx.ravel(), gy.ravel()])
    elif s.data.input_dim == 1:
        grid = np.linspace(box[0][0], box[0][1], resolution)[:, None]
    else:
        raise SpecError("dataset.x", "a boundary needs 1-D or 2-D inputs")
    x = s.transform(grid, "grid")
    fwd = s.network.forward(x)
    out = fwd.output
    output = (
        out[:, 1]
        if out.shape[1] == 2 and s.network.activation_names[-1] == "softmax"
        else out[:, 0]
    )
    answer: Json = {"dims": s.data.input_dim, "resolution": resolution, "domain": box,
                    "output": np.ascontiguousarray(output)}  # fmt: skip
    if neurons:
        answer["inputs"] = np.ascontiguousarray(x.T)
        answer["neurons"] = [np.ascontiguousarray(a.T) for a in fwd.activations]
    return answer


def gradcheck(s: Session, req: schemas.GradcheckRequest, limits: Limits) -> Json:
    if s.network.n_params > limits.max_gradcheck_params:
        raise SpecError(
            "network",
            f"{s.network.n_params} parameters is more than the gradient-check limit of "
            f"{limits.max_gradcheck_params}; use a smaller network",
        )
    L = len(s.network.layers) - 1
    if req.drop_derivative_layer is not None and req.drop_derivative_layer > L:
        raise SpecError("drop_derivative_layer", f"must be a layer between 1 and {L}")
    _, x, y, indices = select(s, req, need_targets=True, limits=limits)
    assert y is not None
    check = gradient_check(s.network, x, y, drop_derivative_layer=req.drop_derivative_layer)
    return {
        "indices": indices,
        "passed": check.passed,
        "max_relative_error": check.max_relative_error,
        "step": check.step,
        "threshold": check.threshold,
        "gradient_scale": check.gradient_scale,
        "counts": {v: check.count(v) for v in ("pass", "fail", "kink")},
        "drop_derivative_layer": req.drop_derivative_layer,
        "layers": [
            {**{k: v for k, v in asdict(layer).items() if k != "parameters"},
             "passed": layer.passed,
             # each row is one parameter's own numbers, so a table cannot mix two of them
             "parameters": [{"name": p.name, **asdict(p)} for p in layer.parameters]}
            for layer in check.layers
        ],
    }  # fmt: skip


def paths(s: Session, req: schemas.PathsRequest, limits: Limits) -> Json:
    n = len(s.inputs(req.split)[0])
    if req.index >= n:  # checked here so the answer names ``index``, not select's ``indices``
        raise SpecError("index", f"{req.index} is out of range: the {req.split} set has {n} points")
    sel = schemas.SampleSelection(indices=[req.index], split=req.split, x=None, y=None)
    _, x, y, _ = select(s, sel, need_targets=True, limits=limits)
    assert y is not None
    result = sum_over_paths(
        s.network, x, y, req.layer, req.row, req.column, max_paths=limits.max_paths
    )
    widths = s.network.layers
    hidden = max(widths[1:-1], default=widths[-1])
    return {
        **asdict(result),
        "index": req.index,
        "cost_by_depth": cost_by_depth(hidden, widths[0], widths[-1], max_depth=12),
    }


def export(s: Session, metric_rows: list[Json], snapshots: list[tuple[int, Array]]) -> Json:
    """A create request that reproduces the session exactly."""
    net = s.network
    initial = network_view(net, s.initial_params) if s.initial_params is not None else None
    d = s.data
    return {
        "network": {**network_view(net), "init": s.init, "seed": s.seed, "features": s.features},
        "dataset": {"x": d.x, "y": d.y,
                    "test_x": d.test_x if len(d.test_x) else None,
                    "test_y": d.test_y if len(d.test_y) else None,
                    "name": d.name, "source": d.source, "kind": d.kind},
        "training": s.training.model_dump(),
        "state": {
            "step": s.step,
            "optimizer_state": s.opt_state,
            "batch_epoch": s.batcher.epoch,
            "batch_cursor": s.batcher.cursor,
            "initial_weights": initial["weights"] if initial else None,
            "initial_biases": initial["biases"] if initial else None,
        },
        "history": {
            "metrics": metrics_columns(metric_rows),
            "snapshots": [
                {"step": step, **{k: v for k, v in network_view(net, p).items()
                                  if k in ("weights", "biases")}}
                for step, p in snapshots
            ],
        },
    }  # fmt: skip
