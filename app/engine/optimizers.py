"""Optimisers: turn a gradient g (flat, ``params``' layout) into an update Δθ.

Each is a pure function of (g, state) returning (Δθ, new state), so a step
that would diverge can be refused without having touched the optimiser's
memory. θ ← θ + Δθ is applied by the caller.

* ``sgd``:      Δθ = −η g
* ``momentum``: v ← μ v − η g;  Δθ = v
* ``adam``:     m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
                Δθ = −η m̂ / (√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from app.engine.activations import Array

State = dict[str, Array]


@dataclass(frozen=True)
class Optimizer(ABC):
    learning_rate: float

    @abstractmethod
    def propose(self, grad: Array, state: State) -> tuple[Array, State]:
        """(Δθ, state after this step); ``state`` is not modified."""


@dataclass(frozen=True)
class SGD(Optimizer):
    def propose(self, grad: Array, state: State) -> tuple[Array, State]:
        return -self.learning_rate * grad, state


@dataclass(frozen=True)
class Momentum(Optimizer):
    beta: float = 0.9

    def propose(self, grad: Array, state: State) -> tuple[Array, State]:
        v = state.get("velocity", np.zeros_like(grad))
        v = self.beta * v - self.learning_rate * grad
        return v, {"velocity": v}


@dataclass(frozen=True)
class Adam(Optimizer):
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    def propose(self, grad: Array, state: State) -> tuple[Array, State]:
        t = int(state["t"][0]) + 1 if "t" in state else 1
        m = self.beta1 * state.get("m", np.zeros_like(grad)) + (1 - self.beta1) * grad
        v = self.beta2 * state.get("v", np.zeros_like(grad)) + (1 - self.beta2) * grad * grad
        m_hat = m / (1 - self.beta1**t)
        v_hat = v / (1 - self.beta2**t)
        delta = -self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)
        return delta, {"m": m, "v": v, "t": np.array([float(t)])}


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}

FORMULAS: dict[str, str] = {
    "sgd": r"\Delta\theta = -\eta\, g",
    "momentum": r"v \leftarrow \mu v - \eta g,\quad \Delta\theta = v",
    "adam": r"\Delta\theta = -\eta\, \hat m / (\sqrt{\hat v} + \epsilon)",
}


def make_optimizer(name: str, learning_rate: float, **options: float) -> Optimizer:
    return OPTIMIZERS[name](learning_rate, **options)
