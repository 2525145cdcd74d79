"""∂C/∂w by summing the chain rule over every path, beside the δ recurrence.

For w = W^l_{jk} and one sample, ∂C/∂w = a^{l-1}_k · ∂C/∂z^l_j, and

    ∂C/∂z^l_j = Σ over paths j = i_l → i_{l+1} → … → i_L of
                σ_l'(z^l_{i_l}) W^{l+1}_{i_{l+1} i_l} σ_{l+1}'(z^{l+1}_{i_{l+1}})
                … W^L_{i_L i_{L-1}} δ^L_{i_L}

There are n_{l+1} · … · n_L such paths, so the sum costs time exponential in
depth. The δ recurrence shares every path's common suffix: one matrix-vector
product per layer. Both give the same number, which is the point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.activations import Array
from app.engine.errors import SpecError
from app.engine.network import Network

DEFAULT_MAX_PATHS = 1_000_000


@dataclass
class PathTerm:
    neurons: list[int]  # i_l, i_{l+1}, …, i_L
    contribution: float  # this path's term of ∂C/∂w (times a^{l-1}_k)


@dataclass
class PathSum:
    layer: int
    row: int
    column: int
    paths: int
    path_gradient: float
    dp_gradient: float
    path_multiply_adds: int
    dp_multiply_adds: int
    top_paths: list[PathTerm]


def path_count(widths: list[int], layer: int) -> int:
    """Paths from a weight of ``layer`` to the loss: n_{l+1} · … · n_L."""
    return int(np.prod(widths[layer + 1 :], dtype=object))


def path_multiply_adds(widths: list[int], layer: int) -> int:
    """Each path multiplies 2(L − l) + 2 factors (σ's, W's, δ^L, a_k): 2(L − l) + 1 ops."""
    depth = len(widths) - 1 - layer
    return path_count(widths, layer) * (2 * depth + 1)


def dp_multiply_adds(widths: list[int], layer: int) -> int:
    """δ^t = (W^{t+1})ᵀ δ^{t+1} ⊙ σ'(z^t) for t = L−1 … l: n_{t+1}·n_t + n_t each, then × a_k."""
    L = len(widths) - 1
    return sum(widths[t + 1] * widths[t] + widths[t] for t in range(layer, L)) + 1


def cost_by_depth(hidden_width: int, n_in: int, n_out: int, max_depth: int) -> list[dict[str, int]]:
    """Both costs for a first-layer weight as hidden layers are added (same width each)."""
    rows = []
    for hidden in range(0, max_depth + 1):
        widths = [n_in] + [hidden_width] * hidden + [n_out]
        rows.append(
            {
                "hidden_layers": hidden,
                "paths": path_count(widths, 1),
                "path_multiply_adds": path_multiply_adds(widths, 1),
                "dp_multiply_adds": dp_multiply_adds(widths, 1),
            }
        )
    return rows


def sum_over_paths(
    net: Network,
    x: Array,
    y: Array,
    layer: int,
    row: int,
    column: int,
    max_paths: int = DEFAULT_MAX_PATHS,
    top: int = 5,
) -> PathSum:
    """∂C/∂W^layer[row, column] for one sample (x, y: 1 × n), path by path and by δ."""
    widths = net.layers
    L = len(widths) - 1
    x, y = net.check_input(x), net.check_targets(y)
    for loc, rows in (("x", x.shape[0]), ("y", y.shape[0])):
        if rows != 1:  # with B > 1 the trace's grad_weights is a batch mean, not this sample's
            raise SpecError(loc, f"the path sum is for one sample: expected 1 row, got {rows}")
    if not 1 <= layer <= L:
        raise SpecError("layer", f"must be between 1 and {L}, got {layer}")
    if not (0 <= row < widths[layer] and 0 <= column < widths[layer - 1]):
        raise SpecError(
            "row" if not 0 <= row < widths[layer] else "column",
            f"W^{layer} is {widths[layer]} × {widths[layer - 1]}; ({row}, {column}) is outside",
        )
    for t in range(layer, L):
        if not net.sigmas[t - 1].elementwise:
            raise SpecError(
                f"network.activations[{t - 1}]",
                f"paths need element-wise activations below the output; layer {t} uses "
                f"{net.sigmas[t - 1].name}",
            )
    count = path_count(widths, layer)
    if count > max_paths:
        raise SpecError(
            "layer",
            f"{count:,} paths lead from W^{layer} to the loss, more than the limit of "
            f"{max_paths:,}: choose a weight nearer the output or a smaller network",
        )

    trace = net.backward(x, y)
    a_prev = trace.x[0] if layer == 1 else trace.layers[layer - 2].a[0]
    # Every path, explicitly: one row of neuron indices i_{l+1} … i_L per path.
    grids = np.indices(widths[layer + 1 :]).reshape(L - layer, -1).T if layer < L else None
    n = count
    terms = np.full(n, a_prev[column])
    prev = np.full(n, row)
    for step, t in enumerate(range(layer, L)):
        lt = trace.layers[t - 1]
        sigma_prime = net.sigmas[t - 1].derivative(lt.z[0], lt.a[0])
        assert grids is not None
        nxt = grids[:, step]
        terms = terms * sigma_prime[prev] * net.weights[t][nxt, prev]
        prev = nxt
    terms = terms * trace.layers[L - 1].delta[0][prev]

    order = np.argsort(-np.abs(terms))[:top]
    top_paths = [
        PathTerm([row, *(grids[i].tolist() if grids is not None else [])], float(terms[i]))
        for i in order
    ]
    return PathSum(
        layer,
        row,
        column,
        count,
        float(terms.sum()),
        float(trace.layers[layer - 1].grad_weights[row, column]),
        path_multiply_adds(widths, layer),
        dp_multiply_adds(widths, layer),
        top_paths,
    )
