"""The client's frame decoder reads what the server's encoder writes (app.api.frames)."""

from __future__ import annotations

import numpy as np

from app.api import frames
from app.client import stream


def test_the_client_speaks_the_servers_protocol() -> None:
    assert stream.PROTOCOL == frames.PROTOCOL


def test_a_binary_frame_decodes_to_weights_biases_and_float32_grids() -> None:
    # layers [2, 3, 1]: W^1 3×2 at 0, b^1 at 6, W^2 1×3 at 9, b^2 at 12 (hello's layout).
    params = np.arange(13, dtype=np.float64) / 7
    output = np.linspace(0, 1, 16, dtype=np.float32)
    neurons = [np.full(48, 0.25, np.float32), np.full(16, 0.5, np.float32)]
    inputs = np.zeros(32, np.float32)
    spans = frames.layout([params], [output, inputs, *neurons])
    header = {
        "type": "frame", "seq": 4, "step": 40, "steps": 10, "train_ms": 1.5,
        "diverged": False, "message": None, "params": spans[0],
        "metrics": {"step": 40, "train_loss": 0.5, "test_loss": None, "train_accuracy": 0.75,
                    "test_accuracy": None, "delta_norms": [0.1, 0.2], "grad_norms": [0.3, 0.4]},
        "boundary": {"dims": 2, "resolution": 4, "domain": [[-6, 6], [-6, 6]],
                     "output": spans[1], "inputs": spans[2], "neurons": spans[3:]},
    }  # fmt: skip
    message = frames.encode_binary(header, [params], [output, inputs, *neurons])
    f = stream.decode(message, [[0, 3, 2, 6], [9, 1, 3, 12]])
    assert (f.seq, f.step, f.steps) == (4, 40, 10)
    np.testing.assert_array_equal(f.weights[0], params[:6].reshape(3, 2))
    np.testing.assert_array_equal(f.weights[1], params[9:12].reshape(1, 3))
    assert f.biases is not None
    np.testing.assert_array_equal(f.biases[0], params[6:9])
    assert f.metrics.train_accuracy == 0.75 and np.isnan(f.metrics.test_loss)
    assert f.boundary is not None
    np.testing.assert_array_equal(f.boundary.output, output.reshape(4, 4))
    assert f.boundary.neurons is not None and f.boundary.neurons[0].shape == (3, 4, 4)
    assert f.boundary.inputs is not None and f.boundary.inputs.shape == (2, 4, 4)


def test_without_biases_the_layout_has_none() -> None:
    params = np.array([2.0])
    header = {"type": "frame", "seq": 1, "step": 1, "steps": 1, "train_ms": 0.1,
              "diverged": False, "message": None, "params": frames.layout([params], [])[0],
              "metrics": {"step": 1, "train_loss": 8.0, "test_loss": None,
                          "train_accuracy": None, "test_accuracy": None,
                          "delta_norms": [16.0], "grad_norms": [16.0]},
              "boundary": None}  # fmt: skip
    f = stream.decode(frames.encode_binary(header, [params], []), [[0, 1, 1, None]])
    assert f.weights[0].tolist() == [[2.0]] and f.biases is None and f.boundary is None
