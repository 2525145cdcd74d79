"""Plain-text tables of a trace and of metrics, for the terminal."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from app.client import Backward, Metrics, Network


def num(v: float) -> str:
    return "—" if math.isnan(v) else f"{v:.7g}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: Sequence[str]) -> str:
        return indent + "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(head), *(line(r) for r in rows)]


def matrix(name: str, m: np.ndarray, rows: str = "j", columns: str = "k") -> list[str]:
    """``name`` (n × m) with its rows and columns numbered."""
    m = np.atleast_2d(m)
    head = [f"{name} ({m.shape[0]} × {m.shape[1]})"] + [f"{columns}={k}" for k in range(m.shape[1])]
    return _table(head, [[f"{rows}={j}", *(num(float(v)) for v in row)] for j, row in enumerate(m)])


def trace(t: Backward, network: Network) -> str:
    """Per layer: z^l, a^l, δ^l for each sample, then ∂C/∂W^l and ∂C/∂b^l."""
    samples = t.indices if t.indices is not None else list(range(len(t.x)))
    out = [
        f"C = {num(t.loss)}, the mean over {len(samples)} sample(s) "
        f"(rows {', '.join(map(str, samples))}) at step {t.step}",
        "",
        "layer 0 (input): a^0 = x",
    ]
    out += _table(
        ["sample", *(f"a^0_{k}" for k in range(t.x.shape[1]))],
        [[str(b), *(num(float(v)) for v in row)] for b, row in zip(samples, t.x, strict=True)],
    )
    for l, layer in enumerate(t.layers, start=1):
        out += ["", f"layer {l}: n_{l} = {layer.z.shape[1]}, σ_{l} = {network.activations[l - 1]}"]
        head, rows = ["sample", "j", f"z^{l}", f"a^{l}", f"δ^{l}"], []
        for i, b in enumerate(samples):
            for j in range(layer.z.shape[1]):
                rows.append(
                    [
                        str(b),
                        str(j),
                        num(float(layer.z[i, j])),
                        num(float(layer.a[i, j])),
                        num(float(layer.delta[i, j])),
                    ]
                )
        out += _table(head, rows)
        out += matrix(f"∇W^{l} = ∂C/∂W^{l}", layer.grad_weights)
        if layer.grad_biases is not None:
            out += _table(
                [f"∇b^{l} = ∂C/∂b^{l}", *(f"j={j}" for j in range(len(layer.grad_biases)))],
                [["", *(num(float(v)) for v in layer.grad_biases)]],
            )
    return "\n".join(out)


def metrics(m: Metrics) -> str:
    parts = [f"step {m.step}", f"train loss {num(m.train_loss)}"]
    for name, value in (
        ("test loss", m.test_loss),
        ("train accuracy", m.train_accuracy),
        ("test accuracy", m.test_accuracy),
    ):
        if not math.isnan(value):
            parts.append(f"{name} {num(value)}")
    return " · ".join(parts)


def weights(network: Network) -> str:
    out: list[str] = []
    for l, w in enumerate(network.weights, start=1):
        out += matrix(f"W^{l}", w)
        if network.biases is not None:
            out += _table(
                [f"b^{l}", *(f"j={j}" for j in range(len(network.biases[l - 1])))],
                [["", *(num(float(v)) for v in network.biases[l - 1])]],
            )
    return "\n".join(out)
