"""Activation functions σ, each with its derivative written beside it.

Every activation answers two questions about a layer with pre-activations z
(shape B × n) and outputs a = σ(z):

* ``value(z)`` — the forward step, a = σ(z);
* ``vjp(z, a, g)`` — the backward step, J_σ(z)ᵀ g for an upstream gradient g
  (B × n): how ∂C/∂a becomes ∂C/∂z.

For an element-wise σ the Jacobian is diagonal, so J_σᵀ g is simply
g ⊙ σ'(z): that is the special case the δ recurrence δ^l = (W^{l+1})ᵀ δ^{l+1}
⊙ σ'(z^l) writes out. Softmax mixes a layer's neurons, so only the general
Jacobian form applies; it is computed as a Jacobian-vector product without
building an n × n matrix per sample.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
IndexArray = NDArray[np.intp]

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation(ABC):
    """An element-wise activation: σ and σ' side by side."""

    name: str
    formula: str  # LaTeX of σ(z), for the page
    derivative_formula: str  # LaTeX of σ'(z)
    # (lowest, highest) value σ can take, None where unbounded: the page centres colours on it.
    output_range: tuple[float | None, float | None] = (None, None)

    elementwise = True

    @abstractmethod
    def value(self, z: Array) -> Array:
        """a = σ(z), same shape as z."""

    @abstractmethod
    def derivative(self, z: Array, a: Array) -> Array:
        """σ'(z), element-wise; ``a = σ(z)`` is passed so it is not recomputed."""

    def vjp(self, z: Array, a: Array, g: Array) -> Array:
        """J_σ(z)ᵀ g; for element-wise σ this is g ⊙ σ'(z)."""
        return g * self.derivative(z, a)


# |z| < 709 everywhere when Σz² is below this: far from where e^{±z} overflows. One BLAS
# dot product tells, cheaper than a min (and NaN or an overflowed sum fails the test).
MODERATE_SQUARES = 709.0**2


def sigmoid_moderate(z: Array) -> Array:
    """σ(z) by its plain formula: ``Sigmoid.value`` wherever every z > −709."""
    return 1.0 / (1.0 + np.exp(-z))


class Sigmoid(Activation):
    def value(self, z: Array) -> Array:
        # e^{-z} would overflow (with a warning) below z = −709, where σ(z) rounds to 0
        # anyway: there e^{-z} is set to inf unevaluated, so σ = 1/(1 + inf) = 0 exactly.
        if np.vdot(z, z) < MODERATE_SQUARES:  # nowhere near: the same values, fewer calls
            return sigmoid_moderate(z)
        e = np.empty_like(z)
        e.fill(np.inf)
        np.exp(-z, out=e, where=z > -709.0)
        return 1.0 / (1.0 + e)

    def derivative(self, z: Array, a: Array) -> Array:
        return a * (1.0 - a)


class Tanh(Activation):
    def value(self, z: Array) -> Array:
        return np.tanh(z)

    def derivative(self, z: Array, a: Array) -> Array:
        return 1.0 - a * a

    def vjp(self, z: Array, a: Array, g: Array) -> Array:
        return g * (1.0 - a * a)  # the base class's, one Python call shorter (training's hot path)


class Relu(Activation):
    def value(self, z: Array) -> Array:
        return np.maximum(z, 0.0)

    def derivative(self, z: Array, a: Array) -> Array:
        return (z > 0).astype(np.float64)  # 0 at z ≤ 0, as the contract fixes

    def vjp(self, z: Array, a: Array, g: Array) -> Array:
        # a = max(z, 0), so sign(a) is [z > 0] already as floats: one numpy call, not two
        # (it differs only where z is NaN, a step that is refused whatever δ is).
        return g * np.sign(a)


class LeakyRelu(Activation):
    def value(self, z: Array) -> Array:
        return np.where(z > 0, z, LEAKY_SLOPE * z)

    def derivative(self, z: Array, a: Array) -> Array:
        return np.where(z > 0, 1.0, LEAKY_SLOPE)


class Linear(Activation):
    def value(self, z: Array) -> Array:
        return z.copy()

    def derivative(self, z: Array, a: Array) -> Array:
        return np.ones_like(z)

    def vjp(self, z: Array, a: Array, g: Array) -> Array:
        return g.copy()


class Softplus(Activation):
    def value(self, z: Array) -> Array:
        return np.logaddexp(0.0, z)  # ln(1 + e^z) without overflow

    def derivative(self, z: Array, a: Array) -> Array:
        return SIGMOID.value(z)


class Square(Activation):
    def value(self, z: Array) -> Array:
        return z * z

    def derivative(self, z: Array, a: Array) -> Array:
        return 2.0 * z


class Softmax(Activation):
    """Softmax over a layer: a_i = e^{z_i} / Σ_k e^{z_k}.

    Its Jacobian is J_ij = a_i (δ_ij − a_j), so Jᵀ g = a ⊙ (g − (a·g)):
    one row-wise dot product instead of an n × n matrix per sample.
    """

    elementwise = False

    def value(self, z: Array) -> Array:
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def derivative(self, z: Array, a: Array) -> Array:
        """The Jacobian's diagonal a_i(1 − a_i), shown per neuron; not the whole story."""
        return a * (1.0 - a)

    def vjp(self, z: Array, a: Array, g: Array) -> Array:
        return a * (g - np.sum(a * g, axis=-1, keepdims=True))

    def jacobian(self, a: Array) -> Array:
        """The full B × n × n Jacobian, for display and tests only."""
        eye = np.eye(a.shape[-1])
        return a[..., :, None] * (eye - a[..., None, :])


SIGMOID = Sigmoid("sigmoid", r"\frac{1}{1+e^{-z}}", r"\sigma(z)\,(1-\sigma(z))", (0.0, 1.0))

ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        SIGMOID,
        Tanh("tanh", r"\tanh z", r"1-\tanh^2 z", (-1.0, 1.0)),
        Relu("relu", r"\max(0, z)", r"[z > 0]", (0.0, None)),
        LeakyRelu("leaky_relu", r"\max(0.01z, z)", r"1 \text{ if } z>0 \text{ else } 0.01"),
        Linear("linear", r"z", r"1"),
        Softplus("softplus", r"\ln(1+e^{z})", r"\frac{1}{1+e^{-z}}", (0.0, None)),
        Square("square", r"z^2", r"2z", (0.0, None)),
        Softmax(
            "softmax",
            r"\frac{e^{z_i}}{\sum_k e^{z_k}}",
            r"\frac{\partial a_i}{\partial z_j} = a_i(\delta_{ij}-a_j)",
            (0.0, 1.0),
        ),
    )
}
