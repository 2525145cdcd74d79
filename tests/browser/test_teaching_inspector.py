"""The inspector: a neuron's z, a, σ'(z), δ and a weight's ∂C/∂w, central difference and
update, worked out with the API's numbers for the selected sample; editing a weight or a bias."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LARGE, SMALL, UI, api, wait_idle
from tests.browser.test_teaching_support import (
    data,
    shot,
    shown_text,
    sid,
    sig,
    tex_of,
)

pytestmark = pytest.mark.browser

INSPECTOR = "[data-teach=inspector]"


def wait_inspected(ui: UI, kind: str, key: str) -> None:
    """Until the inspector shows `kind` with the selected sample's trace and data-<key>."""
    ui.page.wait_for_function(
        """([kind, key]) => { const r = document.querySelector('[data-teach=inspector]');
           return r && r.dataset.kind === kind && r.dataset.fresh === 'true'
             && key in r.dataset; }""",
        arg=[kind, key],
    )
    wait_idle(ui)


def check_neurons(ui: UI) -> None:
    """A hidden neuron by the δ recurrence, the output neuron from the loss."""
    page = ui.page
    page.click('[data-node="1:0"]')
    wait_inspected(ui, "node", "delta")
    expect(page.locator("[data-teach-tab=inspector]")).to_have_attribute("aria-selected", "true")
    root = page.locator(INSPECTOR)
    trace = api(ui.base, "POST", f"/api/networks/{sid(ui)}/backward", {"indices": [0]})
    net = api(ui.base, "GET", f"/api/networks/{sid(ui)}")["network"]
    assert net["activations"][0] == "tanh"
    z = trace["layers"][0]["z"][0][0]
    a = trace["layers"][0]["a"][0][0]
    delta = trace["layers"][0]["delta"][0][0]
    assert data(root, "z") == z
    assert data(root, "a") == a
    assert data(root, "delta") == delta
    assert data(root, "sigma-prime") == pytest.approx(1 - a * a, rel=1e-12)
    # the recurrence with the API's numbers: (Σ_k W²_k0 δ²_k) · σ'(z) is δ
    w2 = net["weights"][1]
    d2 = trace["layers"][1]["delta"][0]
    back = sum(w2[k][0] * d2[k] for k in range(len(d2)))
    assert data(root, "back-sum") == pytest.approx(back, rel=1e-12)
    assert back * (1 - a * a) == pytest.approx(delta, rel=1e-9)
    # what KaTeX drew: symbolic → substituted → numeric, ending in the API's values
    delta_line = root.locator("[data-line=delta]")
    assert "\\sum_k W^{2}_{k0}" in tex_of(delta_line)
    assert shown_text(delta_line).endswith(sig(delta))
    assert shown_text(root.locator("[data-line=z]")).endswith(sig(z))
    assert sig(w2[0][0]) in tex_of(delta_line)
    shot(ui, "teach-inspector-neuron-1280x720")

    # the output neuron: δ from the loss, ∂C/∂a · σ'(z), and a − y for bce with a sigmoid
    page.click('[data-node="3:0"]')
    wait_inspected(ui, "node", "lossGrad")
    out = trace["layers"][2]
    a3 = out["a"][0][0]
    y = ui.state("s.session.dataset.y[0][0]")
    assert data(root, "loss-grad") == pytest.approx((a3 - y) / (a3 * (1 - a3)), rel=1e-12)
    assert data(root, "delta") == out["delta"][0][0]
    assert data(root, "delta") == pytest.approx(a3 - y, rel=1e-9)
    expect(root.locator("[data-line=delta-simplified]")).to_be_visible()
    page.set_viewport_size(LARGE)
    wait_idle(ui)
    shot(ui, "teach-inspector-output-1920x1080")
    page.set_viewport_size(SMALL)


def check_weight(ui: UI) -> None:
    """W³[0][1]: w, ∂C/∂w = δ·a, the central difference, the update; then w edited."""
    page = ui.page
    page.locator("[data-teach-tab=inspector]").scroll_into_view_if_needed()
    # an edge into the output neuron: W³[0][1], clicked halfway along its curve
    point = page.evaluate(
        """() => { const p = document.querySelector('[data-edge="3:0:1"]');
           const q = p.getPointAtLength(p.getTotalLength() * 0.5), m = p.getScreenCTM();
           return [q.x * m.a + q.y * m.c + m.e, q.x * m.b + q.y * m.d + m.f]; }"""
    )
    page.mouse.click(point[0], point[1])
    wait_inspected(ui, "edge", "numeric")
    page.wait_for_function(
        "() => 'nextUpdate' in document.querySelector('[data-teach=inspector]').dataset"
    )
    root = page.locator(INSPECTOR)
    session = api(ui.base, "GET", f"/api/networks/{sid(ui)}")
    trace = api(ui.base, "POST", f"/api/networks/{sid(ui)}/backward", {"indices": [0]})
    check = api(ui.base, "POST", f"/api/networks/{sid(ui)}/gradcheck", {"indices": [0]})
    nxt = api(ui.base, "POST", f"/api/networks/{sid(ui)}/backward", {})
    w = session["network"]["weights"][2][0][1]
    grad = trace["layers"][2]["grad_weights"][0][1]
    assert data(root, "w") == w
    assert data(root, "grad") == grad
    # ∂C/∂w = δ³_0 · a²_1 with the trace's numbers
    assert trace["layers"][2]["delta"][0][0] * trace["layers"][1]["a"][0][1] == pytest.approx(
        grad, rel=1e-12
    )
    assert data(root, "numeric") == check["layers"][2]["numeric_weights"][0][1]
    assert data(root, "rel-error") <= check["threshold"]
    expect(root.locator("[data-teach-verdict=pass]")).to_be_visible()
    eta = session["training"]["learning_rate"]
    assert session["training"]["optimizer"] == "sgd"
    own = trace.get("update", {}) or {}
    want = own["weights"][2][0][1] if own.get("weights") else -eta * grad
    assert data(root, "update") == pytest.approx(want, rel=1e-12)
    upd = nxt.get("update", {}) or {}
    want_next = (
        upd["weights"][2][0][1]
        if upd.get("weights")
        else -eta * nxt["layers"][2]["grad_weights"][0][1]
    )
    assert data(root, "next-update") == pytest.approx(want_next, rel=1e-12)
    assert sig(grad) in shown_text(root.locator("[data-line=grad]"))
    shot(ui, "teach-inspector-weight-1280x720")

    # edit w: the session's weight changes and the inspector recomputes ∂C/∂w
    field = root.locator("[data-teach-input=weight]")
    field.fill("0.25")
    field.press("Enter")
    page.wait_for_function(
        "() => window.backprop.store.state.session.network.weights[2][0][1] === 0.25"
    )
    wait_inspected(ui, "edge", "grad")
    assert api(ui.base, "GET", f"/api/networks/{sid(ui)}")["network"]["weights"][2][0][1] == 0.25
    after = api(ui.base, "POST", f"/api/networks/{sid(ui)}/backward", {"indices": [0]})
    assert data(root, "w") == 0.25
    assert data(root, "grad") == after["layers"][2]["grad_weights"][0][1]
    assert float(page.locator('[data-edge="3:0:1"]').get_attribute("data-w") or "nan") == 0.25


def test_inspector_of_neurons_and_weights(ui: UI) -> None:
    wait_idle(ui)
    check_neurons(ui)
    check_weight(ui)


def test_inspector_edits_a_neurons_bias(ui: UI) -> None:
    """b¹_0 set in the inspector: the session's bias changes and z¹_0 is recomputed with it."""
    page = ui.page
    wait_idle(ui)
    page.click('[data-node="1:0"]')
    wait_inspected(ui, "node", "delta")
    root = page.locator(INSPECTOR)
    before = api(ui.base, "GET", f"/api/networks/{sid(ui)}")["network"]["biases"][0][0]
    assert data(root, "b") == before
    z_before = data(root, "z")
    field = root.locator("[data-teach-input=bias]")
    field.fill("0.5")
    field.press("Enter")
    page.wait_for_function("() => window.backprop.store.state.session.network.biases[0][0] === 0.5")
    wait_inspected(ui, "node", "delta")
    assert api(ui.base, "GET", f"/api/networks/{sid(ui)}")["network"]["biases"][0][0] == 0.5
    trace = api(ui.base, "POST", f"/api/networks/{sid(ui)}/backward", {"indices": [0]})
    assert data(root, "b") == 0.5
    assert data(root, "z") == trace["layers"][0]["z"][0][0]
    # z = Σ_k W_0k a_k + b_0: only the bias term moved
    assert data(root, "z") == pytest.approx(z_before + (0.5 - before), abs=1e-12)
    shot(ui, "teach-inspector-bias-1280x720")


def test_worked_example_preset_explains_itself_and_inspects_the_weight(ui: UI) -> None:
    page = ui.page
    catalog = api(ui.base, "GET", "/api/catalog")
    preset = next(p for p in catalog["presets"] if p["id"] == "worked-example")
    page.select_option("[data-control=preset]", "worked-example")
    note = page.locator("#preset-note")
    expect(note).to_be_visible()
    expect(note.locator("[data-role=preset-description]")).to_have_text(preset["description"])
    expect(note.locator("[data-role=preset-title]")).to_have_text(preset["title"])
    wait_idle(ui)
    note.locator("[data-teach-action=preset-focus]").click()
    wait_inspected(ui, "edge", "numeric")
    root = page.locator(INSPECTOR)
    # C = ½w⁴ at w = 2: ∂C/∂w = 2w³ = 16, and SGD at η = 0.02 moves w by −0.32
    assert data(root, "w") == 2.0
    assert data(root, "grad") == 16.0
    assert data(root, "numeric") == pytest.approx(16.0, rel=1e-9)
    assert data(root, "update") == pytest.approx(-0.32, rel=1e-12)
    page.set_viewport_size(SMALL)
    shot(ui, "teach-worked-example-1280x720")
    note.locator(".preset-note-close").click()
    expect(note).to_be_hidden()
