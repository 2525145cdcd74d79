"""A fully connected network and its two passes, in the notation of the derivation.

Layers are l = 0 … L with widths n_0 … n_L; layer 0 is the input. For l ≥ 1,
W^l has shape n_l × n_{l-1} (row j is neuron j of layer l, column k neuron k of
layer l − 1) and b^l has length n_l. A batch of B samples is a B × n matrix, one
sample per row, so the forward step z^l = W^l a^{l-1} + b^l is written
``a_prev @ W.T + b``.

All parameters live in one flat float64 vector ``params``; ``weights[l-1]`` and
``biases[l-1]`` are views into it. An optimiser therefore updates every W and b
with one vector operation, and gradients come back in the same layout.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.engine.activations import ACTIVATIONS, Activation, Array
from app.engine.errors import SpecError
from app.engine.losses import LOSSES, Loss


@dataclass(slots=True)
class LayerTrace:
    """One non-input layer l of a trace. Shapes for a batch of B samples."""

    z: Array  # B × n_l, pre-activations
    a: Array  # B × n_l, activations σ_l(z)
    delta: Array  # B × n_l, δ^l_b = ∂C_b/∂z^l_b (per sample)
    grad_weights: Array  # n_l × n_{l-1}, ∂C/∂W^l = (1/B) Σ_b δ^l_b (a^{l-1}_b)ᵀ
    grad_biases: Array | None  # n_l, ∂C/∂b^l = (1/B) Σ_b δ^l_b; None without biases


@dataclass(slots=True)
class Trace:
    """Everything one forward + backward pass computes.

    ``loss`` is the batch mean C = (1/B) Σ_b C_b; ``sample_losses`` the C_b;
    ``layers`` holds l = 1 … L; ``grad`` is the flat gradient in ``params``'
    layout (the layers' grad_weights/grad_biases are views into it).
    """

    x: Array  # B × n_0, a^0
    loss: float
    sample_losses: Array  # (B,)
    layers: list[LayerTrace]
    grad: Array


@dataclass(slots=True)
class Forward:
    """z^l and a^l for l = 1 … L (lists of B × n_l arrays), and a^0 = x."""

    x: Array
    zs: list[Array]
    activations: list[Array]

    @property
    def output(self) -> Array:
        return self.activations[-1]


@dataclass(frozen=True, slots=True)
class LayerSlice:
    """Where layer l's parameters sit in the flat vector: W^l is ``params[w_start:b_start]``
    reshaped to ``shape`` = (n_l, n_{l-1}), and b^l is ``params[b_start:end]`` (empty
    without biases)."""

    w_start: int
    b_start: int
    end: int
    shape: tuple[int, int]


class Network:
    """Widths, activations, loss and parameters of a fully connected network."""

    def __init__(
        self,
        layers: Sequence[int],
        activations: Sequence[str],
        loss: str,
        bias: bool = True,
        params: Array | None = None,
    ) -> None:
        self.layers = [int(n) for n in layers]
        self.activation_names = list(activations)
        self.loss_name = loss
        self.bias = bias
        self._validate_architecture()
        self.sigmas: list[Activation] = [ACTIVATIONS[name] for name in self.activation_names]
        self.loss: Loss = LOSSES[loss]

        self.n_params = self._layout()
        if params is None:
            params = np.zeros(self.n_params)
        self.params = np.ascontiguousarray(params, dtype=np.float64)
        if self.params.shape != (self.n_params,):
            raise SpecError("network.params", f"expected {self.n_params} values")
        self._bind()

    def _bind(self) -> None:
        """The per-layer views of ``params``."""
        self.weights, self.biases = self.views(self.params)
        # Per-layer (Wᵀ, b as a 1 × n_l row, σ) for the forward loop; views, so updates to
        # params show.
        biases: list[Array | None] = (
            [b.reshape(1, -1) for b in self.biases] if self.biases else [None] * len(self.weights)
        )
        self.forward_steps = list(
            zip([W.T for W in self.weights], biases, self.sigmas, strict=True)
        )

    # --- construction ---------------------------------------------------------------------

    def _validate_architecture(self) -> None:
        if len(self.layers) < 2:
            raise SpecError("network.layers", "needs at least 2 widths: input and output")
        for l, n in enumerate(self.layers):
            if n < 1:
                raise SpecError(f"network.layers[{l}]", f"layer width must be ≥ 1, got {n}")
        expected = len(self.layers) - 1
        if len(self.activation_names) != expected:
            raise SpecError(
                "network.activations",
                f"expected {expected} (one per non-input layer), got {len(self.activation_names)}",
            )
        for l, name in enumerate(self.activation_names, start=1):
            if name not in ACTIVATIONS:
                raise SpecError(
                    f"network.activations[{l - 1}]",
                    f"unknown activation {name!r} for layer {l}; "
                    f"choose one of {', '.join(ACTIVATIONS)}",
                )
        if self.loss_name not in LOSSES:
            raise SpecError(
                "network.loss",
                f"unknown loss {self.loss_name!r}; choose one of {', '.join(LOSSES)}",
            )
        allowed = LOSSES[self.loss_name].output_activations
        out = self.activation_names[-1]
        if allowed is not None and out not in allowed:
            raise SpecError(
                f"network.activations[{expected - 1}]",
                f"loss {self.loss_name!r} needs outputs in (0, 1): the output layer "
                f"{expected} must use {' or '.join(allowed)}, got {out!r}",
            )
        if out == "softmax" and self.layers[-1] < 2 and self.loss_name != "mse":
            raise SpecError(
                "network.layers",
                "a softmax output needs at least 2 neurons (with 1 it is always 1)",
            )

    def _layout(self) -> int:
        """Offsets of W^l and b^l in the flat vector (``self.layout``); returns its length."""
        self.layout: list[LayerSlice] = []  # layer l = 1 … L at index l − 1
        offset = 0
        for n_in, n_out in zip(self.layers[:-1], self.layers[1:], strict=True):
            w_start, b_start = offset, offset + n_out * n_in
            end = b_start + (n_out if self.bias else 0)
            self.layout.append(LayerSlice(w_start, b_start, end, (n_out, n_in)))
            offset = end
        mask = np.zeros(offset, dtype=bool)
        for part in self.layout:
            mask[part.w_start : part.b_start] = True
        self.weight_mask = mask  # True on weights: regularisation touches W, never b
        return offset

    def views(self, flat: Array) -> tuple[list[Array], list[Array] | None]:
        """W^l and b^l as views into a vector in ``params``' layout."""
        weights = [flat[p.w_start : p.b_start].reshape(p.shape) for p in self.layout]
        if not self.bias:
            return weights, None
        return weights, [flat[p.b_start : p.end] for p in self.layout]

    @classmethod
    def from_arrays(
        cls,
        layers: Sequence[int],
        activations: Sequence[str],
        loss: str,
        weights: Sequence[object],
        biases: Sequence[object] | None = None,
        bias: bool = True,
    ) -> Network:
        """Build from nested lists/arrays, naming the layer and shape of any mismatch."""
        net = cls(layers, activations, loss, bias)
        if len(weights) != len(net.weights):
            raise SpecError(
                "network.weights", f"expected {len(net.weights)} matrices (one per layer 1…L)"
            )
        for l, (given, view) in enumerate(zip(weights, net.weights, strict=True), start=1):
            net._fill(view, given, f"network.weights[{l - 1}]", l, "n_{l} × n_{l-1}")
        if bias:
            if biases is None:
                raise SpecError("network.biases", "required when bias is true")
            assert net.biases is not None
            if len(biases) != len(net.biases):
                raise SpecError(
                    "network.biases", f"expected {len(net.biases)} vectors (one per layer 1…L)"
                )
            for l, (given, view) in enumerate(zip(biases, net.biases, strict=True), start=1):
                net._fill(view, given, f"network.biases[{l - 1}]", l, "n_{l}")
        elif biases:
            raise SpecError("network.biases", "must be omitted when bias is false")
        return net

    def _fill(self, view: Array, given: object, loc: str, layer: int, form: str) -> None:
        try:
            arr = np.asarray(given, dtype=np.float64)
        except OverflowError:  # an integer beyond float64's range
            raise SpecError(loc, f"layer {layer}: values must be finite numbers") from None
        except (TypeError, ValueError):
            raise SpecError(loc, f"layer {layer}: not a rectangular array of numbers") from None
        if arr.shape != view.shape:
            want = " × ".join(str(s) for s in view.shape)
            got = " × ".join(str(s) for s in arr.shape) or "a scalar"
            shape_form = form.replace("{l}", str(layer)).replace("{l-1}", str(layer - 1))
            raise SpecError(loc, f"layer {layer} expects shape {want} ({shape_form}), got {got}")
        if not np.all(np.isfinite(arr)):
            raise SpecError(loc, f"layer {layer}: values must be finite numbers")
        view[...] = arr

    def copy(self) -> Network:
        """An independent network: its params are a copy, not a view of these. The checked
        architecture is not checked again (a Play frame copies its session's network)."""
        new = object.__new__(Network)
        new.__dict__.update(self.__dict__)
        new.layers, new.activation_names = list(self.layers), list(self.activation_names)
        new.sigmas, new.layout = list(self.sigmas), list(self.layout)
        new.weight_mask = self.weight_mask.copy()
        new.params = self.params.copy()
        new._bind()
        return new

    # --- the two passes -------------------------------------------------------------------

    def check_input(self, x: Array, loc: str = "x") -> Array:
        x = _as_matrix(x, loc)
        if x.ndim != 2 or x.shape[1] != self.layers[0]:
            raise SpecError(loc, f"expected B × {self.layers[0]} (n_0 = {self.layers[0]})")
        if not np.all(np.isfinite(x)):
            raise SpecError(loc, "values must be finite numbers")
        return x

    def forward(self, x: Array) -> Forward:
        """z^l = W^l a^{l-1} + b^l and a^l = σ_l(z^l) for l = 1 … L."""
        a = x
        zs, acts = [], []
        for WT, b, sigma in self.forward_steps:
            z = a.dot(WT)  # ndarray.dot: the product @ makes (same BLAS call), less overhead
            if b is not None:
                # The same sums as z += b, which broadcasts b one row at a time: adding b
                # repeated on every row is quicker from a few rows up (5× at 1,600).
                z += b if len(z) == 1 else b.repeat(len(z), 0)
            a = sigma.value(z)
            zs.append(z)
            acts.append(a)
        return Forward(x, zs, acts)

    def backward(self, x: Array, y: Array) -> Trace:
        """Forward, then δ from the output back, then the batch-mean gradients.

        δ^L = J_σ(z^L)ᵀ ∇_a C_b;  δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ σ_l'(z^l) (its
        Jacobian form for softmax); ∂C/∂W^l = (1/B) Σ_b δ^l_b (a^{l-1}_b)ᵀ.
        """
        fwd = self.forward(x)
        zs, acts = fwd.zs, fwd.activations
        batch = x.shape[0]
        sigma_out = self.sigmas[-1]
        sample_losses = self.loss.per_sample(zs[-1], acts[-1], y, sigma_out)

        grad = np.empty(self.n_params)
        grad_w, grad_b = self.views(grad)
        ones = ones_vector(batch)
        layers: list[LayerTrace] = []  # from layer L down; reversed at the end
        delta = self.loss.output_delta(zs[-1], acts[-1], y, sigma_out)
        for l in range(len(zs) - 1, -1, -1):  # index l is layer l + 1
            a_prev = acts[l - 1] if l > 0 else x
            gw, gb = grad_w[l], grad_b[l] if grad_b is not None else None
            np.dot(delta.T, a_prev, out=gw)
            if gb is not None:
                # Σ_b δ_b as a BLAS product with ones: a third of np.add.reduce's time
                np.dot(ones, delta, out=gb)
            layers.append(LayerTrace(zs[l], acts[l], delta, gw, gb))
            if l > 0:
                delta = self.sigmas[l - 1].vjp(zs[l - 1], a_prev, delta.dot(self.weights[l]))
        if batch > 1:  # (× 1.0 changes no bit)
            grad *= 1.0 / batch
        layers.reverse()
        return Trace(x, float(np.add.reduce(sample_losses)) / batch, sample_losses, layers, grad)

    def loss_value(self, x: Array, y: Array) -> float:
        """C for a batch, forward pass only (what a numeric gradient differentiates)."""
        fwd = self.forward(x)
        return float(self.loss.per_sample(fwd.zs[-1], fwd.output, y, self.sigmas[-1]).mean())

    def dead_neurons(self, x: Array) -> list[list[int]]:
        """Per layer l = 1 … L, the neurons j whose a^l_j is exactly 0 for every row of x.

        For a ReLU that is z ≤ 0 on every input: σ'(z) = 0 there, so δ^l_j = 0 and no
        gradient reaches the weights into it — a dead neuron. No rows, no verdict: [].
        """
        if len(x) == 0:
            return [[] for _ in self.forward_steps]
        return [
            np.flatnonzero(~np.any(a != 0, axis=0)).tolist() for a in self.forward(x).activations
        ]

    def check_targets(self, y: Array, loc: str = "y") -> Array:
        y = _as_matrix(y, loc)
        if y.ndim != 2 or y.shape[1] != self.layers[-1]:
            raise SpecError(loc, f"expected B × {self.layers[-1]} (n_L = {self.layers[-1]})")
        if not np.all(np.isfinite(y)):
            raise SpecError(loc, "values must be finite numbers")
        self.loss.check_targets(y, loc)
        return y

    def param_name(self, index: int) -> tuple[str, int, int, int]:
        """(``"W"`` or ``"b"``, layer l, row j, column k) of a flat parameter index."""
        for l, part in enumerate(self.layout, start=1):
            if index < part.b_start:
                j, k = divmod(index - part.w_start, self.layers[l - 1])
                return "W", l, j, k
            if index < part.end:
                return "b", l, index - part.b_start, 0
        raise IndexError(index)


@functools.lru_cache(maxsize=16)
def ones_vector(n: int) -> Array:
    """np.ones(n), made once per length and read-only: the bias gradient is Σ_b δ_b =
    ones · δ in every backward pass, and np.ones costs more than that product."""
    v = np.ones(n)
    v.flags.writeable = False
    return v


def _as_matrix(values: object, loc: str) -> Array:
    """``values`` as a float64 array, or a SpecError naming ``loc`` (ragged, not numbers)."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise SpecError(loc, "expected a rectangular B × n array of finite numbers") from None
