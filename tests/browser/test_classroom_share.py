"""Classroom: sharing (issue 8).

A setup link recreates the exact setup — network, dataset, training settings and, when
chosen, the current weights — in a fresh session; a follow link shows a live session
read-only: the page redraws as the session is trained through the API, and every
control is disabled.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SMALL, UI, api, wait_idle

pytestmark = pytest.mark.browser

# controls a follow page must have disabled: run buttons, builder, data, training, presets
LOCKED = [
    *(f"[data-action={a}]" for a in ("forward", "backward", "step", "play", "reset")),
    *(f"[data-control={c}]" for c in ("learning-rate", "dataset", "preset", "speed")),
    "[data-builder=loss]",
    "[data-builder=add-layer]",
]


@contextmanager
def second_page(
    browser: Browser, url: str, before: Callable[[Page], None] | None = None
) -> Iterator[UI]:
    """Another browser (a student's), with the same checks as the `ui` fixture; `before`
    prepares its page (e.g. routes) before it loads."""
    context = browser.new_context(viewport=SMALL)
    page = context.new_page()
    if before is not None:
        before(page)
    other = UI(page=page, base=url.split("/?")[0].split("/#")[0].rstrip("/"))
    page.on("console", lambda m: other.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: other.console_errors.append(f"page error: {e}"))
    page.on("request", lambda r: other.requests.append(r.url))
    page.set_default_timeout(15000)
    try:
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]")
        yield other
        assert other.unexpected_errors() == [], "the second page logged console errors"
        assert other.off_host() == [], "the second page made requests that leave the host"
    finally:
        context.close()


def shared_link(ui: UI, *, weights: bool) -> str:
    page = ui.page
    page.click("[data-control=share]")
    box = page.locator("[data-control=share-weights]")
    box.set_checked(weights)
    link = page.locator("[data-role=setup-link]")
    expect(link).to_have_value(re.compile(r"#setup=[jz]\."))
    value = link.input_value()
    page.keyboard.press("Escape")
    return value


def decoded(link: str) -> Any:
    data = link.split("#setup=j.")[1]
    return json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def test_a_setup_link_recreates_the_setup_in_a_new_session(ui: UI, browser: Browser) -> None:
    page = ui.page
    page.select_option("[data-control=preset]", "xor")
    page.wait_for_function("() => window.backprop.store.state.session.dataset.name === 'xor'")
    wait_idle(ui)
    page.fill("[data-control=learning-rate]", "0.37")
    page.locator("[data-control=learning-rate]").dispatch_event("change")
    page.wait_for_function(
        "() => window.backprop.store.state.session.training.learning_rate === 0.37"
    )
    for _ in range(3):
        page.click("[data-action=step]")
    expect(page.locator("[data-metric=step]")).to_have_text("3")
    wait_idle(ui)
    teacher = api(ui.base, "GET", f"/api/networks/{ui.state('s.session.id')}")
    first = api(ui.base, "GET", f"/api/networks/{teacher['id']}/snapshots")["snapshots"][0]
    assert first["step"] == 0

    def same_setup(student: UI) -> dict[str, Any]:
        s = student.state("s.session")
        assert s["id"] != teacher["id"]  # a fresh session …
        assert s["step"] == 0
        for key in ("layers", "activations", "loss", "bias", "features"):  # … of the same network
            assert s["network"][key] == teacher["network"][key]
        for key in ("name", "kind", "x", "y", "test_x", "test_y"):  # … data
            assert s["dataset"][key] == teacher["dataset"][key]
        for key in ("optimizer", "learning_rate", "batch_size"):  # … and training settings
            assert s["training"][key] == teacher["training"][key]
        assert s["training"]["learning_rate"] == 0.37
        return dict(s)

    link = shared_link(ui, weights=False)
    assert decoded(link)["training"]["learning_rate"] == 0.37
    with second_page(browser, link) as student:
        s = same_setup(student)
        assert s["network"]["weights"] == first["weights"]  # the initial weights
        assert student.state("s.session.network.weights") == first["weights"]

    link = shared_link(ui, weights=True)
    assert decoded(link)["network"]["weights"] == teacher["network"]["weights"]
    with second_page(browser, link) as student:
        s = same_setup(student)
        assert s["network"]["weights"] == teacher["network"]["weights"]  # bit for bit
        assert s["network"]["biases"] == teacher["network"]["biases"]
        student.shot("classroom-shared-setup")


def test_a_follow_page_redraws_the_live_session_read_only(ui: UI, browser: Browser) -> None:
    sid = ui.state("s.session.id")
    ui.page.click("[data-control=share]")
    follow_link = ui.page.locator("[data-role=follow-link]").input_value()
    assert follow_link.endswith(f"?follow={sid}")
    ui.page.keyboard.press("Escape")

    with second_page(browser, follow_link) as student:
        page = student.page
        expect(page.locator("[data-role=following]")).to_be_visible()
        expect(page.locator("[data-role=following]")).to_contain_text("read-only")
        assert student.state("s.session.id") == sid
        assert student.state("s.following") == sid
        # every control is disabled (tabs, which only change what this page shows, stay usable)
        for selector in LOCKED:
            expect(page.locator(selector).first).to_be_disabled()
        enabled = page.evaluate(
            "() => [...document.querySelectorAll('main button, main input, main select')]"
            "  .filter((e) => !e.disabled && !e.matches('[role=tab], [data-follow-ok]'))"
            "  .map((e) => e.outerHTML.slice(0, 80))"
        )
        assert enabled == []

        # the teacher trains (through the API): the page follows within about a second
        api(ui.base, "POST", f"/api/networks/{sid}/step", {"steps": 5})
        expect(page.locator("[data-metric=step]")).to_have_text("5", timeout=5000)
        session = api(ui.base, "GET", f"/api/networks/{sid}")
        page.wait_for_function(
            "(w) => Math.abs(Number(document.querySelector('[data-edge=\"1:0:0\"]')"
            ".dataset.w) - w) < 1e-9",
            arg=session["network"]["weights"][0][0][0],
        )
        loss = float(page.locator("[data-metric=loss]").inner_text())
        assert loss == pytest.approx(session["metrics"]["train_loss"], rel=1e-3)
        metrics = api(ui.base, "GET", f"/api/networks/{sid}/metrics")
        assert student.state("s.history.step") == metrics["step"]  # the whole loss curve
        # "my own copy": a setup link with the weights shown now
        page.wait_for_function(
            "() => document.querySelector('[data-role=own-copy]').href.includes('#setup=')"
        )
        own = decoded(page.get_attribute("[data-role=own-copy]", "href") or "")
        assert own["network"]["weights"] == session["network"]["weights"]
        student.shot("classroom-follow")

        # keys and clicks change nothing
        page.locator("body").click(position={"x": 5, "y": 700})
        page.keyboard.press("ArrowRight")
        page.keyboard.press("r")
        page.locator("[data-action=step]").click(force=True)
        # whatever was queued is done
        page.evaluate("() => window.backprop.actions.run(async () => {})")
        assert api(ui.base, "GET", f"/api/networks/{sid}")["step"] == 5

        # a reset by the teacher shows too, and the controls stay disabled after redraws
        api(ui.base, "POST", f"/api/networks/{sid}/reset", {})
        expect(page.locator("[data-metric=step]")).to_have_text("0", timeout=5000)
        expect(page.locator("[data-action=step]")).to_be_disabled()
        metrics = api(ui.base, "GET", f"/api/networks/{sid}/metrics")
        page.wait_for_function(
            "(n) => window.backprop.store.state.history.step.length === n", arg=len(metrics["step"])
        )
        assert student.state("s.history.step") == metrics["step"]
