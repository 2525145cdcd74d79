"""The gradient Check on ReLU networks (pass, kink rows, σ′ dropped), dead ReLUs drawn dark
and marked, and every preset's controls showing the values its session uses."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import UI, api, wait_idle
from tests.browser.test_teaching_support import (
    gradcheck_rows_match,
    open_tab,
    shot,
    sid,
)

pytestmark = pytest.mark.browser

RELU_4x8 = {
    "network": {"layers": [2, 8, 8, 8, 8, 1], "activations": ["relu"] * 4 + ["sigmoid"],
                "loss": "bce", "bias": True, "init": "he", "seed": 0, "features": ["x1", "x2"]},
    "dataset": {"name": "circle", "n_samples": 200, "noise": 0.0, "test_fraction": 0.2, "seed": 0},
    "training": {"optimizer": "sgd", "learning_rate": 0.03, "batch_size": 10},
}  # fmt: skip
# z¹ = 1·1 − 1 = 0: w¹ and b¹ move it across relu's kink
KINK = {
    "network": {"layers": [1, 1, 1], "activations": ["relu", "linear"], "loss": "mse",
                "weights": [[[1.0]], [[2.0]]], "biases": [[-1.0], [0.5]]},
    "dataset": {"x": [[1.0]], "y": [[3.0]], "kind": "regression"},
    "training": {"optimizer": "sgd", "learning_rate": 0.02, "batch_size": 1},
}  # fmt: skip
ZERO_FILL = "#2b3040"  # static/js/colors.js ZERO_ACTIVATION
CHECK = "[data-teach=gradcheck]"


def load(ui: UI, request: dict[str, Any]) -> None:
    before = ui.state("s.session.id")
    ui.page.evaluate("(r) => window.backprop.actions.loadPreset({request: r})", request)
    ui.page.wait_for_function(f"() => window.backprop.store.state.session.id !== {before!r}")
    wait_idle(ui)


def checked(ui: UI, drop: str = "") -> dict[str, Any]:
    """Wait for the Check table of the current state; the API's answer for the same."""
    ui.page.wait_for_selector(f"{CHECK}[data-fresh=true][data-drop='{drop}'][data-passed]")
    body: dict[str, Any] = {"indices": [0], "drop_derivative_layer": int(drop) if drop else None}
    answer: dict[str, Any] = api(ui.base, "POST", f"/api/networks/{sid(ui)}/gradcheck", body)
    return answer


def test_check_passes_a_correct_relu_network_and_fails_it_with_a_dropped_derivative(
    ui: UI,
) -> None:
    load(ui, RELU_4x8)
    open_tab(ui, "gradcheck")
    root = ui.page.locator(CHECK)
    answer = checked(ui)
    assert answer["passed"] and answer["counts"]["fail"] == 0
    assert root.get_attribute("data-passed") == "true"
    expect(root.locator("[data-teach-verdict=pass]")).to_be_visible()
    gradcheck_rows_match(root, answer)
    first = root.locator("tbody tr[data-decides=true]").first
    name = first.get_attribute("data-param") or ""
    assert name[1] == "¹" and "[" not in name  # W¹₀₁ or b¹₃, never W^1[0][1]
    shot(ui, "check-relu-pass-1280x720")

    ui.page.select_option("[data-teach-control=drop-derivative]", "2")
    broken = checked(ui, "2")
    assert not broken["passed"]
    assert root.get_attribute("data-passed") == "false"
    gradcheck_rows_match(root, broken)
    verdicts = root.locator("tbody tr[data-decides=true]")
    assert verdicts.nth(1).get_attribute("data-verdict") == "fail"  # layer 2 itself
    assert verdicts.nth(3).get_attribute("data-verdict") == "pass"  # layer 4 does not use σ₂′
    expect(root.locator("[data-note=dropped]")).to_contain_text("layers 1 and 2 fail")


def test_check_shows_parameters_at_a_kink_as_kinks(ui: UI) -> None:
    load(ui, KINK)
    open_tab(ui, "gradcheck")
    root = ui.page.locator(CHECK)
    answer = checked(ui)
    assert answer["counts"] == {"pass": 2, "fail": 0, "kink": 2}
    assert root.get_attribute("data-passed") == "true"
    assert (root.get_attribute("data-kink"), root.get_attribute("data-fail")) == ("2", "0")
    gradcheck_rows_match(root, answer)
    kinks = root.locator("tbody tr[data-verdict=kink]")
    expect(kinks).to_have_count(2)
    assert {kinks.nth(i).get_attribute("data-param") for i in range(2)} == {"W¹₀₀", "b¹₀"}
    for i in range(2):
        expect(kinks.nth(i).locator("[data-cell=rel-error]")).to_have_text(
            "at a kink — numeric difference not meaningful here"
        )
    expect(root.locator("[data-note=kink]")).to_be_visible()
    shot(ui, "check-kink-1280x720")

    ui.page.click("[data-lang=zh]")
    expect(kinks.first.locator("[data-cell=rel-error]")).to_have_text(
        "在折点处——数值差分在这里没有意义"
    )
    shot(ui, "check-kink-zh-1280x720")


def test_dead_relu_preset_draws_dead_neurons_dark_and_marks_them(ui: UI) -> None:
    page = ui.page
    page.select_option("[data-control=preset]", "dead-relu")
    page.wait_for_function("() => window.backprop.store.state.session?.network.seed === 4")
    wait_idle(ui)
    expect(page.locator("[data-node][data-dead=true]")).to_have_count(0)
    page.evaluate(
        "async () => { for (let i = 0; i < 100; i++) await window.backprop.actions.step(); }"
    )
    page.wait_for_function("() => window.backprop.store.state.session.step === 100")
    wait_idle(ui)
    session = api(ui.base, "GET", f"/api/networks/{sid(ui)}")
    assert session["dead"]["step"] == 100
    want = {f"{l}:{j}" for l, layer in enumerate(session["dead"]["layers"], 1) for j in layer}
    assert len(want) >= 3
    marked = page.locator("[data-node][data-dead=true]")
    expect(marked).to_have_count(len(want))
    assert {marked.nth(i).get_attribute("data-node") for i in range(marked.count())} == want
    # a dead neuron's a is 0 for this sample too: drawn in the colour of "off", not pale
    for node in want:
        body = page.locator(f'[data-node="{node}"] circle.body')
        assert body.get_attribute("fill") == ZERO_FILL
    on = page.locator('[data-node^="1:"][data-off=false]').first
    assert on.locator("circle.body").get_attribute("fill") != ZERO_FILL
    shot(ui, "dead-relu-100-steps-1280x720")


@pytest.mark.parametrize(
    "preset", ["xor", "spiral", "vanishing", "dead-relu", "zero-init", "diverging"]
)
def test_a_presets_controls_show_its_sessions_values(ui: UI, preset: str) -> None:
    page = ui.page
    before = ui.state("s.session.id")
    page.select_option("[data-control=preset]", preset)
    page.wait_for_function(f"() => window.backprop.store.state.session.id !== {before!r}")
    wait_idle(ui)
    session = api(ui.base, "GET", f"/api/networks/{sid(ui)}")
    source, training, network = (
        session["dataset"]["source"],
        session["training"],
        session["network"],
    )

    def shown(control: str) -> str:
        return (
            page.locator(f"[data-control={control}]")
            .locator("xpath=..")
            .locator("output")
            .inner_text()
        )

    assert shown("test_fraction") == f"{round(100 * source['test_fraction'])}%"
    assert shown("noise") == f"{round(100 * source['noise'])}%"
    assert shown("n_samples") == str(source["n_samples"])
    expect(page.locator("[data-control=data-seed]")).to_have_text(str(source["seed"]))
    expect(page.locator("[data-builder=seed]")).to_have_value(str(network["seed"]))
    expect(page.locator("[data-builder=init]")).to_have_value(network["init"])
    assert page.locator("[data-builder=bias]").is_checked() == network["bias"]
    expect(page.locator("[data-control=optimizer]")).to_have_value(training["optimizer"])
    assert (
        float(page.locator("[data-control=learning-rate]").input_value())
        == training["learning_rate"]
    )
    assert int(page.locator("[data-control=batch-size]").input_value()) == training["batch_size"]
    expect(page.locator("[data-control=regularization]")).to_have_value(training["regularization"])
