"""JSON views of the domain: a network, a session, a trace, a step call, metrics, an export.

One job: turn sessions and the use cases' results (``app.sessions.compute``) into the
answer shapes ``app.api.schemas`` documents, as plain dicts of numpy arrays that
``app.api.serialize`` writes as JSON bytes without a detour through Python lists.
"""

from __future__ import annotations

from dataclasses import asdict, fields

from app.api.serialize import dumps
from app.engine.activations import Array
from app.engine.network import Network, Trace
from app.engine.training import Metrics
from app.sessions.compute import Backward, Json, Steps
from app.sessions.session import Session

# The per-step record's fields, in order: the one list is the Metrics dataclass.
METRICS_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Metrics))


def parameters_view(net: Network, params: Array | None = None) -> Json:
    """W^l (n_l × n_{l−1}) and b^l for l = 1 … L, of ``params`` or the current weights."""
    weights, biases = net.views(net.params if params is None else params)
    return {"weights": weights, "biases": biases}


def network_view(net: Network, params: Array | None = None) -> Json:
    return {
        "layers": net.layers,
        "activations": net.activation_names,
        "loss": net.loss_name,
        "bias": net.bias,
        **parameters_view(net, params),
    }


def session_network_view(s: Session) -> Json:
    return {**network_view(s.network), "init": s.init, "seed": s.seed, "features": s.features}


def session_view(s: Session) -> Json:
    d = s.data
    y, test_y = s.inputs("train")[1], s.inputs("test")[1]
    return {
        "id": s.id,
        "step": s.step,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "network": session_network_view(s),
        "dataset": {
            "name": d.name, "kind": d.kind, "input_dim": d.input_dim,
            "n_train": len(d.x), "n_test": len(d.test_x), "source": d.source,
            "domain": s.domain(), "x": d.x, "y": y, "test_x": d.test_x, "test_y": test_y,
            "labels": d.y if d.classification else None,
            "test_labels": d.test_y if d.classification else None,
        },
        "training": s.training.model_dump(),
        "metrics": asdict(s.metrics) if s.metrics else None,
        "dead": dead_view(s),
    }  # fmt: skip


def dead_view(s: Session) -> Json:
    """Neurons whose a is 0 on every training sample, per layer, at this step."""
    return {"step": s.step, "layers": s.dead_neurons()}


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


def backward_view(b: Backward) -> Json:
    return {**trace_view(b.trace), "step": b.step, "indices": b.indices, "x_raw": b.x_raw,
            "update": b.update}  # fmt: skip


def steps_view(s: Session, steps: Steps, history: list[Metrics]) -> Json:
    """A step call's answer: one step adds its update (and trace), more add the history."""
    answer: Json = {
        "step": steps["step"],
        "applied_steps": steps["applied_steps"],
        "diverged": steps["diverged"],
        "message": steps["message"],
        "metrics": asdict(s.metrics) if s.metrics else None,
        "network": network_view(s.network),
        "dead": dead_view(s),
    }
    if steps["requested"] > 1:
        # by attribute, not asdict: its deep copy of each record cost more than the rest
        answer["history"] = {k: [getattr(m, k) for m in history] for k in METRICS_FIELDS}
    elif steps["delta"] is not None:  # a refused single step has no update to show
        answer["indices"] = steps["indices"]
        answer["update"] = parameters_view(s.network, steps["delta"])
        if steps["trace"] is not None:
            answer["trace"] = trace_view(steps["trace"])
    return answer


def metrics_columns(rows: list[Json]) -> Json:
    """Per-step records as columns, one list per Metrics field."""
    return {key: [row[key] for row in rows] for key in METRICS_FIELDS}


def snapshots_view(net: Network, snapshots: list[tuple[int, Array]]) -> list[Json]:
    return [{"step": step, **parameters_view(net, p)} for step, p in snapshots]


def export_view(s: Session, metric_rows: list[Json], snapshots: list[tuple[int, Array]]) -> Json:
    """A create request that reproduces the session exactly."""
    net = s.network
    initial = parameters_view(net, s.initial_params) if s.initial_params is not None else None
    d = s.data
    return {
        "network": session_network_view(s),
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
            "snapshots": snapshots_view(net, snapshots),
        },
    }  # fmt: skip


def export_body(
    s: Session, metric_rows: list[Json], snapshots: list[tuple[int, Array]], max_bytes: int
) -> bytes:
    """The export as JSON, with as many snapshots (evenly chosen, the first and last kept) as
    let it fit in ``max_bytes``, so every export the server gives can be imported back."""
    body = dumps(export_view(s, metric_rows, snapshots))
    if len(body) <= max_bytes or not snapshots:
        return body
    base = len(dumps(export_view(s, metric_rows, [])))
    each = len(dumps(snapshots_view(s.network, snapshots[-1:]))) + 1
    room = max((max_bytes - base) // each - 1, 0)
    if room >= 2:
        picks = sorted({round(k * (len(snapshots) - 1) / (room - 1)) for k in range(room)})
        kept = [snapshots[i] for i in picks]
    else:
        kept = snapshots[-room:] if room else []
    return dumps(export_view(s, metric_rows, kept))
