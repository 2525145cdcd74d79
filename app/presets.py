"""One-click setups, each a create-session request with a two-sentence explanation.

Data, not code: the page lists them from the catalog and posts ``request``. Every
request spells out each value the page shows as a control (dataset size, noise, test
split and seed; bias, initialiser, seed and features; every training setting), so the
controls show what the session really uses rather than a default of their own
(tests/api/test_presets.py checks this against the created session).
"""

from __future__ import annotations

from typing import Any


def _net(layers: list[int], acts: list[str], loss: str, **extra: Any) -> dict[str, Any]:
    return {"layers": layers, "activations": acts, "loss": loss, "bias": True, **extra}


def _data(name: str, n_samples: int = 200, noise: float = 0.0) -> dict[str, Any]:
    return {"name": name, "n_samples": n_samples, "noise": noise, "test_fraction": 0.2, "seed": 0}


def _training(optimizer: str, learning_rate: float, batch_size: int = 10) -> dict[str, Any]:
    return {
        "optimizer": optimizer,
        "learning_rate": learning_rate,
        "batch_size": batch_size,
        "regularization": "none",
        "regularization_rate": 0.0,
        "momentum": 0.9,
        "beta1": 0.9,
        "beta2": 0.999,
        "epsilon": 1e-8,
    }


DEFAULT_REQUEST: dict[str, Any] = {
    "network": {
        "layers": [2, 4, 2, 1],
        "activations": ["tanh", "tanh", "sigmoid"],
        "loss": "bce",
        "bias": True,
        "init": "xavier",
        "seed": 1,
        "features": ["x1", "x2"],
    },
    "dataset": {"name": "circle", "n_samples": 200, "noise": 0.0, "test_fraction": 0.2, "seed": 0},
    "training": _training("sgd", 0.03, 10),
}


PRESETS: list[dict[str, Any]] = [
    {
        "id": "worked-example",
        "title": "One weight: C = ½w⁴",
        "description": (
            "One weight, a = (wx)², C = ½(a − y)² with x = 1 and y = 0, so C = ½w⁴ and "
            "∂C/∂w = 2w³. Thirty SGD steps at η = 0.02 take w from 2 to 0.597."
        ),
        "request": {
            "network": _net([1, 1], ["square"], "mse", bias=False, seed=0, weights=[[[2.0]]]),
            "dataset": {"x": [[1.0]], "y": [[0.0]], "name": "worked example", "kind": "regression"},
            "training": _training("sgd", 0.02, 1),
        },
    },
    {
        "id": "xor",
        "title": "XOR with 2-2-1 sigmoid",
        "description": (
            "No single line separates XOR, so the two hidden neurons must each learn a line "
            "and the output combines them. Watch the hidden thumbnails become two boundaries."
        ),
        "request": {
            "network": _net(
                [2, 2, 1],
                ["sigmoid", "sigmoid"],
                "bce",
                init="xavier",
                seed=3,
                features=["x1", "x2"],
            ),
            "dataset": _data("xor", 200, 0.0),
            "training": _training("sgd", 0.3, 10),
        },
    },
    {
        "id": "spiral",
        "title": "Spiral with a deeper tanh net",
        "description": (
            "Two interleaved spirals need a curved boundary that winds around the origin. "
            "Three tanh layers and the sine features make it learnable; Adam speeds it up."
        ),
        "request": {
            "network": _net(
                [4, 8, 8, 6, 1],
                ["tanh", "tanh", "tanh", "sigmoid"],
                "bce",
                init="xavier",
                seed=2,
                features=["x1", "x2", "sin_x1", "sin_x2"],
            ),
            "dataset": _data("spiral", 400, 0.0),
            "training": _training("adam", 0.01, 10),
        },
    },
    {
        "id": "vanishing",
        "title": "Vanishing gradients: 8 sigmoid layers",
        "description": (
            "σ'(z) is at most ¼, and the δ recurrence multiplies one such factor per layer, "
            "so ‖δ^l‖ shrinks roughly fourfold per layer towards the input. The gradient-flow "
            "chart shows the first layers barely learning."
        ),
        "request": {
            "network": _net(
                [2, 6, 6, 6, 6, 6, 6, 6, 6, 1],
                ["sigmoid"] * 9,
                "bce",
                init="xavier",
                seed=0,
                features=["x1", "x2"],
            ),
            "dataset": _data("circle", 200, 0.0),
            "training": _training("sgd", 0.1, 10),
        },
    },
    {
        "id": "dead-relu",
        "title": "Dead ReLUs at a high learning rate",
        "description": (
            "A large step can push a ReLU's z below 0 for every training input; then σ'(z) = 0, "
            "its δ is 0 and the weights into it stop changing. With this seed several neurons "
            "die within the first hundred steps: watch them go dark (a = 0) and stay dark."
        ),
        "request": {
            "network": _net(
                [2, 8, 8, 1],
                ["relu", "relu", "sigmoid"],
                "bce",
                init="he",
                seed=4,
                features=["x1", "x2"],
            ),
            "dataset": _data("circle", 200, 0.1),
            "training": _training("sgd", 1.0, 10),
        },
    },
    {
        "id": "zero-init",
        "title": "Zero initialisation and symmetry",
        "description": (
            "With every weight 0, all hidden neurons compute the same z and receive the same δ, "
            "so every update keeps them identical. The network behaves as if it had one neuron."
        ),
        "request": {
            "network": _net(
                [2, 4, 1],
                ["sigmoid", "sigmoid"],
                "bce",
                init="zeros",
                seed=0,
                features=["x1", "x2"],
            ),
            "dataset": _data("xor", 200, 0.0),
            "training": _training("sgd", 0.3, 10),
        },
    },
    {
        "id": "diverging",
        "title": "A learning rate that diverges",
        "description": (
            "When η times the loss's curvature exceeds 2, each step overshoots further than the "
            "last and the loss grows without bound. The server refuses the step that would "
            "overflow and says so."
        ),
        "request": {
            "network": _net(
                [2, 4, 1], ["linear", "linear"], "mse", init="xavier", seed=0, features=["x1", "x2"]
            ),
            "dataset": _data("plane", 200, 0.0),
            "training": _training("sgd", 0.2, 10),
        },
    },
]
