"""POST /api/trace: one stateless forward and backward pass, equal to the engine's."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.engine.network import Network

CONTRACT_EXAMPLE = {
    "network": {"layers": [1, 1], "activations": ["square"], "loss": "mse", "bias": False,
                "weights": [[[2.0]]]},
    "x": [[1.0]],
    "y": [[0.0]],
}  # fmt: skip

# (layers, activations, loss, bias, targets for a batch of 5)
NETWORKS = {
    "contract-shape": ([2, 3, 1], ["tanh", "sigmoid"], "mse", True, "regression"),
    "bce": ([2, 4, 3, 1], ["relu", "leaky_relu", "sigmoid"], "bce", True, "binary"),
    "softmax": ([3, 4, 3], ["softplus", "softmax"], "cross_entropy", True, "one-hot"),
    "no-bias": ([2, 3, 2], ["tanh", "linear"], "mse", False, "regression"),
    "square": ([1, 2, 1], ["square", "square"], "mse", False, "regression"),
}


def _request(layers: list[int], acts: list[str], loss: str, bias: bool, targets: str) -> Any:
    rng = np.random.default_rng(7)
    weights = [rng.normal(size=(n, m)).tolist() for m, n in pairwise(layers)]
    x = rng.normal(size=(5, layers[0]))
    if targets == "binary":
        y = rng.integers(0, 2, size=(5, layers[-1])).astype(float)
    elif targets == "one-hot":
        y = np.eye(layers[-1])[rng.integers(0, layers[-1], size=5)]
    else:
        y = rng.normal(size=(5, layers[-1]))
    network: dict[str, Any] = {"layers": layers, "activations": acts, "loss": loss,
                               "bias": bias, "weights": weights}  # fmt: skip
    if bias:
        network["biases"] = [rng.normal(size=n).tolist() for n in layers[1:]]
    return {"network": network, "x": x.tolist(), "y": y.tolist()}


def test_contract_example(client: TestClient) -> None:
    response = client.post("/api/trace", json=CONTRACT_EXAMPLE)
    assert response.status_code == 200
    body = response.json()
    assert body["loss"] == 8.0  # ½ w⁴ at w = 2
    assert body["sample_losses"] == [8.0]
    assert body["layers"] == [
        {"z": [[2.0]], "a": [[4.0]], "delta": [[16.0]], "grad_weights": [[16.0]],
         "grad_biases": None}
    ]  # fmt: skip


@pytest.mark.parametrize("spec", NETWORKS.values(), ids=NETWORKS.keys())
def test_values_equal_the_engines_backward(client: TestClient, spec: tuple[Any, ...]) -> None:
    request = _request(*spec)
    net = request["network"]
    engine = Network.from_arrays(net["layers"], net["activations"], net["loss"],
                                 net["weights"], net.get("biases"), net["bias"])  # fmt: skip
    expected = engine.backward(np.array(request["x"]), np.array(request["y"]))

    body = client.post("/api/trace", json=request).json()

    assert body["loss"] == expected.loss
    np.testing.assert_array_equal(body["sample_losses"], expected.sample_losses)
    assert len(body["layers"]) == len(net["layers"]) - 1  # l = 1 … L, no input layer
    for got, want in zip(body["layers"], expected.layers, strict=True):
        for key in ("z", "a", "delta", "grad_weights"):
            np.testing.assert_array_equal(got[key], getattr(want, key), err_msg=key)
        if net["bias"]:
            np.testing.assert_array_equal(got["grad_biases"], want.grad_biases)
        else:
            assert got["grad_biases"] is None


def test_shapes_follow_the_notation(client: TestClient) -> None:
    body = client.post("/api/trace", json=_request(*NETWORKS["bce"])).json()
    widths = [2, 4, 3, 1]
    for l, layer in enumerate(body["layers"], start=1):
        for key in ("z", "a", "delta"):
            assert np.shape(layer[key]) == (5, widths[l]), (l, key)
        assert np.shape(layer["grad_weights"]) == (widths[l], widths[l - 1])
        assert np.shape(layer["grad_biases"]) == (widths[l],)


def test_bias_false_omits_biases(client: TestClient) -> None:
    request = _request(*NETWORKS["no-bias"])
    assert "biases" not in request["network"]
    body = client.post("/api/trace", json=request).json()
    assert [layer["grad_biases"] for layer in body["layers"]] == [None, None]


def test_bias_defaults_to_true(client: TestClient) -> None:
    request = _request(*NETWORKS["contract-shape"])
    del request["network"]["bias"]
    body = client.post("/api/trace", json=request).json()
    assert [len(layer["grad_biases"]) for layer in body["layers"]] == [3, 1]


def test_trace_stores_nothing(client: TestClient) -> None:
    assert client.post("/api/trace", json=CONTRACT_EXAMPLE).status_code == 200
    assert client.get("/api/networks").json() == {"sessions": []}
