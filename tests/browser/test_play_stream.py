"""Play over the WebSocket (static/js/play-stream.js) and its fallback to REST stepping."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, WebSocket, expect

from tests.browser.conftest import UI, api, open_ui, wait_idle


def play_then_pause(ui: UI, at_least: int, shot: str) -> int:
    page = ui.page
    page.click("[data-action=play]")
    expect(page.locator("[data-action=play]")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function(
        f"() => Number(document.querySelector('[data-metric=step]').textContent) >= {at_least}"
    )
    ui.shot(shot)
    page.click("[data-action=play]")
    expect(page.locator("[data-action=play]")).to_have_attribute("aria-pressed", "false")
    wait_idle(ui)
    return int(page.locator("[data-metric=step]").inner_text())


def test_play_streams_over_a_websocket(ui: UI) -> None:
    sockets: list[WebSocket] = []
    ui.page.on("websocket", lambda ws: sockets.append(ws))
    sid = ui.state("s.session.id")
    stopped = play_then_pause(ui, 60, "play-stream-playing")
    assert any(ws.url.endswith(f"/api/networks/{sid}/stream") for ws in sockets)
    assert not any(f"/api/networks/{sid}/step" in u for u in ui.requests)
    assert stopped >= 60
    assert api(ui.base, "GET", f"/api/networks/{sid}")["step"] == stopped
    assert ui.state("s.session.step") == stopped
    # after the pause the page's history is the stored one, frame rows included
    stored = api(ui.base, "GET", f"/api/networks/{sid}/metrics")
    assert ui.state("s.history.step") == stored["step"]
    assert ui.state("s.history.train_loss") == stored["train_loss"]
    assert ui.state("s.boundary.output.length") == 40 * 40


@pytest.fixture
def ui_without_websocket(browser: Browser, server: str) -> Iterator[UI]:
    yield from open_ui(browser, server, init_script="window.WebSocket = undefined;")


def test_play_falls_back_to_rest_without_websocket(ui_without_websocket: UI) -> None:
    ui = ui_without_websocket
    sockets: list[WebSocket] = []
    ui.page.on("websocket", lambda ws: sockets.append(ws))
    sid = ui.state("s.session.id")
    stopped = play_then_pause(ui, 12, "play-rest-fallback-playing")
    assert sockets == []
    assert any(f"/api/networks/{sid}/step" in u for u in ui.requests)
    assert api(ui.base, "GET", f"/api/networks/{sid}")["step"] == stopped
    assert ui.state("s.history.step") == list(range(stopped + 1))


def played_boundary_requests(ui: UI) -> list[dict[str, object]]:
    """Play for a moment; the `boundary` setting of each play/speed message the page sent."""
    sent: list[dict[str, object]] = []

    def watch(ws: WebSocket) -> None:
        def on_frame(payload: str | bytes) -> None:
            msg = json.loads(payload) if isinstance(payload, str) else {}
            if msg.get("type") in ("play", "speed") and "boundary" in msg:
                sent.append(msg["boundary"])

        ws.on("framesent", on_frame)

    ui.page.on("websocket", watch)
    play_then_pause(ui, 5, "play-stream-boundary")
    return sent


@pytest.mark.parametrize(
    ("layers", "maps"),
    [([2, 4, 2, 1], True), ([2, 16, 16, 16, 16, 16, 16, 1], False)],
    ids=["default-size", "6x16"],
)
def test_neuron_grids_are_streamed_only_while_their_maps_are_drawn(
    ui: UI, layers: list[int], maps: bool
) -> None:
    spec = ui.state("s.spec")
    spec["network"] |= {"layers": layers, "activations": ["tanh"] * (len(layers) - 2) + ["sigmoid"]}
    spec["network"].pop("weights", None)
    spec["network"].pop("biases", None)
    sid = api(ui.base, "POST", "/api/networks", spec)["id"]
    ui.page.evaluate("(id) => window.backprop.actions.loadSession(id)", sid)
    ui.page.wait_for_function("(id) => window.backprop.store.state.session?.id === id", arg=sid)
    wait_idle(ui)
    assert ui.state("s.neuronMaps") is maps
    sent = played_boundary_requests(ui)
    assert sent and all(b["neurons"] is maps and b["per_second"] == 12 for b in sent)
    # paused: the edges' data-w hooks are the stored weights again, exactly
    weights = api(ui.base, "GET", f"/api/networks/{sid}")["network"]["weights"]
    last = len(layers) - 1
    shown = ui.page.locator(f'[data-edge="{last}:0:0"]').get_attribute("data-w")
    assert float(shown or "nan") == pytest.approx(weights[last - 1][0][0], rel=1e-9)


def test_edges_on_the_gradient_follow_the_weights_while_streaming(ui: UI) -> None:
    """With the edges on ∂C/∂W, Play refreshes the sample's gradient at the current weights:
    the one shown is exactly the gradient at the stored weights of the step it names."""
    page = ui.page
    page.click("[data-edge-mode=grad]")
    page.evaluate("() => window.backprop.actions.setSpeed(1)")  # one update per frame
    page.click("[data-action=play]")
    page.wait_for_function(
        "() => { const s = window.backprop.store.state;"
        " return s.playing && s.gradient?.source === 'sample' && s.gradient.step >= 1; }"
    )
    gradient = ui.state("s.gradient")
    page.click("[data-action=play]")
    wait_idle(ui)
    assert 1 <= gradient["step"] <= 50  # snapshots are kept at every one of the first 50 steps
    sid = ui.state("s.session.id")
    session = api(ui.base, "GET", f"/api/networks/{sid}")
    snaps = api(ui.base, "GET", f"/api/networks/{sid}/snapshots")["snapshots"]
    at = next(s for s in snaps if s["step"] == gradient["step"])
    net = session["network"]
    sample = gradient["sample"]
    assert sample == {"split": "train", "index": 0}
    spec = {k: net[k] for k in ("layers", "activations", "loss", "bias")}
    spec |= {"weights": at["weights"], "biases": at["biases"]}
    x, y = session["dataset"]["x"][0], session["dataset"]["y"][0]
    expected = api(ui.base, "POST", "/api/trace", {"network": spec, "x": [x], "y": [y]})
    for l, layer in enumerate(expected["layers"]):
        for shown, want in zip(gradient["weights"][l], layer["grad_weights"], strict=True):
            assert shown == pytest.approx(want, rel=1e-12, abs=1e-15)
