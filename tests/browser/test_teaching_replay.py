"""Replay: the timeline over the stored snapshots shows each one's weights, output plane
and metrics as the API stored them; one update stepped through in phases predicts the
update the next Step applies."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LARGE, SMALL, UI, api, wait_idle
from tests.browser.test_teaching_support import data, open_tab, scrub_replay, shot, sid, steps

pytestmark = pytest.mark.browser

ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "relu": lambda z: np.maximum(z, 0),
    "linear": lambda z: z,
}


def output_plane(network: dict, weights: list, biases: list, inputs: list) -> np.ndarray:
    """The first output unit over the boundary's grid of features, by numpy."""
    a = np.asarray(inputs, dtype=float).T  # P × n_0
    for W, b, act in zip(weights, biases, network["activations"], strict=True):
        a = ACTIVATIONS[act](a @ np.asarray(W).T + np.asarray(b))
    return np.asarray(a[:, 0])


def edges_equal(ui: UI, weights: list) -> None:
    for l, W in enumerate(weights, start=1):
        for j, row in enumerate(W):
            for k, w in enumerate(row):
                edge = ui.page.locator(f'[data-replay-edge="{l}:{j}:{k}"]')
                assert data(edge, "w") == w


def check_timeline(ui: UI) -> None:
    """Six steps stored; the latest snapshot and the one of step 3 as the API has them."""
    page = ui.page
    steps(ui, 6)
    open_tab(ui, "replay")
    root = page.locator("[data-teach=replay]")
    page.wait_for_selector("[data-teach=replay][data-step='6']")
    wait_idle(ui)
    snaps = api(ui.base, "GET", f"/api/networks/{sid(ui)}/snapshots")["snapshots"]
    assert [s["step"] for s in snaps] == list(range(7))
    edges_equal(ui, snaps[-1]["weights"])
    # at the latest snapshot the page's plane is the API's GET /boundary
    boundary = api(ui.base, "GET", f"/api/networks/{sid(ui)}/boundary?resolution=40&neurons=true")
    canvas = page.locator("[data-replay=boundary]")
    assert data(canvas, "output-sum") == pytest.approx(sum(boundary["output"]), rel=1e-10)
    shot(ui, "teach-replay-latest-1280x720")

    # scrub back with the keyboard to the snapshot of step 3
    scrub_replay(ui, 3)
    page.wait_for_selector("[data-teach=replay][data-step='3']")
    edges_equal(ui, snaps[3]["weights"])
    net = api(ui.base, "GET", f"/api/networks/{sid(ui)}")["network"]
    plane = output_plane(net, snaps[3]["weights"], snaps[3]["biases"], boundary["inputs"])
    assert data(canvas, "output-sum") == pytest.approx(float(plane.sum()), rel=1e-10)
    assert data(canvas, "output-sum") != pytest.approx(sum(boundary["output"]), rel=1e-6)
    metrics = api(ui.base, "GET", f"/api/networks/{sid(ui)}/metrics?since=0")
    i = metrics["step"].index(3)
    for key in ("train_loss", "test_loss", "train_accuracy"):
        assert data(root.locator(f'[data-replay-metric="{key}"]'), "value") == metrics[key][i]
    expect(page.locator("[data-role=replay-step]")).to_contain_text("step 3")
    page.set_viewport_size(LARGE)
    shot(ui, "teach-replay-step3-1920x1080")
    page.set_viewport_size(SMALL)
    page.click("[data-teach-action=replay-now]")
    page.wait_for_selector("[data-teach=replay][data-step='6']")


def check_phases(ui: UI) -> None:
    """Forward → loss → backward → update on the next minibatch; the update the step applies."""
    page = ui.page
    phases = page.locator("[data-teach=phases]")
    nxt = page.locator("[data-teach-action=phase-next]")
    before = api(ui.base, "GET", f"/api/networks/{sid(ui)}")
    preview = api(ui.base, "POST", f"/api/networks/{sid(ui)}/backward", {})  # consumes nothing
    L = len(before["network"]["layers"]) - 1

    nxt.click()
    expect(phases).to_have_attribute("data-phase", "forward")
    expect(phases.locator("[data-phase=forward]")).to_have_attribute("aria-current", "step")
    rows = phases.locator("tbody tr")
    for b in range(rows.count()):
        assert int(rows.nth(b).get_attribute("data-sample") or -1) == preview["indices"][b]
        assert data(rows.nth(b), "output") == preview["layers"][L - 1]["a"][b][0]

    nxt.click()
    expect(phases).to_have_attribute("data-phase", "loss")
    assert data(phases, "loss") == preview["loss"]
    assert preview["loss"] == pytest.approx(float(np.mean(preview["sample_losses"])), rel=1e-12)

    nxt.click()
    expect(phases).to_have_attribute("data-phase", "backward")
    for l, layer in enumerate(preview["layers"]):
        norm = math.sqrt(sum(g * g for row in layer["grad_weights"] for g in row))
        row = phases.locator(f'tbody tr[data-layer="{l + 1}"]')
        assert data(row, "grad-norm") == pytest.approx(norm, rel=1e-12)
    # the network's edges show this minibatch's gradient
    expect(page.locator("[data-edge-mode=grad]")).to_have_attribute("aria-pressed", "true")
    g = preview["layers"][0]["grad_weights"][0][0]
    assert data(page.locator('[data-edge="1:0:0"]'), "grad") == pytest.approx(g, rel=1e-9)
    shot(ui, "teach-phases-backward-1280x720")

    nxt.click()
    expect(phases).to_have_attribute("data-phase", "update")
    page.wait_for_selector("[data-teach=phases][data-max-diff]")
    after = api(ui.base, "GET", f"/api/networks/{sid(ui)}")
    assert after["step"] == before["step"] + 1
    eta = before["training"]["learning_rate"]
    upd = (preview.get("update") or {}).get("weights")
    for l in range(L):
        applied = np.subtract(after["network"]["weights"][l], before["network"]["weights"][l])
        predicted = upd[l] if upd else -eta * np.asarray(preview["layers"][l]["grad_weights"])
        np.testing.assert_allclose(applied, predicted, rtol=1e-9, atol=1e-14)
    assert data(phases, "max-diff") <= 1e-12
    expect(phases.locator("[data-teach-verdict=pass]")).to_be_visible()
    expect(page.locator("[data-metric=step]")).to_have_text(str(after["step"]))
    page.set_viewport_size(LARGE)
    shot(ui, "teach-phases-update-1920x1080")


def test_replay_timeline_and_one_update_in_phases(ui: UI) -> None:
    wait_idle(ui)
    check_timeline(ui)
    check_phases(ui)
