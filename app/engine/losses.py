"""Losses C_b per sample, their gradients ∇_a C_b, and the output delta δ^L.

Definitions are the contract's (a = a^L, y the target, sums over outputs j):

* ``mse``:           C_b = ½ Σ_j (a_j − y_j)²
* ``bce``:           C_b = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]
* ``cross_entropy``: C_b = −Σ_j y_j ln a_j

δ^L = J_σ(z^L)ᵀ ∇_a C_b. For the pairs a course meets first the product
collapses to a − y, and we compute that closed form directly: it is the same
number, but it stays exact where a rounds to 0 or 1 (sigmoid(±40) already
does) and the ∇_a C_b factor alone would be infinite.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from app.engine.activations import Activation, Array
from app.engine.errors import SpecError

# ln of a probability that rounded to 0 is clamped here: a loss of ~708 per sample
# (ln of the smallest normal double) is finite and obviously "very wrong".
_TINY = np.finfo(np.float64).tiny


def _log_output(z: Array, a: Array, activation: Activation) -> Array:
    """ln a, from z where the activation allows it, so it stays exact where a rounds to 0."""
    if activation.name == "sigmoid":
        return -np.logaddexp(0.0, -z)
    if activation.name == "softmax":
        zmax = z.max(axis=-1, keepdims=True)
        return z - zmax - np.log(np.exp(z - zmax).sum(axis=-1, keepdims=True))
    return np.log(np.maximum(a, _TINY))


@dataclass(frozen=True)
class Loss(ABC):
    name: str
    formula: str  # LaTeX of C_b, for the page
    output_activations: tuple[str, ...] | None  # allowed σ_L; None means any

    @abstractmethod
    def per_sample(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        """C_b for each sample, shape (B,)."""

    @abstractmethod
    def grad_output(self, a: Array, y: Array) -> Array:
        """∇_a C_b, shape B × n_L (may be infinite where a is exactly 0 or 1)."""

    def output_delta(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        """δ^L = J_σ(z)ᵀ ∇_a C_b, shape B × n_L."""
        return activation.vjp(z, a, self.grad_output(a, y))

    def check_targets(self, y: Array, where: str) -> None:  # noqa: B027 - optional hook
        """Raise SpecError if targets are outside the loss's domain (mse accepts any)."""


class MeanSquaredError(Loss):
    def per_sample(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        d = a - y
        return 0.5 * np.einsum("bj,bj->b", d, d)

    def grad_output(self, a: Array, y: Array) -> Array:
        return a - y

    def output_delta(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        if activation.name == "linear":
            return a - y  # J = I
        return super().output_delta(z, a, y, activation)


class BinaryCrossEntropy(Loss):
    def per_sample(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        # With a = σ(z): ln a = −softplus(−z) and ln(1 − a) = −softplus(z), so
        # C_b = Σ_j softplus(z_j) − y_j z_j — exact even where a rounds to 0 or 1.
        terms = np.logaddexp(0.0, z) - y * z
        if terms.shape[-1] == 1:  # one output: the sum is its one term (a view, one call less)
            return terms[..., 0]
        return np.add.reduce(terms, axis=-1)

    def grad_output(self, a: Array, y: Array) -> Array:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (a - y) / (a * (1.0 - a))

    def output_delta(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        # The only output bce allows is sigmoid (see LOSSES): ((a − y) / (a(1 − a))) ⊙ a(1 − a).
        return a - y

    def check_targets(self, y: Array, where: str) -> None:
        if np.any((y < 0) | (y > 1)):
            raise SpecError(where, "bce targets must lie in [0, 1]")


class CrossEntropy(Loss):
    def per_sample(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        log_a = _log_output(z, a, activation)
        # 0 · ln 0 counts as 0: a target of 0 puts no weight on that output.
        return -np.where(y != 0, y * log_a, 0.0).sum(axis=-1)

    def grad_output(self, a: Array, y: Array) -> Array:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y != 0, -y / a, 0.0)

    def output_delta(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        if activation.name == "softmax":
            # a ⊙ (g − a·g) with g = −y/a gives a Σ_k y_k − y; = a − y for one-hot rows.
            return a * y.sum(axis=-1, keepdims=True) - y
        if activation.name == "sigmoid":
            return -y * (1.0 - a)  # (−y/a) ⊙ a(1 − a)
        return activation.vjp(z, a, np.where(y != 0, -y / np.maximum(a, _TINY), 0.0))

    def check_targets(self, y: Array, where: str) -> None:
        if np.any(y < 0):
            raise SpecError(where, "cross_entropy targets must be ≥ 0")
        sums = y.sum(axis=-1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
        if bad.size:
            raise SpecError(
                f"{where}[{bad[0]}]",
                f"cross_entropy targets must sum to 1 in each row, got {sums[bad[0]]:.6g}",
            )


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        MeanSquaredError("mse", r"\tfrac12 \sum_j (a^L_j - y_j)^2", None),
        BinaryCrossEntropy(
            "bce",
            r"-\sum_j \left[y_j \ln a^L_j + (1-y_j)\ln(1-a^L_j)\right]",
            ("sigmoid",),
        ),
        CrossEntropy("cross_entropy", r"-\sum_j y_j \ln a^L_j", ("softmax", "sigmoid")),
    )
}
