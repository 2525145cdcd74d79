"""The guided lesson (issue 19): seven steps on the live network, in English and 中文.

The test walks the whole lesson, answers every exercise right and wrong, and checks the
numbers the page shows against the engine: the worked example's 30 SGD iterates equal a
session stepped 30 times; the path count and both multiply-add counts equal /paths; each
exercise's answer is what /trace, /backward or a step computes.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import UI, api, wait_idle

pytestmark = pytest.mark.browser

TITLES = {
    "en": [
        "The four steps of learning",
        "One parameter",
        "General x",
        "A composition of layers",
        "Many parameters",
        "Dynamic programming",
        "Putting it together",
    ],
    "zh": [
        "学习的四个步骤",
        "一个参数",
        "一般的 x",
        "层的复合",
        "许多参数",
        "动态规划",
        "综合起来",
    ],
}


def goto_step(ui: UI, n: int) -> None:
    expect(ui.page.locator("[data-lesson-step]")).to_have_attribute("data-lesson-step", str(n))
    wait_idle(ui)


def next_step(ui: UI, n: int, lang: str) -> None:
    """Press Next and wait for step n, titled in the page's language."""
    ui.page.click("[data-action=lesson-next]")
    goto_step(ui, n)
    expect(ui.page.locator(".lesson-title")).to_contain_text(TITLES[lang][n - 1])


def shown_value(ui: UI, selector: str) -> float:
    """The exact number a [data-lesson-value] element carries in data-value."""
    return float(ui.page.locator(selector).get_attribute("data-value") or "nan")


def answer(ui: UI, exercise: str, value: float | str, correct: bool) -> None:
    """Type an answer, check it, and wait for the verdict; a wrong one shows the derivation."""
    page = ui.page
    box = page.locator(f"[data-lesson-exercise={exercise}]")
    box.locator("[data-exercise]").fill(str(value))
    box.locator("[data-action=exercise-check]").click()
    verdict = box.locator("[data-exercise-verdict]")
    expect(verdict).to_have_attribute("data-correct", "true" if correct else "false")
    if not correct:
        expect(verdict.locator(".lesson-formula, .lesson-display").first).to_be_visible()


def session_id(ui: UI) -> str:
    return str(ui.state("s.session.id"))


def worked_iterates(base: str) -> list[float]:
    """The worked example stepped one update at a time by the engine: w⁰ … w³⁰."""
    catalog = api(base, "GET", "/api/catalog")
    spec = next(p["request"] for p in catalog["presets"] if p["id"] == "worked-example")
    s = api(base, "POST", "/api/networks", spec)
    ws = [s["network"]["weights"][0][0][0]]
    for _ in range(30):
        r = api(base, "POST", f"/api/networks/{s['id']}/step", {"steps": 1, "trace": False})
        ws.append(r["network"]["weights"][0][0][0])
    return ws


def shown_iterates(ui: UI) -> list[float]:
    values: list[str] = ui.page.eval_on_selector_all(
        "[data-iterate]", "(els) => els.map((e) => e.dataset.value)"
    )
    return [float(v) for v in values]


def paths_answer(ui: UI) -> Any:
    """POST /paths for W^1[0][0] and sample 0 of the page's session."""
    body = {"layer": 1, "row": 0, "column": 0, "index": 0, "split": "train"}
    return api(ui.base, "POST", f"/api/networks/{session_id(ui)}/paths", body)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_whole_lesson_with_every_exercise_right_and_wrong(ui: UI, lang: str) -> None:
    page = ui.page
    if lang == "zh":
        page.click("[data-lang=zh]")
    # the first visit suggests the lesson; starting it remembers that
    expect(page.locator("[data-role=lesson-suggest]")).to_be_visible()
    page.click("[data-action=lesson]")
    expect(page.locator("[data-role=lesson-suggest]")).to_have_count(0)
    assert (
        page.evaluate("localStorage.getItem('backprop-explorer.lesson-suggested')") == "dismissed"
    )

    # 1: the four steps; the parameter count is the page's network's
    goto_step(ui, 1)
    expect(page.locator(".lesson-title")).to_contain_text(TITLES[lang][0])
    net = ui.state("s.session.network")
    layers = net["layers"]
    count = sum(layers[i] * layers[i - 1] + layers[i] for i in range(1, len(layers)))
    expect(page.locator("[data-lesson-value=parameters]")).to_have_attribute(
        "data-value", str(count)
    )
    expect(page.locator("[data-action=backward].lesson-glow")).to_have_count(1)

    # 2: one parameter — the 30 iterates are the engine's, w³⁰ = 0.597
    next_step(ui, 2, lang)
    expect(page.locator("[data-iterate='30']")).to_have_count(1)
    wait_idle(ui)
    assert ui.state("s.session.network.layers") == [1, 1]  # the page holds the worked example
    engine = worked_iterates(ui.base)
    assert shown_iterates(ui) == pytest.approx(engine, abs=1e-12)
    assert engine[30] == pytest.approx(0.5971686, abs=1e-6)
    w30 = shown_value(ui, "[data-lesson-value=w30]")
    assert w30 == pytest.approx(engine[30], abs=1e-12)
    answer(ui, "next-w", "1.5", correct=False)
    answer(ui, "next-w", "1,68", correct=True)  # 2 − 0.02 · 2 · 2³
    # a too-large η diverges: the engine refuses a step and the page says so
    page.fill("[data-lesson-control=eta]", "0.5")
    page.dispatch_event("[data-lesson-control=eta]", "change")
    expect(page.locator(".lesson-status")).to_have_attribute("data-diverged", "true")
    page.fill("[data-lesson-control=eta]", "0.02")
    page.dispatch_event("[data-lesson-control=eta]", "change")
    expect(page.locator(".lesson-status")).to_have_attribute("data-diverged", "false")
    expect(page.locator("[data-iterate='30']")).to_have_count(1)

    # 3: general x and any loss — the predicted gradient is /trace's at x + ½
    next_step(ui, 3, lang)
    expect(page.locator("[data-lesson-value=chain-gradient]")).to_have_count(1)
    expect(page.locator("[data-lesson-exercise=chain-gradient] .lesson-q")).not_to_be_empty()
    wait_idle(ui)
    tr = api(
        ui.base,
        "POST",
        "/api/trace",
        {
            "network": {
                "layers": [1, 1],
                "activations": ["square"],
                "loss": "mse",
                "bias": False,
                "weights": [[[0.6]]],
            },
            "x": [[2.0]],
            "y": [[0.0]],
        },
    )
    g = tr["layers"][0]["grad_weights"][0][0]
    answer(ui, "chain-gradient", round(g * 1.2, 4), correct=False)
    answer(ui, "chain-gradient", round(g, 4), correct=True)

    # 4: a chain of three layers — δ¹ is the engine's
    next_step(ui, 4, lang)
    page.wait_for_function("() => window.backprop.store.state.session.network.layers.length === 4")
    expect(page.locator("[data-lesson-value=chain-grad]")).to_have_count(1)
    wait_idle(ui)
    keys = ("layers", "activations", "loss", "bias", "weights")
    net = {k: v for k, v in ui.state("s.session.network").items() if k in keys}
    tr = api(ui.base, "POST", "/api/trace", {"network": net, "x": [[1.0]], "y": [[0.5]]})
    d1 = tr["layers"][0]["delta"][0][0]
    expect(page.locator("#network path.path-highlight")).to_have_count(
        3
    )  # the chain's weights glow
    shown = shown_value(ui, "[data-lesson-value=chain-grad]")
    assert shown == pytest.approx(tr["layers"][0]["grad_weights"][0][0], abs=1e-12)
    answer(ui, "chain-delta", round(-d1, 4), correct=False)
    answer(ui, "chain-delta", round(d1, 4), correct=True)

    # 5: paths — the count on the page is /paths's, and it glows on the network
    next_step(ui, 5, lang)
    page.wait_for_function("() => window.backprop.store.state.session.network.layers.length === 5")
    expect(page.locator("[data-lesson-value=paths]")).to_have_count(1)
    wait_idle(ui)
    r = paths_answer(ui)
    expect(page.locator("[data-lesson-value=paths]")).to_have_attribute(
        "data-value", str(r["paths"])
    )
    assert r["paths"] == 9
    expect(page.locator("#network path.path-highlight").first).to_be_attached()
    answer(ui, "path-count", r["paths"] + 1, correct=False)
    answer(ui, "path-count", r["paths"], correct=True)

    # 6: dynamic programming — both costs and both gradients are /paths's; δ^{L−1}_1 the engine's
    next_step(ui, 6, lang)
    expect(page.locator("[data-lesson-value=dp-madds]")).to_have_count(1)
    expect(page.locator("[data-lesson-exercise=dp-delta] .lesson-q")).not_to_be_empty()
    wait_idle(ui)
    r = paths_answer(ui)
    costs = page.locator("[data-lesson-table=costs]")
    expect(costs.locator("[data-lesson-value=path-madds]")).to_have_attribute(
        "data-value", str(r["path_multiply_adds"])
    )
    expect(costs.locator("[data-lesson-value=dp-madds]")).to_have_attribute(
        "data-value", str(r["dp_multiply_adds"])
    )
    pg = shown_value(ui, "[data-lesson-table=costs] [data-lesson-value=path-gradient]")
    dg = shown_value(ui, "[data-lesson-table=costs] [data-lesson-value=dp-gradient]")
    assert pg == pytest.approx(r["path_gradient"], abs=1e-15) and dg == pytest.approx(
        r["dp_gradient"], abs=1e-15
    )
    assert pg == pytest.approx(dg, rel=1e-9)
    back = api(ui.base, "POST", f"/api/networks/{session_id(ui)}/backward", {"indices": [0]})
    delta = back["layers"][-2]["delta"][0][0]
    expect(page.locator("[data-lesson-layer]")).to_have_count(4)
    page.click("[data-action=lesson-animate]")
    expect(page.locator(".lesson-cards")).to_have_attribute("data-revealed", "all")
    answer(ui, "dp-delta", round(delta + 0.5, 4), correct=False)
    answer(ui, "dp-delta", f"{delta:.6g}", correct=True)

    # 7: one full SGD step — the predicted weight is the one the step makes; then Play
    next_step(ui, 7, lang)
    expect(page.locator("[data-lesson-exercise=sgd-next] .lesson-q")).not_to_be_empty()
    wait_idle(ui)
    step0 = ui.state("s.session.step")
    w = ui.state("s.session.network.weights[0][0][0]")
    preview = api(ui.base, "POST", f"/api/networks/{session_id(ui)}/backward", {})
    predicted = w + preview["update"]["weights"][0][0][0]
    answer(ui, "sgd-next", f"{w + 0.5:.6g}", correct=False)
    answer(ui, "sgd-next", f"{predicted:.8g}", correct=True)
    page.click("[data-action=lesson-sgd-step]")
    page.wait_for_function(f"() => window.backprop.store.state.session.step === {step0 + 1}")
    wait_idle(ui)
    assert ui.state("s.session.network.weights[0][0][0]") == pytest.approx(predicted, abs=1e-12)
    page.click("[data-action=lesson-play]")
    page.wait_for_function("() => window.backprop.store.state.playing === true")
    page.click("[data-action=play]")
    page.wait_for_function("() => window.backprop.store.state.playing === false")
    wait_idle(ui)

    # ←/→ move while the lesson is open (→ does not press Step); the step is in the URL
    page.locator(".lesson-body").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowLeft")
    goto_step(ui, 6)
    steps_before = ui.state("s.session.step")
    page.keyboard.press("ArrowRight")
    goto_step(ui, 7)
    assert ui.state("s.session.step") == steps_before  # → moved the lesson, not the training
    assert "lesson=7" in page.url
    page.click("[data-action=lesson-prev]")
    goto_step(ui, 6)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    goto_step(ui, 6)
    expect(page.locator("[data-role=lesson-suggest]")).to_have_count(0)  # dismissed for good
    page.click("[data-action=lesson]")  # closes
    expect(page.locator("[data-view=lesson]")).to_be_hidden()
    assert "lesson=" not in page.url


def test_the_lesson_in_presenter_mode_and_a_dismissed_suggestion(ui: UI) -> None:
    page = ui.page
    page.click("[data-action=lesson-dismiss]")
    expect(page.locator("[data-role=lesson-suggest]")).to_have_count(0)
    page.keyboard.press("p")
    expect(page.locator("body")).to_have_class(__import__("re").compile(r"is-presenter"))
    page.click("[data-action=lesson]")
    goto_step(ui, 1)
    page.locator(".lesson-body").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowRight")
    goto_step(ui, 2)
    expect(page.locator("[data-iterate='30']")).to_have_count(1)
    # dragging w moves the iterates (the engine's, from the new w⁰) and the page's weight
    point = page.locator("[data-lesson-drag=w]").bounding_box()
    assert point
    x, y = point["x"] + point["width"] / 2, point["y"] + point["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 60, y + 40, steps=5)
    page.mouse.up()
    expect(page.locator("[data-iterate='0']")).not_to_have_attribute("data-value", "2")
    expect(page.locator("[data-iterate='30']")).to_have_count(1)
    wait_idle(ui)
    ws = shown_iterates(ui)
    assert 0 < ws[0] < 2
    assert ws[1] == pytest.approx(ws[0] - 0.02 * 2 * ws[0] ** 3, abs=1e-12)
    assert ui.state("s.session.network.weights[0][0][0]") == ws[0]
    box = page.locator("[data-view=lesson]").bounding_box()
    network = page.locator("#network").bounding_box()
    assert box and network and network["x"] + network["width"] <= box["x"] + 1  # nothing covered
    ui.shot("lesson-presenter-step2")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("[data-role=lesson-suggest]")).to_have_count(0)
