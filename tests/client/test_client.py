"""Every method of app.client.Client, against a live server and in this process."""

from __future__ import annotations

import numpy as np
import pytest

from app.client import ApiError, Client, Network
from app.presets import DEFAULT_REQUEST
from tests.client.conftest import preset
from tests.servers import free_port

WORKED = preset("worked-example")


def _w(steps: int) -> float:
    """The worked example's weight after ``steps`` SGD steps: w ← w − η · 2w³."""
    w = 2.0
    for _ in range(steps):
        w -= 0.02 * 2 * w**3
    return w


def test_health_and_catalog(client: Client) -> None:
    assert client.health()["status"] == "ok"
    catalog = client.catalog()
    assert "square" in [a["name"] for a in catalog["activations"]]
    assert catalog["limits"]["max_steps"] > 0


def test_create_get_and_the_worked_example(client: Client) -> None:
    s = client.create(WORKED["network"], WORKED["dataset"], WORKED["training"])
    assert s.step == 0
    assert s.network.weights[0].tolist() == [[2.0]] and s.network.biases is None
    assert s.dataset.x.tolist() == [[1.0]] and s.dataset.kind == "regression"
    assert s.metrics is not None and s.metrics.train_loss == 8.0  # C = ½w⁴
    assert np.isnan(s.metrics.test_loss)  # no test set: null → nan
    result = client.step(s, 30, trace=False)
    assert result.step == 30 and result.applied_steps == 30 and not result.diverged
    w = result.network.weights[0][0, 0]
    assert abs(w - 0.5971686) < 1e-7 and w == pytest.approx(_w(30), rel=1e-13)
    assert result.history is not None and result.history.step.tolist() == list(range(1, 31))
    again = client.get(s.id)
    assert again.step == 30 and again.network.weights[0][0, 0] == w
    assert again.dead == [[]] and result.dead == [[]]  # a = w² > 0: nothing dead


def test_dead_relus_are_named_per_layer(client: Client) -> None:
    s = client.create_from(preset("dead-relu"))
    result = client.step(s, 50, trace=False)
    assert result.dead is not None and sum(len(layer) for layer in result.dead) == 3
    assert client.get(s).dead == result.dead


def test_one_step_answers_trace_and_update(client: Client) -> None:
    s = client.create_from(WORKED)
    result = client.step(s.id)
    assert result.indices == [0]
    assert result.trace is not None and result.update is not None
    layer = result.trace.layers[0]
    assert (layer.z.tolist(), layer.a.tolist(), layer.delta.tolist()) == (
        [[2.0]],
        [[4.0]],
        [[16.0]],
    )
    assert result.update.weights[0].tolist() == [[-0.02 * 16.0]]
    assert result.network.weights[0][0, 0] == pytest.approx(2.0 - 0.32)


def test_stateless_trace(client: Client) -> None:
    net = {**WORKED["network"]}
    t = client.trace(net, [[1.0]], np.array([[0.0]]))
    assert t.loss == 8.0 and t.sample_losses.tolist() == [8.0]
    (layer,) = t.layers
    assert layer.grad_weights.tolist() == [[16.0]] and layer.grad_biases is None
    assert t.weights is not None and t.weights[0].tolist() == [[2.0]]
    assert t.chain_rule(1, 0, 0).value == 16.0


def test_trace_takes_a_network_dataclass(client: Client) -> None:
    s = client.create_from(preset("xor"))
    x, y = s.dataset.x[:3], s.dataset.y[:3]
    features = np.column_stack([x[:, 0], x[:, 1]])  # the preset's features are x1, x2
    t = client.trace(s.network, features, y)
    b = client.backward(s, [0, 1, 2])
    assert t.loss == pytest.approx(b.loss, rel=1e-12)
    for ours, theirs in zip(t.layers, b.layers, strict=True):
        np.testing.assert_allclose(ours.grad_weights, theirs.grad_weights, rtol=1e-12)


def test_forward_backward_by_indices_and_by_x(client: Client) -> None:
    s = client.create_from(preset("xor"))
    f = client.forward(s, [0, 5])
    assert f.indices == [0, 5] and f.x_raw.shape == (2, 2) and f.output.shape == (2, 1)
    assert [layer.z.shape for layer in f.layers] == [(2, 2), (2, 1)]
    by_x = client.forward(s, x=f.x_raw)
    np.testing.assert_array_equal(by_x.output, f.output)
    assert by_x.indices is None
    b = client.backward(s)  # the next minibatch: what step 1 will use
    assert b.step == 0 and b.indices is not None and len(b.indices) == 10
    assert b.update is not None and b.update.biases is not None
    lr = s.training["learning_rate"]
    np.testing.assert_allclose(b.update.weights[0], -lr * b.layers[0].grad_weights, rtol=1e-12)
    step = client.step(s)
    assert step.indices == b.indices
    explicit = client.backward(s, x=[[1.0, 1.0]], y=[[0.0]])
    assert explicit.indices is None and explicit.x_raw.tolist() == [[1.0, 1.0]]


def test_boundary(client: Client) -> None:
    s = client.create_from(preset("xor"))
    b = client.boundary(s, 8, neurons=True)
    assert b.dims == 2 and b.resolution == 8 and b.output.shape == (8, 8)
    assert b.inputs is not None and b.inputs.shape == (2, 8, 8)
    assert b.neurons is not None and [n.shape for n in b.neurons] == [(2, 8, 8), (1, 8, 8)]
    assert client.boundary(s).neurons is None


def test_gradcheck(client: Client) -> None:
    s = client.create_from(preset("xor"))
    good = client.gradcheck(s, [0])
    assert good.passed and good.max_relative_error < good.threshold
    assert [g.layer for g in good.layers] == [1, 2] and all(g.passed for g in good.layers)
    assert good.counts == {"pass": 9, "fail": 0, "kink": 0}  # 2×2 + 2 + 1×2 + 1 parameters
    first = good.layers[0].parameters[0]
    assert (first.name, first.verdict) == ("W^1_{0,0}", "pass")
    assert first.backprop == good.layers[0].backprop_weights[0, 0]
    np.testing.assert_allclose(
        good.layers[0].backprop_weights, good.layers[0].numeric_weights, rtol=1e-5, atol=1e-9
    )
    broken = client.gradcheck(s, [0], drop_derivative_layer=1)
    assert not broken.passed and broken.drop_derivative_layer == 1
    assert broken.counts["fail"] > 0 and not broken.layers[0].passed


def test_paths_equal_the_delta_recurrence(client: Client) -> None:
    s = client.create_from(preset("xor"))
    p = client.paths(s, layer=1, row=0, column=1, index=3)
    assert (p.layer, p.row, p.column, p.index, p.paths) == (1, 0, 1, 3, 1)
    assert p.path_gradient == pytest.approx(p.dp_gradient, rel=1e-12, abs=1e-15)
    assert p.top_paths[0].neurons[0] == 0
    assert [c.paths for c in p.cost_by_depth[1:4]] == [1, 2, 4]


def test_metrics_and_snapshots(client: Client) -> None:
    s = client.create_from(WORKED)
    client.step(s, 3, trace=False)
    h = client.metrics(s)
    assert h.step.tolist() == [0, 1, 2, 3]
    w = [2.0, _w(1), _w(2), _w(3)]
    np.testing.assert_allclose(h.train_loss, [0.5 * v**4 for v in w], rtol=1e-12)
    assert h.delta_norms.shape == (4, 1) and np.isnan(h.test_loss).all()
    assert client.metrics(s, since=2).step.tolist() == [2, 3]
    snaps = client.snapshots(s)
    assert [sn.step for sn in snaps] == [0, 1, 2, 3]
    assert snaps[2].weights[0][0, 0] == pytest.approx(w[2], rel=1e-13)


def test_edits_reset_and_delete(client: Client) -> None:
    s = client.create_from(preset("xor"))
    edited = client.set_parameter(s, layer=2, row=0, column=1, value=0.25)
    assert edited.network.weights[1][0, 1] == 0.25
    edited = client.set_parameter(s, layer=1, row=1, value=-0.5, kind="bias")
    assert edited.network.biases is not None and edited.network.biases[0][1] == -0.5
    assert client.update_training(s, learning_rate=0.5).training["learning_rate"] == 0.5
    client.step(s, 2, trace=False)
    reset = client.reset(s)
    assert reset.step == 0
    np.testing.assert_array_equal(reset.network.weights[0], s.network.weights[0])
    client.delete(s)
    with pytest.raises(ApiError) as err:
        client.get(s)
    assert err.value.status == 404 and s.id in err.value.detail


def test_export_and_import_reproduce_the_session(client: Client) -> None:
    s = client.create_from(preset("xor"))
    client.step(s, 7, trace=False)
    exported = client.export(s)
    assert exported["state"]["step"] == 7
    copy = client.import_session(exported)
    assert copy.id != s.id and copy.step == 7
    a, b = client.step(s, 5, trace=False), client.step(copy, 5, trace=False)
    for wa, wb in zip(a.network.weights, b.network.weights, strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert client.metrics(copy).step.tolist() == client.metrics(s).step.tolist()


def test_play_yields_decoded_frames_equal_to_rest_steps(client: Client) -> None:
    s = client.create_from(DEFAULT_REQUEST)
    twin = client.create_from(DEFAULT_REQUEST)
    with client.play(s, steps_per_frame=20, frames=3) as stream:
        assert stream.hello["step"] == 0 and stream.hello["layers"] == [2, 4, 2, 1]
        frames = list(stream)
    assert [f.step for f in frames] == [20, 40, 60] and [f.seq for f in frames] == [1, 2, 3]
    assert stream.paused is not None and stream.paused["reason"] == "pause"
    rest = client.step(twin, 60, trace=False)
    for ours, theirs in zip(frames[-1].weights, rest.network.weights, strict=True):
        np.testing.assert_array_equal(ours, theirs)  # float64 frames are exact
    assert frames[-1].biases is not None and len(frames[-1].biases) == 3
    assert frames[-1].metrics.step == 60
    assert client.get(s).step == stream.paused["step"]


def test_play_with_boundary_grids_and_json_frames(client: Client) -> None:
    s = client.create_from(preset("xor"))
    grid = {"every": 2, "resolution": 6, "neurons": True}
    with client.play(s, steps_per_frame=1, frames=3, boundary=grid) as stream:
        frames = list(stream)
    assert stream.paused is not None
    paused_at = stream.paused["step"]  # frames trained before the pause arrived count too
    assert [f.boundary is not None for f in frames] == [True, False, True]
    b = frames[0].boundary
    assert b is not None and b.output.shape == (6, 6) and b.output.dtype == np.float32
    assert b.neurons is not None and [n.shape for n in b.neurons] == [(2, 6, 6), (1, 6, 6)]
    with client.play(s, steps_per_frame=1, frames=1, format="json") as stream:
        (frame,) = list(stream)
    assert frame.step == paused_at + 1 and frame.boundary is None
    assert frame.weights[0].shape == (2, 2) and frame.weights[0].dtype == np.float64


def test_play_stops_when_training_diverges(client: Client) -> None:
    request = preset("worked-example")
    request["training"]["learning_rate"] = 100.0
    s = client.create_from(request)
    with client.play(s, steps_per_frame=50) as stream:
        frames = list(stream)
    assert stream.paused is not None and stream.paused["reason"] == "diverged"
    assert frames and frames[-1].diverged and frames[-1].message


def test_play_on_an_unknown_session_raises_404(client: Client) -> None:
    with pytest.raises(ApiError) as err:
        client.play("no-such-session", frames=1)
    assert err.value.status == 404 and "no-such-session" in err.value.detail


def test_invalid_input_raises_api_error_with_the_servers_detail(client: Client) -> None:
    net = {**WORKED["network"], "weights": [[[2.0, 1.0]]]}
    with pytest.raises(ApiError) as err:
        client.create(net, WORKED["dataset"])
    assert err.value.status == 422
    assert "network.weights[0]" in err.value.detail and "1 × 1" in err.value.detail
    assert err.value.errors[0]["loc"] == ["network", "weights[0]"]
    assert str(err.value).startswith("422: network.weights[0]")


def test_network_dataclass_round_trips_to_a_request(client: Client) -> None:
    s = client.create_from(preset("xor"))
    copy = client.create(s.network, {"name": "xor", "n_samples": 20})
    np.testing.assert_array_equal(copy.network.weights[1], s.network.weights[1])
    assert isinstance(copy.network, Network)


def test_an_unreachable_server_is_an_api_error_with_status_0() -> None:
    with Client(f"http://127.0.0.1:{free_port()}", timeout=2) as c, pytest.raises(ApiError) as err:
        c.health()
    assert err.value.status == 0 and "could not reach the server" in err.value.detail
