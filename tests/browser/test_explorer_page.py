"""The explorer page, clicked through in headless Chromium against the real server.

Each test saves screenshots of the states it reaches to test-artifacts/screenshots/.
Numbers shown by the page are compared with the API's own answers for the same state.
"""

from __future__ import annotations

import itertools
import math
import re

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import LARGE, UI, api, wait_idle, wait_still

pytestmark = pytest.mark.browser


def node_count(ui: UI) -> int:
    return ui.page.locator("[data-node]").count()


def edge_count(ui: UI) -> int:
    return ui.page.locator("[data-edge]").count()


def expected_counts(layers: list[int]) -> tuple[int, int]:
    return sum(layers), sum(a * b for a, b in itertools.pairwise(layers))


def number(locator: Locator, attribute: str) -> float:
    """A numeric data-* attribute of an element (data-a, data-delta, data-w, data-grad)."""
    value = locator.get_attribute(attribute)
    assert value, f"{attribute} is empty"
    return float(value)


def test_default_network_is_drawn(ui: UI) -> None:
    catalog = api(ui.base, "GET", "/api/catalog")
    layers = catalog["defaults"]["network"]["layers"]
    nodes, edges = expected_counts(layers)
    expect(ui.page.locator("[data-node]")).to_have_count(nodes)
    expect(ui.page.locator("[data-edge]")).to_have_count(edges)
    L = len(layers) - 1
    for l, n in enumerate(layers):  # every neuron of every layer, input included
        for j in range(n):
            assert ui.page.locator(f'[data-node="{l}:{j}"]').count() == 1
    # W^l[j][k]: the last edge of the last layer, and the weight it carries is the API's
    session = api(ui.base, "GET", f"/api/networks/{ui.state('s.session.id')}")
    w = session["network"]["weights"][L - 1][layers[L] - 1][layers[L - 1] - 1]
    edge = ui.page.locator(f'[data-edge="{L}:{layers[L] - 1}:{layers[L - 1] - 1}"]')
    assert number(edge, "data-w") == pytest.approx(w, rel=1e-9)
    assert ui.page.locator("[data-metric=step]").inner_text() == "0"
    for action in ("forward", "backward", "step", "play", "reset"):
        expect(ui.page.locator(f"[data-action={action}]")).to_be_visible()
    wait_idle(ui)
    ui.shot("01-default-1280x720")
    ui.page.set_viewport_size(LARGE)
    wait_idle(ui)
    ui.shot("01-default-1920x1080")


def test_adding_a_layer_and_a_neuron_changes_the_drawing(ui: UI) -> None:
    layers = ui.state("s.session.network.layers")
    nodes, _ = expected_counts(layers)
    expect(ui.page.locator("[data-node]")).to_have_count(nodes)
    old_id = ui.state("s.session.id")

    ui.page.click("[data-builder=add-layer]")
    wait_idle(ui)
    grown = ui.state("s.session.network.layers")
    assert len(grown) == len(layers) + 1
    assert ui.state("s.session.id") != old_id  # a new session
    n2, e2 = expected_counts(grown)
    expect(ui.page.locator("[data-node]")).to_have_count(n2)
    expect(ui.page.locator("[data-edge]")).to_have_count(e2)
    assert n2 > nodes
    ui.shot("02-added-layer")

    ui.page.click('[data-builder=add-neuron][data-layer="1"]')
    wait_idle(ui)
    wider = ui.state("s.session.network.layers")
    assert wider[1] == grown[1] + 1
    n3, e3 = expected_counts(wider)
    expect(ui.page.locator("[data-node]")).to_have_count(n3)
    expect(ui.page.locator("[data-edge]")).to_have_count(e3)
    expect(ui.page.locator(f'[data-node="1:{wider[1] - 1}"]')).to_have_count(1)
    # dataset and training settings were kept
    assert ui.state("s.spec.dataset") == api(ui.base, "GET", "/api/catalog")["defaults"]["dataset"]
    ui.shot("03-added-neuron")

    ui.page.click('[data-builder=remove-neuron][data-layer="1"]')
    ui.page.click("[data-builder=remove-layer]")
    wait_idle(ui)
    expect(ui.page.locator("[data-node]")).to_have_count(nodes)


def test_forward_backward_step_and_play(ui: UI) -> None:
    page = ui.page
    sid = ui.state("s.session.id")
    layers = ui.state("s.session.network.layers")
    L = len(layers) - 1

    # Step 0: the untrained network's record is the history's first point and the loss shown
    wait_idle(ui)
    initial = api(ui.base, "GET", f"/api/networks/{sid}/metrics")
    assert initial["step"] == [0]
    assert ui.state("s.history.step") == [0]
    assert ui.state("s.history.train_loss") == initial["train_loss"]
    shown_loss = float(page.locator("[data-metric=loss]").inner_text())
    assert shown_loss == pytest.approx(initial["train_loss"][0], rel=1e-3)

    # Forward: the a values of the selected sample, equal to the API's
    page.click("[data-action=forward]")
    wait_idle(ui)
    wait_still(ui)  # the animation runs left → right; unreached layers show no a yet
    ui.shot("04-forward")
    fwd = api(ui.base, "POST", f"/api/networks/{sid}/forward", {"indices": [0]})
    for l in range(1, L + 1):
        for j in range(layers[l]):
            shown = number(page.locator(f'[data-node="{l}:{j}"]'), "data-a")
            assert shown == pytest.approx(fwd["layers"][l - 1]["a"][0][j], rel=1e-9)
    assert "a " in (page.locator('[data-node="1:0"]').text_content() or "")

    # Backward: δ per neuron, equal to the API's; the edges switch to ∂C/∂W
    page.click("[data-action=backward]")
    wait_idle(ui)
    wait_still(ui)
    ui.shot("05-backward")
    back = api(ui.base, "POST", f"/api/networks/{sid}/backward", {"indices": [0]})
    for l in range(1, L + 1):
        for j in range(layers[l]):
            shown = number(page.locator(f'[data-node="{l}:{j}"]'), "data-delta")
            assert shown == pytest.approx(back["layers"][l - 1]["delta"][0][j], rel=1e-9)
    expect(page.locator("[data-edge-mode=grad]")).to_have_attribute("aria-pressed", "true")
    g = back["layers"][0]["grad_weights"][0][0]
    assert number(page.locator('[data-edge="1:0:0"]'), "data-grad") == pytest.approx(g)

    # Step: the counter, the loss and the weights change
    w_before = number(page.locator('[data-edge="1:0:0"]'), "data-w")
    page.click("[data-action=step]")
    expect(page.locator("[data-metric=step]")).to_have_text("1")
    wait_idle(ui)
    loss = float(page.locator("[data-metric=loss]").inner_text())
    assert math.isfinite(loss) and loss > 0
    session = api(ui.base, "GET", f"/api/networks/{sid}")
    assert session["step"] == 1
    w_after = number(page.locator('[data-edge="1:0:0"]'), "data-w")
    assert w_after == pytest.approx(session["network"]["weights"][0][0][0], rel=1e-9)
    assert w_after != w_before
    assert loss == pytest.approx(session["metrics"]["train_loss"], rel=1e-3)
    page.click("[data-edge-mode=update]")
    expect(page.locator("[data-edge-mode=update]")).to_have_attribute("aria-pressed", "true")
    wait_idle(ui)
    ui.shot("06-step-delta-w")

    # Play: steps run on their own, then stop on Pause
    a_before = page.locator('[data-node="1:0"]').get_attribute("data-a")
    page.click("[data-action=play]")
    expect(page.locator("[data-action=play]")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-metric=step]').textContent) >= 12"
    )
    ui.shot("07-playing")
    page.click("[data-action=play]")
    expect(page.locator("[data-action=play]")).to_have_attribute("aria-pressed", "false")
    wait_idle(ui)
    stopped = int(page.locator("[data-metric=step]").inner_text())
    # the play loop has seen the pause (it clears the measured rate), and sends nothing more
    expect(page.locator("#speed-label")).not_to_contain_text("steps/s")
    wait_idle(ui)
    assert int(page.locator("[data-metric=step]").inner_text()) == stopped
    assert api(ui.base, "GET", f"/api/networks/{sid}")["step"] == stopped
    assert page.locator('[data-node="1:0"]').get_attribute("data-a") != a_before
    # Play streams: a record per step up to step 50, then one per frame (as GET /metrics
    # stores them), from the step-0 record to the step it stopped at, none repeated
    history_steps = ui.state("s.history.step")
    dense = min(stopped, 50)
    assert history_steps[: dense + 1] == list(range(dense + 1))
    assert history_steps[-1] == stopped
    assert all(a < b for a, b in itertools.pairwise(history_steps))
    stored = api(ui.base, "GET", f"/api/networks/{sid}/metrics")
    assert stored["step"] == history_steps
    assert ui.state("s.history.train_loss") == stored["train_loss"]
    expect(page.locator("#loss-chart path.line.train")).to_have_attribute("d", re.compile(r"^M"))
    ui.shot("08-paused")

    # Reset: back to step 0
    page.click("[data-action=reset]")
    expect(page.locator("[data-metric=step]")).to_have_text("0")
    wait_idle(ui)


def test_worked_example_reaches_0_597_after_30_steps(ui: UI) -> None:
    page = ui.page
    page.select_option("[data-control=preset]", "worked-example")
    expect(page.locator("[data-node]")).to_have_count(2)
    expect(page.locator("[data-edge]")).to_have_count(1)
    wait_idle(ui)
    edge = page.locator('[data-edge="1:0:0"]')
    assert number(edge, "data-w") == 2.0
    ui.shot("09-worked-example-start")
    for _ in range(30):  # clicks queue up; the page sends one request at a time
        page.click("[data-action=step]")
    expect(page.locator("[data-metric=step]")).to_have_text("30")
    wait_idle(ui)
    w = number(edge, "data-w")
    assert round(w, 3) == 0.597
    assert w == pytest.approx(0.5971686, abs=1e-6)
    expect(page.locator("svg.net .edge-label")).to_have_text("w = 0.5972")
    loss = float(page.locator("[data-metric=loss]").inner_text())
    assert loss == pytest.approx(0.5 * w**4, rel=1e-3)
    wait_still(ui)  # the edges have morphed to the last step's weights
    box = edge.bounding_box()  # a horizontal line: its box has no height, so hover by position
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.locator("#tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("W¹₀₀")
    expect(tooltip).to_contain_text("0.5972")
    ui.shot("10-worked-example-30-steps")


def test_dataset_points_and_errors(ui: UI) -> None:
    page = ui.page
    n_train = ui.state("s.session.dataset.x.length")
    page.locator("#data-scatter").scroll_into_view_if_needed()
    box = page.locator("#data-scatter svg").bounding_box()
    assert box
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    page.wait_for_function(
        f"() => window.backprop.store.state.session.dataset.x.length === {n_train + 1}"
    )
    page.keyboard.down("Shift")
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7)
    page.keyboard.up("Shift")
    page.wait_for_function(
        f"() => window.backprop.store.state.session.dataset.x.length === {n_train + 2}"
    )
    labels = ui.state("s.session.dataset.labels.slice(-2).map((r) => r[0])")
    assert labels == [1, 0]
    wait_idle(ui)
    expect(page.locator("#data-scatter circle.pt")).to_have_count(
        ui.state("s.session.dataset.x.length + s.session.dataset.test_x.length")
    )
    assert page.locator("#data-scatter circle.pt.is-test").count() == ui.state(
        "s.session.dataset.test_x.length"
    )
    ui.shot("11-points-added")

    # a point of the output plot selects the sample the network view shows
    point = page.locator('#boundary circle.pt[data-split="test"]').first
    point.click()
    page.wait_for_function("() => window.backprop.store.state.sample.split === 'test'")
    wait_idle(ui)
    index = ui.state("s.sample.index")
    expect(page.locator("[data-role=sample]")).to_contain_text(f"test #{index}")
    sid = ui.state("s.session.id")
    fwd = api(
        ui.base, "POST", f"/api/networks/{sid}/forward", {"indices": [index], "split": "test"}
    )
    shown = number(page.locator('[data-node="1:0"]'), "data-a")
    assert shown == pytest.approx(fwd["layers"][0]["a"][0][0], rel=1e-9)

    # another dataset: a new session with the same network
    page.select_option("[data-control=dataset]", "spiral")
    page.wait_for_function("() => window.backprop.store.state.session.dataset.name === 'spiral'")
    wait_idle(ui)
    ui.shot("12-spiral")

    # an API error appears as a readable message: a refused setting beside its field
    # (issue 16: plain words instead of the raw "learning_rate: Input should be…" banner)
    ui.allow_console_error(r"status of 422")
    page.fill("[data-control=learning-rate]", "0")
    page.locator("[data-control=learning-rate]").dispatch_event("change")
    message = page.locator("[data-role=field-error]")
    expect(message).to_be_visible()
    expect(message).to_have_attribute("data-field", "learning_rate")
    expect(message).to_contain_text("The learning rate must be more than 0.")
    ui.shot("13-error-banner")


def test_no_request_leaves_the_host(ui: UI) -> None:
    """The page and the API docs load every script, style and font from the app itself."""
    page = ui.page
    page.click("[data-action=forward]")
    page.select_option("[data-control=preset]", "xor")
    wait_idle(ui)
    page.goto(ui.base + "/docs")
    page.wait_for_load_state("networkidle")
    assert ui.requests, "no requests were recorded"
    assert ui.off_host() == []
    assert ui.unexpected_errors() == []
