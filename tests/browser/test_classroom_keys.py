"""Classroom: keyboard shortcuts and keyboard access (issue 8).

Space play/pause, → one step, f forward, b backward, r reset, p presenter mode, ? the
list of keys; none of them while typing in a field. Neurons are reachable with Tab,
carry their numbers in aria-label, and Enter selects them.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import UI, wait_idle

pytestmark = pytest.mark.browser


def flush(ui: UI) -> None:
    """Until every request queued so far has been answered (the queue is serial)."""
    ui.page.evaluate("() => window.backprop.actions.run(async () => {})")
    wait_idle(ui)


def step_text(ui: UI) -> str:
    return ui.page.locator("[data-metric=step]").inner_text()


def test_keys_do_what_they_say(ui: UI) -> None:
    page = ui.page
    page.locator("body").click(position={"x": 5, "y": 700})  # focus the page, not a control
    seq = ui.state("s.forward.seq")

    page.keyboard.press("f")  # forward: the sample's values, animated
    page.wait_for_function(f"() => window.backprop.store.state.forward.seq > {seq}")
    assert ui.state("s.forward.animate") is True
    wait_idle(ui)

    page.keyboard.press("b")  # backward: δ and the gradient on the edges
    page.wait_for_function("() => window.backprop.store.state.backward !== null")
    expect(page.locator("[data-edge-mode=grad]")).to_have_attribute("aria-pressed", "true")
    wait_idle(ui)

    page.keyboard.press("ArrowRight")  # one step
    expect(page.locator("[data-metric=step]")).to_have_text("1")
    wait_idle(ui)

    page.keyboard.press(" ")  # play …
    expect(page.locator("[data-action=play]")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("() => window.backprop.store.state.session.step >= 4")
    page.keyboard.press(" ")  # … and pause
    expect(page.locator("[data-action=play]")).to_have_attribute("aria-pressed", "false")
    wait_idle(ui)
    assert int(step_text(ui)) >= 4

    page.keyboard.press("r")  # reset
    expect(page.locator("[data-metric=step]")).to_have_text("0")
    wait_idle(ui)

    # a step by clicking leaves focus on the button; Space must play, not click Step again
    page.click("[data-action=step]")
    expect(page.locator("[data-metric=step]")).to_have_text("1")
    wait_idle(ui)
    page.keyboard.press(" ")
    expect(page.locator("[data-action=play]")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press(" ")
    expect(page.locator("[data-action=play]")).to_have_attribute("aria-pressed", "false")
    wait_idle(ui)

    # ? lists the keys; Escape closes the list
    page.keyboard.press("?")
    dialog = page.locator("dialog[data-dialog=keys]")
    expect(dialog).to_be_visible()
    for key in ("Space", "→", "F", "B", "R", "?"):
        expect(dialog.locator("kbd", has_text=key).first).to_be_visible()
    ui.shot("classroom-keys-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # p: presenter mode on and off, kept in the address
    page.keyboard.press("p")
    expect(page.locator("body")).to_have_class("is-presenter")
    assert "presenter=1" in page.url
    page.keyboard.press("p")
    expect(page.locator("body")).not_to_have_class("is-presenter")
    assert "presenter" not in page.url

    for action, key in (("play", "Space"), ("step", "ArrowRight"), ("forward", "F")):
        expect(page.locator(f"[data-action={action}]")).to_have_attribute("aria-keyshortcuts", key)

    # not while typing in a field
    steps = step_text(ui)
    field = page.locator("[data-control=learning-rate]")
    field.focus()
    for key in ("ArrowRight", "r", "f", "b", " ", "p", "?"):
        page.keyboard.press(key)
    flush(ui)
    assert step_text(ui) == steps
    assert ui.state("s.playing") is False
    expect(page.locator("dialog[data-dialog=keys]")).to_be_hidden()
    expect(page.locator("body")).not_to_have_class("is-presenter")


def test_neurons_are_reachable_and_readable_without_a_mouse(ui: UI) -> None:
    page = ui.page
    page.click("[data-action=forward]")
    wait_idle(ui)
    node = page.locator('[data-node="1:0"]')
    expect(node).to_have_attribute("tabindex", "0")
    # (once the forward animation is past it)
    expect(node).to_have_attribute("aria-label", re.compile("a = "))
    a = ui.state("s.forward.layers[0].a[0][0]")
    label = node.get_attribute("aria-label") or ""
    assert "layer 1" in label and "a = " in label
    shown = float(label.split("a = ")[1].split(",")[0].replace("−", "-"))
    assert shown == pytest.approx(a, rel=1e-3)
    # Tab from the last control before the drawing reaches the first neuron
    page.locator("[data-sample=next]").focus()
    page.keyboard.press("Shift+Tab")  # back to prev, then forward through the drawing
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.dataset?.node === '1:0'"):
            break
    assert page.evaluate("() => document.activeElement.dataset.node") == "1:0"
    ring = page.evaluate(
        "() => getComputedStyle(document.activeElement.querySelector('circle.body')).strokeWidth"
    )
    assert ring == "3px"  # the visible focus ring
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.backprop.store.state.selection?.kind === 'node'")
    expect(node).to_have_attribute("aria-pressed", "true")
    assert ui.state("s.selection") == {"kind": "node", "layer": 1, "index": 0}
    ui.shot("classroom-neuron-focus")
    # small networks: every weight is focusable too, with its value as text
    edge = page.locator('[data-edge="1:0:0"]')
    expect(edge).to_have_attribute("tabindex", "0")
    w = ui.state("s.session.network.weights[0][0][0]")
    edge_label = edge.get_attribute("aria-label") or ""
    assert edge_label.startswith("W¹₀₀ = ")
    value = float(edge_label.split(" = ")[1].split(" ")[0].split(",")[0].replace("−", "-"))
    assert value == pytest.approx(w, rel=1e-3)


CONTRAST = """(selectors) => {
  const lum = (c) => {
    const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (node) => {
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const bg = getComputedStyle(n).backgroundColor;
      if (bg && !bg.startsWith("rgba(0, 0, 0, 0)") && bg !== "transparent") return bg;
    }
    return "rgb(255, 255, 255)";
  };
  const out = {};
  for (const sel of selectors) {
    const node = [...document.querySelectorAll(sel)].find((n) => n.getClientRects().length);
    if (!node) { out[sel] = null; continue; }
    const cs = getComputedStyle(node);
    const fg = node instanceof SVGElement ? cs.fill : cs.color;
    const [a, b] = [lum(fg), lum(background(node))].sort((x, y) => y - x);
    out[sel] = Math.round(((a + 0.05) / (b + 0.05)) * 100) / 100;
  }
  return out;
}"""


def test_text_contrast_is_readable(ui: UI) -> None:
    """Every kind of text, muted hints and chart labels included, reaches WCAG AA (4.5:1)."""
    ui.page.click("[data-action=backward]")
    wait_idle(ui)
    selectors = [
        ".hint",
        ".field-label",
        ".metric dt",
        ".panel-title",
        ".panel-sub",
        ".tool-label",
        ".tagline",
        ".layer-head .lh-sub",
        ".legend .legend-title",
        ".legend text",
        ".axis text",
        "svg.net .node-label",
        "svg.net .input-label",
        "svg.net .output-label",
        ".chart-legend",
        ".sample-caption",
        ".lang-btn",
        ".cl-btn",
        ".btn",
        ".segmented button",
    ]
    ratios = ui.page.evaluate(CONTRAST, selectors)
    low = {sel: r for sel, r in ratios.items() if r is not None and r < 4.5}
    assert low == {}, f"text below 4.5:1 contrast: {low}"
    assert sum(r is not None for r in ratios.values()) >= len(selectors) - 2
