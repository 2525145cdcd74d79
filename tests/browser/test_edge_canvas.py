"""A large network's edges on a canvas (issue 16).

Above a few thousand edges the page draws them on a <canvas> under the SVG. The SVG
curves stay (hidden) with their data-* hooks; hover and click find the edge under the
pointer; the exported SVG shows every edge; a small network keeps its SVG edges.
"""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import UI, wait_idle
from tests.browser.test_classroom_export import export

pytestmark = pytest.mark.browser

HIDDEN, WIDTH = 8, 32  # 8 hidden layers of 32: 7,264 edges

# How much of the canvas is painted (non-transparent pixels), read back from the canvas.
PAINTED = """() => {
  const c = document.querySelector("canvas.net-edge-canvas");
  const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i]) n++;
  return n / (c.width * c.height);
}"""

# The screen point a fraction `at` along edge `id`'s curve.
EDGE_POINT = """([id, at]) => {
  const p = document.querySelector(`[data-edge="${id}"]`);
  const q = p.getPointAtLength(p.getTotalLength() * at);
  const m = p.getScreenCTM();
  return [m.a * q.x + m.c * q.y + m.e, m.b * q.x + m.d * q.y + m.f];
}"""


def make_large(ui: UI) -> int:
    ui.page.evaluate(
        """([hidden, width]) => window.backprop.actions.editNetwork((net) => {
             const out = net.activations[net.activations.length - 1];
             const n = net.layers;
             net.layers = [n[0], ...Array(hidden).fill(width), n[n.length - 1]];
             net.activations = [...Array(hidden).fill("tanh"), out];
           })""",
        [HIDDEN, WIDTH],
    )
    wait_idle(ui)
    layers = ui.state("s.session.network.layers")
    assert layers[1:-1] == [WIDTH] * HIDDEN
    return sum(a * b for a, b in itertools.pairwise(layers))


def test_a_small_network_keeps_its_svg_edges(ui: UI) -> None:
    expect(ui.page.locator("canvas.net-edge-canvas")).to_be_hidden()
    assert ui.page.locator("svg.net g.edges.is-canvas").count() == 0
    assert (
        ui.page.evaluate("() => getComputedStyle(document.querySelector('[data-edge]')).visibility")
        == "visible"
    )


def test_a_large_network_draws_its_edges_on_a_canvas(ui: UI) -> None:
    page = ui.page
    count = make_large(ui)
    canvas = page.locator("canvas.net-edge-canvas")
    expect(canvas).to_be_visible()
    expect(page.locator("[data-edge]")).to_have_count(count)  # the hooks stay, one per weight
    assert page.locator("svg.net g.edges.is-canvas").count() == 1
    box = canvas.bounding_box()
    stage = page.locator("#network").bounding_box()
    assert box and stage and box["width"] == pytest.approx(stage["width"], abs=1)
    dpr = page.evaluate("() => devicePixelRatio")
    assert page.evaluate("() => document.querySelector('canvas.net-edge-canvas').width") == round(
        box["width"] * dpr
    )
    assert page.evaluate(PAINTED) > 0.05  # the edges are drawn, not a blank canvas
    w = ui.state("s.session.network.weights[2][5][7]")
    assert float(page.get_attribute('[data-edge="3:5:7"]', "data-w") or "nan") == w

    # hover over an edge drawn on the canvas: its tooltip; a click selects it, again unselects
    ring = page.locator("#network-footer .legend", has_text="ring δ")
    expect(ring).to_have_css("visibility", "hidden")  # no δ yet, but its place is kept
    x, y = page.evaluate(EDGE_POINT, ["1:0:0", 0.5])
    page.mouse.move(x, y)
    expect(page.locator(".tooltip")).to_be_visible()
    page.mouse.click(x, y)
    page.wait_for_function("() => window.backprop.store.state.selection?.kind === 'edge'")
    sel = ui.state("s.selection")
    assert sel["layer"] == 1
    expect(page.locator(f'[data-edge="1:{sel["row"]}:{sel["column"]}"]')).to_have_class(
        "edge is-selected"
    )
    # the backward pass a selection fetches shows δ's legend without moving the drawing
    # (the footer once wrapped onto a second line, and the click below hit a neighbour)
    page.wait_for_function(
        "() => { const s = window.backprop.store.state;"
        "        return s.backward?.step === s.session.step; }"
    )
    expect(ring).to_have_css("visibility", "visible")
    assert page.locator("#network").bounding_box() == stage
    x, y = page.evaluate(EDGE_POINT, [f"1:{sel['row']}:{sel['column']}", 0.5])
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.outerHTML.slice(0, 80)", [x, y]
    )
    assert hit and hit.startswith("<svg"), hit  # the canvas's edge, not something drawn over it
    page.mouse.click(x, y)
    page.wait_for_function("() => window.backprop.store.state.selection === null")

    # Play, pause: the hidden curves catch up with the weights (hooks and the export read them)
    page.click("[data-action=play]")
    page.wait_for_function("() => window.backprop.store.state.session.step >= 5")
    page.click("[data-action=play]")
    page.wait_for_function("() => !window.backprop.store.state.playing")
    wait_idle(ui)
    w = ui.state("s.session.network.weights[0][3][1]")
    page.wait_for_function(
        "(w) => Number(document.querySelector('[data-edge=\"1:3:1\"]').dataset.w) === w", arg=w
    )

    # the exported picture shows every edge, not the hidden curves
    _, svg = export(ui, "svg")
    text = svg.decode()
    assert text.count("data-edge=") == count
    edge = text.split('data-edge="1:3:1"')[1].split(">")[0]
    assert "visibility:visible" in edge and "visibility:hidden" not in edge
    assert float(edge.split('data-w="')[1].split('"')[0]) == w
