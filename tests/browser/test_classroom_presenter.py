"""Classroom: presenter mode (issue 8) — large type and thick lines for a projector at
1280×720, a chosen subset of panels, controls hidden; toggled from the header and kept
in the page address, so a reload (or a bookmark) brings the same view back.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import UI, wait_idle

pytestmark = pytest.mark.browser

# the backward animation has reached layer 1
DELTA_AT_LAYER_1 = "() => document.querySelector('[data-node=\"1:0\"]').dataset.delta"


def text_height(ui: UI, selector: str) -> float:
    box = ui.page.locator(selector).first.bounding_box()
    assert box, f"{selector} is not visible"
    return box["height"]


def edge_widths(ui: UI) -> list[float]:
    return ui.page.evaluate(
        "() => [...document.querySelectorAll('path.edge')].map((e) => "
        "e.getBoundingClientRect && parseFloat(getComputedStyle(e).strokeWidth))"
    )


def test_presenter_mode_hides_the_chosen_panels_and_enlarges_type(ui: UI) -> None:
    page = ui.page
    wait_idle(ui)
    before = {
        "metric": text_height(ui, "[data-metric=step]"),
        "label": text_height(ui, "svg.net .input-label"),
        "title": text_height(ui, "#panel-output .panel-title"),
    }
    thinnest = min(edge_widths(ui))
    expect(page.locator("#panel-builder")).to_be_visible()

    page.click("[data-control=presenter]")
    expect(page.locator("body")).to_have_class("is-presenter")
    expect(page.locator("[data-control=presenter]")).to_have_attribute("aria-pressed", "true")
    query = parse_qs(urlparse(page.url).query)
    assert query["presenter"] == ["1"]
    hidden = set(query["hide"][0].split(","))
    assert {"builder", "data", "training"} <= hidden
    # the default choice: the settings go, the pictures stay, the network gets the room
    for panel in (
        "#panel-builder",
        "#panel-data",
        "#panel-training",
        ".preset-picker",
        "#runbar .speed",
    ):
        expect(page.locator(panel)).to_be_hidden()
    for panel in ("#panel-output", "#panel-loss", "[data-action=step]", "[data-metric=loss]"):
        expect(page.locator(panel)).to_be_visible()
    expect(page.locator(".layer-heads select").first).to_be_hidden()
    wait_idle(ui)  # the view has redrawn at its new size
    assert text_height(ui, "[data-metric=step]") >= 1.2 * before["metric"]
    assert text_height(ui, "svg.net .input-label") >= 1.2 * before["label"]
    assert text_height(ui, "#panel-output .panel-title") >= 1.2 * before["title"]
    assert min(edge_widths(ui)) >= 2 * thinnest  # thicker lines
    page.click("[data-action=forward]")
    wait_idle(ui)
    page.click("[data-action=backward]")
    page.wait_for_function(DELTA_AT_LAYER_1)
    wait_idle(ui)
    ui.shot("classroom-presenter-1280x720-en")

    # choose: also hide the loss chart, show the network settings again
    page.click("[data-control=presenter-options]")
    options = page.locator("[data-role=presenter-options]")
    expect(options).to_be_visible()
    options.locator("[data-hide-item=loss]").check()
    options.locator("[data-hide-item=builder]").uncheck()
    page.keyboard.press("Escape")
    expect(options).to_be_hidden()
    expect(page.locator("#panel-loss")).to_be_hidden()
    expect(page.locator("#panel-builder")).to_be_visible()
    hidden = set(parse_qs(urlparse(page.url).query)["hide"][0].split(","))
    assert "loss" in hidden and "builder" not in hidden

    # the address keeps it: a reload shows the same view, in Chinese too
    page.click("[data-lang=zh]")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("body")).to_have_class("is-presenter")
    expect(page.locator("#panel-loss")).to_be_hidden()
    expect(page.locator("#panel-builder")).to_be_visible()
    expect(page.locator("#panel-data")).to_be_hidden()
    page.click("[data-control=presenter-options]")
    page.locator("[data-role=presenter-options] [data-hide-item=builder]").check()
    page.keyboard.press("Escape")
    expect(page.locator("#panel-builder")).to_be_hidden()
    wait_idle(ui)
    page.click("[data-action=backward]")
    page.wait_for_function(DELTA_AT_LAYER_1)
    wait_idle(ui)
    ui.shot("classroom-presenter-1280x720-zh")

    # off again: everything is back and the address is clean
    page.click("[data-control=presenter]")
    expect(page.locator("body")).not_to_have_class("is-presenter")
    expect(page.locator("#panel-loss")).to_be_visible()
    expect(page.locator("#panel-data")).to_be_visible()
    assert "presenter" not in page.url and "hide" not in page.url
    page.click("[data-lang=en]")
