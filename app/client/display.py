"""How answers show themselves in Jupyter: SVG drawings and plain HTML/MathML (no scripts).

Each ``*_html`` function returns a self-contained HTML fragment for ``_repr_html_``:
the network as an SVG (neurons in columns l = 0 … L, W^l[j][k] as the edge from neuron
k of layer l−1 to neuron j of layer l, blue positive, orange negative, thicker larger),
the loss curve as an SVG, and the chain rule of one weight in MathML.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.client.models import Gradcheck, History, Network, Paths, Session, StepResult, Trace

POSITIVE, NEGATIVE, INK, MUTED = "#2563eb", "#ea580c", "#1f2937", "#6b7280"


def num(v: float) -> str:
    """A number as the page shows it: 4 significant digits, no ``e`` below 10⁻⁴ … 10⁵."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.4g}".replace("-", "−")


def _matrix(m: np.ndarray) -> str:
    rows = np.atleast_2d(m)
    body = "".join(
        "<tr>" + "".join(f"<td>{num(float(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    style = "display:inline-table;border-left:1px solid;border-right:1px solid"
    return f'<table style="{style}">{body}</table>'


# --- the network -----------------------------------------------------------------------------


def network_svg(
    widths: Sequence[int],
    edges: Sequence[np.ndarray] | None,
    edge_name: str,
    labels: dict[tuple[int, int], list[str]] | None = None,
) -> str:
    """Neurons as circles (``labels`` beside them), ``edges[l-1]`` (n_l × n_{l−1}) as lines
    named ``edge_name`` in their tooltip."""
    labels = labels or {}
    col, row, r = 150, 58, 13
    height = max(widths) * row + 30
    width = (len(widths) - 1) * col + 140

    def pos(l: int, j: int) -> tuple[float, float]:
        top = (height - widths[l] * row) / 2 + row / 2
        return 30 + l * col, top + j * row

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="10" role="img">'
    ]
    if edges is not None:
        scale = max((float(np.abs(m).max()) for m in edges if m.size), default=0.0) or 1.0
        for l in range(1, len(widths)):
            m = edges[l - 1]
            for j in range(widths[l]):
                for k in range(widths[l - 1]):
                    (x1, y1), (x2, y2) = pos(l - 1, k), pos(l, j)
                    v = float(m[j, k])
                    colour = POSITIVE if v >= 0 else NEGATIVE
                    stroke = 0.5 + 4.5 * abs(v) / scale
                    tip = f"{edge_name}^{l}[{j}][{k}] = {v!r}"
                    parts.append(
                        f'<line x1="{x1 + r}" y1="{y1}" x2="{x2 - r}" y2="{y2}" stroke="{colour}" '
                        f'stroke-width="{stroke:.2f}" data-edge="{l}:{j}:{k}">'
                        f"<title>{escape(tip)}</title></line>"
                    )
    for l, n in enumerate(widths):
        for j in range(n):
            x, y = pos(l, j)
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="{r}" fill="white" stroke="{INK}" '
                f'data-node="{l}:{j}"/>'
            )
            for i, text in enumerate(labels.get((l, j), [])):
                parts.append(
                    f'<text x="{x + r + 3}" y="{y - r + 4 + 11 * i}" fill="{INK}">'
                    f"{escape(text)}</text>"
                )
    for l in range(len(widths)):
        x, _ = pos(l, 0)
        parts.append(
            f'<text x="{x}" y="{height - 4}" text-anchor="middle" fill="{MUTED}">l = {l}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def network_html(net: Network) -> str:
    labels = {}
    if net.biases is not None:
        labels = {
            (l, j): [f"b = {num(float(b))}"]
            for l, bs in enumerate(net.biases, start=1)
            for j, b in enumerate(bs)
        }
    caption = (
        f"layers {net.layers}, σ = {', '.join(net.activations)}, loss {net.loss}; "
        "edges are W^l[j][k]"
    )
    svg = network_svg(net.layers, net.weights, "W", labels)
    return f"<div><div>{escape(caption)}</div>{svg}</div>"


def session_html(s: Session) -> str:
    m = s.metrics
    line = f"<b>session</b> <code>{escape(s.id)}</code> · step {s.step}"
    if m is not None:
        line += f" · train loss {num(m.train_loss)}"
        if not math.isnan(m.test_loss):
            line += f" · test loss {num(m.test_loss)}"
        if not math.isnan(m.train_accuracy):
            line += f" · train accuracy {num(m.train_accuracy)}"
    t = s.training
    data = (
        f"dataset {s.dataset.name} ({s.dataset.kind}, {len(s.dataset.x)} train, "
        f"{len(s.dataset.test_x)} test) · {t['optimizer']} η = {num(t['learning_rate'])}, "
        f"batch {t['batch_size']}"
    )
    return f"<div><div>{line}</div><div>{escape(data)}</div>{network_html(s.network)}</div>"


def trace_html(t: Trace, sample: int = 0) -> str:
    """The network with sample ``sample``'s z, a, δ at each neuron and ∂C/∂W on the edges,
    then each layer's numbers."""
    labels = {(0, k): [f"a = {num(float(v))}"] for k, v in enumerate(t.x[sample])}
    for l, layer in enumerate(t.layers, start=1):
        for j in range(layer.z.shape[1]):
            labels[(l, j)] = [
                f"z = {num(float(layer.z[sample, j]))}",
                f"a = {num(float(layer.a[sample, j]))}",
                f"δ = {num(float(layer.delta[sample, j]))}",
            ]
    svg = network_svg(t.widths, [layer.grad_weights for layer in t.layers], "∂C/∂W", labels)
    rows = []
    for l, layer in enumerate(t.layers, start=1):
        gb = "—" if layer.grad_biases is None else _matrix(layer.grad_biases)
        rows.append(
            f"<tr><td>{l}</td><td>{_matrix(layer.z)}</td><td>{_matrix(layer.a)}</td>"
            f"<td>{_matrix(layer.delta)}</td><td>{_matrix(layer.grad_weights)}</td>"
            f"<td>{gb}</td></tr>"
        )
    head = (
        "<tr><th>l</th><th>z^l (B × n_l)</th><th>a^l</th><th>δ^l</th>"
        "<th>∂C/∂W^l (n_l × n_{l−1})</th><th>∂C/∂b^l</th></tr>"
    )
    return (
        f"<div><div><b>trace</b> · C = {num(t.loss)} over {len(t.x)} sample(s); "
        f"the drawing shows sample {sample}</div>{svg}"
        f"<table>{head}{''.join(rows)}</table></div>"
    )


# --- the loss curve ----------------------------------------------------------------------------


def loss_curve_svg(steps: np.ndarray, series: dict[str, np.ndarray]) -> str:
    """Each named series against ``steps``, on shared linear axes."""
    w, h, left, bottom = 420, 220, 50, 30
    values = np.concatenate([v[np.isfinite(v)] for v in series.values()] or [np.zeros(1)])
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    lo = min(lo, 0.0)
    hi = hi if hi > lo else lo + 1.0
    s0, s1 = (float(steps.min()), float(steps.max())) if steps.size else (0.0, 1.0)
    s1 = s1 if s1 > s0 else s0 + 1.0

    def xy(s: float, v: float) -> str:
        x = left + (s - s0) / (s1 - s0) * (w - left - 10)
        y = 10 + (hi - v) / (hi - lo) * (h - bottom - 10)
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'font-family="sans-serif" font-size="10" role="img">',
        f'<line x1="{left}" y1="{h - bottom}" x2="{w - 10}" y2="{h - bottom}" stroke="{MUTED}"/>',
        f'<line x1="{left}" y1="10" x2="{left}" y2="{h - bottom}" stroke="{MUTED}"/>',
        f'<text x="{left - 4}" y="14" text-anchor="end">{num(hi)}</text>',
        f'<text x="{left - 4}" y="{h - bottom}" text-anchor="end">{num(lo)}</text>',
        f'<text x="{left}" y="{h - bottom + 14}">{int(s0)}</text>',
        f'<text x="{w - 10}" y="{h - bottom + 14}" text-anchor="end">{int(s1)}</text>',
        f'<text x="{(w + left) / 2}" y="{h - 4}" text-anchor="middle">step</text>',
    ]
    for (name, v), colour in zip(series.items(), (POSITIVE, NEGATIVE), strict=False):
        ok = np.isfinite(v)
        if not ok.any():
            continue
        points = " ".join(xy(float(s), float(y)) for s, y in zip(steps[ok], v[ok], strict=True))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" '
            f'stroke-width="1.5" data-series="{name}"><title>{name}</title></polyline>'
        )
    parts.append("</svg>")
    return "".join(parts)


def loss_curve_html(history: History) -> str:
    series = {"train_loss": history.train_loss}
    if np.isfinite(history.test_loss).any():
        series["test_loss"] = history.test_loss
    last = (
        f" · last: step {int(history.step[-1])}, train loss {num(float(history.train_loss[-1]))}"
        if len(history)
        else ""
    )
    legend = ", ".join(
        f'<span style="color:{c}">{n}</span>'
        for n, c in zip(series, (POSITIVE, NEGATIVE), strict=False)
    )
    return (
        f"<div><div><b>loss</b> ({legend}) over {len(history)} recorded steps{last}</div>"
        f"{loss_curve_svg(history.step, series)}</div>"
    )


def step_html(result: StepResult) -> str:
    head = f"<b>step {result.step}</b> · {result.applied_steps} update(s) applied"
    if result.diverged:
        head += f' · <span style="color:{NEGATIVE}">diverged: {escape(result.message or "")}</span>'
    body = ""
    if result.history is not None:
        body = loss_curve_html(result.history)
    elif result.trace is not None:
        body = trace_html(result.trace)
    return f"<div><div>{head}</div>{body}{network_html(result.network)}</div>"


# --- checks ------------------------------------------------------------------------------------


def gradcheck_html(g: Gradcheck) -> str:
    def verdict(ok: bool) -> str:
        return (
            f'<b style="color:{POSITIVE}">passed</b>'
            if ok
            else f'<b style="color:{NEGATIVE}">failed</b>'
        )

    rows = []
    for c in g.layers:
        w = c.parameters[c.worst]
        rows.append(
            f"<tr><td>{c.layer}</td><td>{verdict(c.passed)}</td>"
            f"<td>{_matrix(c.backprop_weights)}</td><td>{_matrix(c.numeric_weights)}</td>"
            f"<td>{escape(w.name)}: {num(w.error)} ({escape(w.verdict)}, tolerance "
            f"{num(w.tolerance)})</td></tr>"
        )
    counts = ", ".join(f"{n} {v}" for v, n in g.counts.items())
    dropped = (
        ""
        if g.drop_derivative_layer is None
        else f" · σ' of layer {g.drop_derivative_layer} left out on purpose"
    )
    return (
        f"<div><div>gradient check {verdict(g.passed)}: largest relative error "
        f"{num(g.max_relative_error)} (h = {num(g.step)}; parameters: {counts}){dropped}"
        f"</div><table><tr><th>l</th><th>verdict</th><th>backprop ∂C/∂W^l</th>"
        f"<th>central differences</th><th>deciding parameter: error</th></tr>"
        f"{''.join(rows)}</table></div>"
    )


def paths_html(p: Paths) -> str:
    rows = "".join(
        f"<tr><td>{c.hidden_layers}</td><td>{c.paths}</td><td>{c.path_multiply_adds}</td>"
        f"<td>{c.dp_multiply_adds}</td></tr>"
        for c in p.cost_by_depth
    )
    return (
        f"<div><div>∂C/∂W^{p.layer}[{p.row}][{p.column}] for sample {p.index}: "
        f"the sum over {p.paths} paths gives {num(p.path_gradient)} in "
        f"{p.path_multiply_adds} multiply-adds; the δ recurrence gives "
        f"{num(p.dp_gradient)} in {p.dp_multiply_adds}.</div>"
        f"<table><tr><th>hidden layers</th><th>paths</th><th>multiply-adds over paths</th>"
        f"<th>multiply-adds by δ (DP)</th></tr>{rows}</table></div>"
    )


# --- the chain rule of one weight, in MathML ----------------------------------------------------


def _mi(name: str) -> str:
    return f"<mi>{escape(name)}</mi>"


def _mn(v: float) -> str:
    """A number of the trace (``class="value"``), as against the 1 of 1/B or a layer index."""
    return f'<mn class="value">{escape(num(v))}</mn>'


def _mo(op: str) -> str:
    return f"<mo>{escape(op)}</mo>"


def _sigma_prime(l: int) -> str:
    return f"<msup><msub>{_mi('σ')}<mn>{l}</mn></msub>{_mo('′')}</msup>"


def _factor(v: float) -> str:
    """A number in a product, bracketed when negative: 2 · (−0.5)."""
    return f"{_mo('(')}{_mn(v)}{_mo(')')}" if v < 0 else _mn(v)


def _sum(index: str) -> str:
    return f"<munder>{_mo('∑')}{_mi(index)}</munder>"


def _sym(base: str, sub: str, sup: str) -> str:
    """base with a subscript and a superscript: W^l_{jk}."""
    return (
        f"<msubsup>{_mi(base)}<mrow>{_mi(sub)}</mrow><mrow><mn>{escape(sup)}</mn></mrow></msubsup>"
    )


def _frac(num_: str, den: str) -> str:
    return f"<mfrac><mrow>{num_}</mrow><mrow>{den}</mrow></mfrac>"


def _math(*rows: str) -> str:
    return f'<math display="block"><mrow>{"".join(rows)}</mrow></math>'


class ChainRule:
    """∂C/∂W^l_{jk} = (1/B) Σ_b δ^l_{b,j} a^{l−1}_{b,k}, and δ^l_j's recurrence for one
    sample, δ^l_j = σ_l'(z^l_j) Σ_i W^{l+1}_{ij} δ^{l+1}_i, with the trace's numbers."""

    def __init__(self, trace: Trace, layer: int, row: int, column: int, sample: int = 0) -> None:
        L = len(trace.layers)
        if not 1 <= layer <= L:
            raise ValueError(f"layer must be between 1 and {L}, got {layer}")
        widths = trace.widths
        if not (0 <= row < widths[layer] and 0 <= column < widths[layer - 1]):
            raise ValueError(
                f"W^{layer} is {widths[layer]} × {widths[layer - 1]}; there is no [{row}][{column}]"
            )
        self.trace, self.layer, self.row, self.column, self.sample = (
            trace,
            layer,
            row,
            column,
            sample,
        )
        below = trace.x if layer == 1 else trace.layers[layer - 2].a
        self.delta = trace.layers[layer - 1].delta[:, row]  # δ^l_{b,j}, b = 1 … B
        self.activation = below[:, column]  # a^{l−1}_{b,k}
        self.value = float(trace.layers[layer - 1].grad_weights[row, column])

    def _gradient_row(self) -> str:
        l, j, k = self.layer, self.row, self.column
        B = len(self.delta)
        lhs = _frac(f"{_mi('∂')}{_mi('C')}", f"{_mi('∂')}{_sym('W', f'{j}{k}', str(l))}")
        terms = _mo("+").join(
            f"{_factor(float(d))}{_mo('·')}{_factor(float(a))}"
            for d, a in zip(self.delta, self.activation, strict=True)
        )
        mean = f"{_frac('<mn>1</mn>', _mi('B'))}{_sum('b')}" if B > 1 else ""
        symbolic = f"{mean}{_sym('δ', str(j), str(l))}{_sym('a', str(k), str(l - 1))}"
        numbers = (
            f"{_frac('<mn>1</mn>', f'<mn>{B}</mn>')}<mrow>{_mo('(')}{terms}{_mo(')')}</mrow>"
            if B > 1
            else terms
        )
        return _math(lhs, _mo("="), symbolic, _mo("="), numbers, _mo("="), _mn(self.value))

    def _delta_row(self) -> str:
        l, j, b = self.layer, self.row, self.sample
        t = self.trace
        lhs = _sym("δ", str(j), str(l))
        d = float(t.layers[l - 1].delta[b, j])
        if l == len(t.layers):
            grad = _frac(
                f"{_mi('∂')}<msub>{_mi('C')}{_mi('b')}</msub>",
                f"{_mi('∂')}{_sym('a', str(j), str(l))}",
            )
            return _math(
                lhs,
                _mo("="),
                grad,
                _mo("·"),
                _sigma_prime(l),
                _mo("("),
                _sym("z", str(j), str(l)),
                _mo(")"),
                _mo("="),
                _mn(d),
            )
        upper = t.layers[l].delta[b]  # δ^{l+1}, n_{l+1}
        sigma = _sigma_prime(l) + (f"{_mo('(')}{_sym('z', str(j), str(l))}{_mo(')')}")
        symbolic = (
            f"{sigma}{_mo('·')}{_sum('i')}"
            f"{_sym('W', f'i{j}', str(l + 1))}{_sym('δ', 'i', str(l + 1))}"
        )
        if t.weights is None:
            vector = _mo(", ").join(_mn(float(v)) for v in upper)
            return _math(
                lhs,
                _mo("="),
                symbolic,
                _mo("="),
                _mn(d),
                _mo(";"),
                f"<msup>{_mi('δ')}<mn>{l + 1}</mn></msup>",
                _mo("="),
                _mo("("),
                vector,
                _mo(")"),
            )
        column = t.weights[l][:, j]  # W^{l+1}_{ij}, i = 0 … n_{l+1}−1
        total = float(column @ upper)
        terms = _mo("+").join(
            f"{_factor(float(w))}{_mo('·')}{_factor(float(u))}"
            for w, u in zip(column, upper, strict=True)
        )
        slope = _mn(d / total) if total != 0 else _mi("σ′")
        return _math(
            lhs,
            _mo("="),
            symbolic,
            _mo("="),
            slope,
            _mo("·"),
            _mo("("),
            terms,
            _mo(")"),
            _mo("="),
            _mn(d),
        )

    def __repr__(self) -> str:
        l, j, k = self.layer, self.row, self.column
        pairs = " + ".join(
            f"{num(float(d))}·{num(float(a))}"
            for d, a in zip(self.delta, self.activation, strict=True)
        )
        return (
            f"∂C/∂W^{l}[{j}][{k}] = (1/B) Σ_b δ^{l}_b[{j}] a^{l - 1}_b[{k}] "
            f"= (1/{len(self.delta)})({pairs}) = {num(self.value)}"
        )

    def _repr_html_(self) -> str:
        rest = []
        for m in range(self.layer + 1, len(self.trace.layers) + 1):
            vec = ", ".join(num(float(v)) for v in self.trace.layers[m - 1].delta[self.sample])
            rest.append(f"δ^{m} = ({vec})")
        tail = f"<div>and above it: {escape('; '.join(rest))}</div>" if rest else ""
        return (
            f"<div><div>chain rule of W^{self.layer}[{self.row}][{self.column}] "
            f"(δ for sample {self.sample})</div>{self._gradient_row()}{self._delta_row()}"
            f"{tail}</div>"
        )
