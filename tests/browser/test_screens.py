"""Every screen a class meets (issue 16): phone, tablet, projector, laptop, desktop.

At each size: no sideways scroll, Step and Play visible and working, the network's share
of the width, no clipped text, no two network labels (or a label and a neuron) overlapping,
no formula wider than its box. And a value the server refuses goes back at once, with a
plain-language message beside its field.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from tests.browser.conftest import UI, open_ui, wait_idle, wait_still

SIZES: list[ViewportSize] = [
    {"width": 390, "height": 844},
    {"width": 768, "height": 1024},
    {"width": 1024, "height": 768},
    {"width": 1280, "height": 720},
    {"width": 1920, "height": 1080},
]

# Visible elements whose own text runs past their box (scrollWidth > clientWidth).
CLIPPED_TEXT = """() => {
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const skip = "svg, .katex, .tooltip, select, option, [hidden], .teach-math, script, style";
    if (el.closest(skip)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length || el.clientWidth === 0) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden" || cs.display === "inline") continue;
    if (cs.clipPath === "inset(50%)") continue; // kept for screen readers only (phone header)
    if (el.scrollWidth > el.clientWidth + 1) {
      out.push(`${el.tagName}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
    }
  }
  return out;
}"""

# Pairs of shown network labels whose boxes intersect, and labels over a neuron.
LABEL_COLLISIONS = """() => {
  const sel = ["text.input-label", "text.output-label", "text.node-label > tspan.line",
    "text.edge-label"].map((s) => `svg.net ${s}`).join(", ");
  const shown = [...document.querySelectorAll(sel)].filter((e) => e.textContent.trim()
    && !e.closest("[data-thinned]") && getComputedStyle(e).visibility !== "hidden");
  const box = (e) => e.getBoundingClientRect();
  const hit = (a, b) => a.left + a.width - 0.5 > b.left && b.left + b.width - 0.5 > a.left
    && a.top + a.height - 0.5 > b.top && b.top + b.height - 0.5 > a.top;
  const nodes = [...document.querySelectorAll("svg.net g.node circle.body")].map(box);
  const out = [];
  shown.forEach((a, i) => {
    const ra = box(a);
    for (const b of shown.slice(i + 1)) {
      if (hit(ra, box(b))) out.push(`${a.textContent} × ${b.textContent}`);
    }
    if (nodes.some((n) => hit(ra, n))) out.push(`${a.textContent} over a neuron`);
  });
  return { shown: shown.length, collisions: out };
}"""

# Menus whose chosen option's text is wider than the menu ("圆环 (circle" at 1024 px).
CUT_MENUS = """() => {
  const probe = document.createElement("span");
  probe.style.cssText = "position:absolute;visibility:hidden;white-space:pre;left:-9999px";
  document.body.append(probe);
  const out = [];
  for (const s of document.querySelectorAll("select")) {
    const cs = getComputedStyle(s);
    if (!s.getClientRects().length || cs.visibility === "hidden" || s.closest("[hidden]")) continue;
    const o = s.selectedOptions[0];
    if (!o) continue;
    probe.style.font = cs.font;
    probe.style.letterSpacing = cs.letterSpacing;
    probe.textContent = o.textContent;
    const arrow = cs.appearance === "none" ? 0 : 18;
    const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - arrow;
    const need = probe.getBoundingClientRect().width;
    if (need > room + 0.5) out.push(`${s.dataset.control || s.dataset.builder}: ${o.textContent}`);
  }
  probe.remove();
  return out;
}"""

# Header parts outside their box ("Backprop Ex" under the brand's edge) or the brand (with
# the lesson's suggestion) running under the header's buttons.
HEADER_OVERLAPS = """() => {
  const h = document.querySelector(".app-header");
  const b = h.querySelector(".brand");
  const a = h.querySelector(".header-actions");
  const r = (e) => e.getBoundingClientRect();
  const out = [];
  for (const e of [...b.children, ...a.children]) {
    if (!e.getClientRects().length || getComputedStyle(e).visibility === "hidden") continue;
    const x = r(e);
    const box = e.parentElement === b ? r(b) : r(h);
    if (x.right > box.right + 1 || x.left < box.left - 1) out.push(e.className || e.tagName);
  }
  const [rb, ra] = [r(b), r(a)];
  if (rb.right > ra.left + 1 && rb.bottom > ra.top + 1 && ra.bottom > rb.top + 1) {
    out.push("brand over actions");
  }
  return out;
}"""

# Layer heads that overlap their neighbour on the same row (a deep network, a narrow screen).
HEAD_OVERLAPS = """() => { const hs = [...document.querySelectorAll(".layer-head")]
  .map((h) => h.getBoundingClientRect());
  return hs.flatMap((a, i) => hs.slice(i + 1).filter((b) => a.right > b.left + 0.5
    && b.right > a.left + 0.5 && a.bottom > b.top + 0.5 && b.bottom > a.top + 0.5)
    .map(() => i)); }"""

# Formulas (KaTeX) wider than the box they sit in.
WIDE_FORMULAS = """() => [...document.querySelectorAll(".formula")]
  .filter((f) => f.getClientRects().length && f.querySelector(".katex"))
  .filter((f) => f.querySelector(".katex").getBoundingClientRect().width
    > f.clientWidth + 1)
  .map((f) => f.textContent.slice(0, 40))"""

# Display formulas (teaching panels, lesson) wider than their box or past the screen's edge.
# 3 px of slack: KaTeX's struts round to whole pixels in a box a few dozen pixels wide.
WIDE_DISPLAYS = """() => [...document.querySelectorAll(".katex-display")]
  .filter((d) => d.getClientRects().length)
  .filter((d) => d.scrollWidth > d.clientWidth + 3
    || d.getBoundingClientRect().right > innerWidth + 1)
  .map((d) => d.textContent.slice(0, 40))"""


def open_at(browser: Browser, server: str, size: ViewportSize) -> Iterator[UI]:
    for ui in open_ui(browser, server):
        ui.page.set_viewport_size(size)
        wait_idle(ui)
        yield ui


@pytest.fixture(params=SIZES, ids=lambda s: f"{s['width']}x{s['height']}")
def sized(request: pytest.FixtureRequest, browser: Browser, server: str) -> Iterator[UI]:
    yield from open_at(browser, server, request.param)


def in_view(ui: UI, selector: str) -> bool:
    return bool(
        ui.page.evaluate(
            """(s) => { const r = document.querySelector(s).getBoundingClientRect();
              return r.width > 0 && r.top >= 0 && r.left >= 0
                && r.bottom <= innerHeight && r.right <= innerWidth; }""",
            selector,
        )
    )


def test_the_page_fits_every_screen(sized: UI) -> None:
    page = sized.page
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert (
        page.evaluate("() => document.documentElement.scrollWidth") <= width
    )  # no sideways scroll

    # the run buttons are on screen without scrolling, and they work
    for action in ("step", "play"):
        assert in_view(sized, f"[data-action={action}]"), action
    page.click("[data-action=step]")
    expect(page.locator("[data-metric=step]")).to_have_text("1")
    page.click("[data-action=play]")
    page.wait_for_function("() => window.backprop.store.state.session.step >= 3")
    page.click("[data-action=play]")
    page.wait_for_function("() => !window.backprop.store.state.playing")
    wait_idle(sized)
    wait_still(sized)

    # the network's share of the width: all of it on a narrow screen, at least half from 1024 px
    frame = page.locator(".network-frame").bounding_box()
    assert frame is not None
    assert frame["width"] >= (0.5 if width >= 1024 else 0.85) * width

    assert page.evaluate(CLIPPED_TEXT) == []
    assert page.evaluate(WIDE_FORMULAS) == []
    assert page.evaluate(CUT_MENUS) == []
    assert page.evaluate(HEADER_OVERLAPS) == []
    labels = page.evaluate(LABEL_COLLISIONS)
    assert labels["shown"] >= 3  # the input names, the output and at least one value
    assert labels["collisions"] == []
    sized.shot(f"screens-{width}")


def test_phone_controls_are_big_enough_to_tap(browser: Browser, server: str) -> None:
    for ui in open_at(browser, server, SIZES[0]):
        small = ui.page.evaluate(
            """() => [...document.querySelectorAll([
                  "#runbar button", ".column-left button", ".column-left select",
                  ".column-left input[type=number]", ".network-toolbar button",
                  ".app-header button", ".app-header select", ".layer-head input",
                  ".layer-head select"].join(", "))]
              .filter((e) => e.getClientRects().length
                && getComputedStyle(e).visibility !== "hidden")
              .filter((e) => e.getBoundingClientRect().height < 40)
              .map((e) => e.outerHTML.slice(0, 60))"""
        )
        assert small == []
        # stacked in this order: run bar, network, then the panels
        tops = [
            ui.page.locator(s).bounding_box()
            for s in ("#runbar", "#network", "#panel-builder", "#panel-output")
        ]
        ys = [b["y"] for b in tops if b]
        assert ys == sorted(ys) and len(ys) == 4


@pytest.mark.parametrize(
    "size", [SIZES[0], SIZES[2], SIZES[4]], ids=["390x844", "1024x768", "1920x1080"]
)
def test_the_largest_network_keeps_heads_and_labels_whole(
    browser: Browser, server: str, size: ViewportSize
) -> None:
    for ui in open_at(browser, server, size):
        ui.allow_console_error("422")
        ui.page.evaluate(
            """() => window.backprop.actions.editNetwork((net) => {
                 const out = net.activations[net.activations.length - 1];
                 const n = net.layers;
                 net.layers = [n[0], ...Array(9).fill(64), n[n.length - 1]];
                 net.activations = [...Array(9).fill("tanh"), out];
               })"""
        )
        wait_idle(ui)
        expect(ui.page.locator("[data-node]")).to_have_count(2 + 9 * 64 + 1)
        assert ui.page.evaluate(CLIPPED_TEXT) == []
        assert ui.page.evaluate(HEAD_OVERLAPS) == []
        assert ui.page.evaluate(LABEL_COLLISIONS)["collisions"] == []
        # a width typed into a layer's field
        field = ui.page.locator('[data-builder=layer-width][data-layer="3"]')
        field.fill("12")
        field.press("Enter")
        ui.page.wait_for_function(
            "() => window.backprop.store.state.session.network.layers[3] === 12"
        )
        field.fill("65")
        field.press("Enter")
        expect(field).to_have_value("12")
        expect(ui.page.locator(".toast")).to_contain_text("A layer's width can be at most 64.")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_refused_value_reverts_at_once_with_a_plain_message(ui: UI, lang: str) -> None:
    page = ui.page
    ui.allow_console_error("422")  # the browser logs the refused request
    if lang == "zh":
        page.click("[data-lang=zh]")
    before = ui.state("s.session.training.learning_rate")
    lr = page.locator("[data-control=learning-rate]")
    lr.fill("1000")
    lr.press("Enter")  # a change event while the field keeps its focus
    message = page.locator('[data-role=field-error][data-field="learning_rate"]')
    expected = "The learning rate can be at most 100." if lang == "en" else "学习率最大为 100。"
    expect(message).to_contain_text(expected)
    expect(lr).to_have_value(str(before))
    assert page.evaluate("() => document.activeElement?.dataset.control") == "learning-rate"
    assert ui.state("s.session.training.learning_rate") == before
    # beside its field, not over the run buttons, and no raw "Error 422" banner
    assert page.locator(".toast").count() == 0
    box, run = message.bounding_box(), page.locator("#runbar").bounding_box()
    field = page.locator(".field", has=lr).bounding_box()
    assert box and run and field
    assert 0 <= box["y"] - (field["y"] + field["height"]) < 12
    # an accepted value ends the message
    lr.fill("0.05")
    lr.press("Enter")
    expect(message).to_have_count(0)
    assert ui.state("s.session.training.learning_rate") == 0.05


@pytest.mark.parametrize("size", [SIZES[0], SIZES[2]], ids=["390x844", "1024x768"])
@pytest.mark.parametrize("preset", ["xor", "diverging", "worked-example"])
def test_labels_of_presets_never_collide_after_a_backward_pass(
    browser: Browser, server: str, size: ViewportSize, preset: str
) -> None:
    for ui in open_at(browser, server, size):
        before = ui.state("s.session.id")
        ui.page.select_option("[data-control=preset]", preset)
        ui.page.wait_for_function(f"() => window.backprop.store.state.session.id !== {before!r}")
        wait_idle(ui)
        ui.page.click("[data-action=backward]")
        wait_idle(ui)
        wait_still(ui)
        labels = ui.page.evaluate(LABEL_COLLISIONS)
        assert labels["shown"] >= 3
        assert labels["collisions"] == []


def test_one_menu_sets_the_activation_of_every_hidden_layer(ui: UI) -> None:
    page = ui.page
    page.click("[data-builder=add-layer]")
    wait_idle(ui)
    out = ui.state("s.session.network.activations.at(-1)")
    page.select_option('[data-layer="1"][data-builder=activation]', "sigmoid")
    wait_idle(ui)
    expect(page.locator("[data-builder=hidden-activation]")).to_have_value("")  # (mixed)
    page.select_option("[data-builder=hidden-activation]", "relu")
    wait_idle(ui)
    acts = ui.state("s.session.network.activations")
    assert acts[:-1] == ["relu"] * (len(acts) - 1) and len(acts) >= 3
    assert acts[-1] == out
    expect(page.locator("[data-builder=hidden-activation]")).to_have_value("relu")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_formula_scrolls_sideways_on_a_phone(browser: Browser, server: str, lang: str) -> None:
    """The teaching panels' and the lesson's formulas fit a 390 px screen (scaled or broken)."""
    for ui in open_at(browser, server, SIZES[0]):
        page = ui.page
        if lang == "zh":
            page.click("[data-lang=zh]")
        page.click("[data-action=backward]")
        wait_idle(ui)
        page.evaluate("() => window.backprop.actions.select({kind: 'node', layer: 1, index: 0})")
        tabs = page.eval_on_selector_all(
            "[data-teach-tab]", "ts => ts.map((t) => t.dataset.teachTab)"
        )
        assert len(tabs) >= 5
        for tab in tabs:
            page.click(f'[data-teach-tab="{tab}"]')
            expect(page.locator(f'[data-teach-tab="{tab}"]')).to_have_attribute(
                "aria-selected", "true"
            )
            page.wait_for_function(f"() => !({WIDE_DISPLAYS})().length")
        page.click("[data-action=lesson]")
        shown = 0
        for n in range(1, 8):
            expect(page.locator("[data-lesson-step]")).to_have_attribute("data-lesson-step", str(n))
            shown += page.locator(".lesson .katex-display").count()
            page.wait_for_function(f"() => !({WIDE_DISPLAYS})().length")
            if n < 7:
                page.click("[data-action=lesson-next]")
        assert shown >= 5  # the lesson's steps do show display formulas
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_iris_fits_a_projector(browser: Browser, server: str, lang: str) -> None:
    """At 1024×768 with Iris: the confusion matrix, the menus and the panel names are whole."""
    for ui in open_at(browser, server, SIZES[2]):
        page = ui.page
        if lang == "zh":
            page.click("[data-lang=zh]")
        before = ui.state("s.session.id")
        page.click("[data-action=dataset-iris]")
        page.wait_for_function(f"() => window.backprop.store.state.session.id !== {before!r}")
        expect(page.locator("[data-view=confusion] td")).to_have_count(9)
        wait_idle(ui)
        matrix = page.locator("[data-view=confusion]")
        assert matrix.evaluate("(m) => m.scrollWidth <= m.clientWidth")
        assert page.evaluate(CUT_MENUS) == []
        assert page.evaluate(CLIPPED_TEXT) == []
        # a panel's name is on one line beside a long subtitle
        name = page.locator("#panel-output .panel-title > span").first.bounding_box()
        assert name and name["height"] < 20
