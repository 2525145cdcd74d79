"""Weight initialisers, each drawing from an explicit ``numpy.random.Generator``.

Biases start at 0 for every scheme. ``zeros`` is here to show the symmetry
problem: with all weights equal, every neuron of a layer computes the same z and
receives the same δ, so gradient descent can never make them differ.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.engine.activations import Array
from app.engine.network import Network

# Each draws one n_out × n_in matrix.
Initializer = Callable[[np.random.Generator, int, int], Array]


def _xavier(rng: np.random.Generator, n_out: int, n_in: int) -> Array:
    # Glorot & Bengio: variance 2 / (fan_in + fan_out) keeps signals steady through tanh.
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_out, n_in))


def _he(rng: np.random.Generator, n_out: int, n_in: int) -> Array:
    # He et al.: variance 2 / fan_in makes up for ReLU zeroing half of its inputs.
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))


def _normal(rng: np.random.Generator, n_out: int, n_in: int) -> Array:
    return rng.normal(0.0, 1.0, size=(n_out, n_in))


def _zeros(rng: np.random.Generator, n_out: int, n_in: int) -> Array:
    return np.zeros((n_out, n_in))


INITIALIZERS: dict[str, Initializer] = {
    "xavier": _xavier,
    "he": _he,
    "normal": _normal,
    "zeros": _zeros,
}

DESCRIPTIONS: dict[str, str] = {
    "xavier": "Normal with variance 2/(n_in + n_out); suits tanh and sigmoid.",
    "he": "Normal with variance 2/n_in; suits ReLU.",
    "normal": "Standard normal N(0, 1); large for wide layers.",
    "zeros": "All weights 0: every neuron in a layer stays identical (symmetry).",
}


def initialize(net: Network, scheme: str, seed: int) -> None:
    """Fill ``net``'s weights by ``scheme`` from ``default_rng(seed)``; zero the biases."""
    draw = INITIALIZERS[scheme]
    rng = np.random.default_rng(seed)
    net.params[:] = 0.0
    for W in net.weights:
        W[...] = draw(rng, *W.shape)
