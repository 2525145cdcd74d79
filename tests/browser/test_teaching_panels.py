"""Layer equations, gradient check, paths vs dynamic programming and gradient flow:
the numbers each panel shows equal the API's answers for the same state."""

from __future__ import annotations

import math

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LARGE, UI, api, wait_idle
from tests.browser.test_teaching_support import (
    assert_matrix,
    data,
    gradcheck_rows_match,
    matrices,
    open_tab,
    shot,
    sid,
    steps,
    tex_of,
)

pytestmark = pytest.mark.browser


def check_layer_equations(ui: UI) -> None:
    """Layer 2 of the default 2-4-2-1 network: z = W a + b, the δ recurrence, ∂C/∂W."""
    page = ui.page
    open_tab(ui, "equations")
    page.click('[data-teach-layer="2"]')
    root = page.locator("[data-teach=equations]")
    page.wait_for_selector("[data-teach=equations] [data-eq=backward]")
    wait_idle(ui)
    assert root.get_attribute("data-layer") == "2"
    session = api(ui.base, "GET", f"/api/networks/{sid(ui)}")
    net = session["network"]
    trace = api(ui.base, "POST", f"/api/networks/{sid(ui)}/backward", {"indices": [0]})
    lay = trace["layers"]
    col = lambda v: [[x] for x in v]  # noqa: E731
    # z² = W² a¹ + b²
    z, w, a, b = matrices(tex_of(root.locator("[data-eq=forward]")))
    assert_matrix(z, col(lay[1]["z"][0]), 6, 4)
    assert_matrix(w, net["weights"][1], 6, 4)
    assert_matrix(a, col(lay[0]["a"][0]), 6, 4)
    assert_matrix(b, col(net["biases"][1]), 6, 4)
    # δ² = (W³)ᵀ δ³ ⊙ σ'(z²)
    d2, w3t, d3, sp = matrices(tex_of(root.locator("[data-eq=backward]")))
    assert_matrix(d2, col(lay[1]["delta"][0]), 6, 4)
    assert_matrix(w3t, [list(r) for r in zip(*net["weights"][2], strict=True)], 6, 4)
    assert_matrix(d3, col(lay[2]["delta"][0]), 6, 4)
    assert_matrix(sp, col([1 - v * v for v in lay[1]["a"][0]]), 6, 4)
    # ∂C/∂W² = δ² (a¹)ᵀ
    g, dd, at = matrices(tex_of(root.locator("[data-eq=gradient]")))
    assert_matrix(g, lay[1]["grad_weights"], 6, 4)
    assert_matrix(dd, col(lay[1]["delta"][0]), 6, 4)
    assert_matrix(at, [lay[0]["a"][0]], 6, 4)
    shot(ui, "teach-equations-1280x720")


def check_gradient_check(ui: UI) -> None:
    """Backprop beside the API's central differences; then σ' dropped from layer 1."""
    page = ui.page
    open_tab(ui, "gradcheck")
    root = page.locator("[data-teach=gradcheck]")
    page.wait_for_selector("[data-teach=gradcheck][data-passed]")
    answer = api(ui.base, "POST", f"/api/networks/{sid(ui)}/gradcheck", {"indices": [0]})
    assert root.get_attribute("data-passed") == "true" and answer["passed"]
    expect(root.locator("[data-teach-verdict=pass]")).to_be_visible()

    gradcheck_rows_match(root, answer)
    shot(ui, "teach-gradcheck-pass")

    page.select_option("[data-teach-control=drop-derivative]", "1")
    page.wait_for_selector("[data-teach=gradcheck][data-drop='1'][data-passed]")
    broken = api(
        ui.base, "POST", f"/api/networks/{sid(ui)}/gradcheck",
        {"indices": [0], "drop_derivative_layer": 1},
    )  # fmt: skip
    assert not broken["passed"]
    assert root.get_attribute("data-passed") == "false"
    gradcheck_rows_match(root, broken)
    assert (
        root.locator("tbody tr[data-decides=true]").nth(0).get_attribute("data-verdict") == "fail"
    )
    # layers 1 … L: the note names the broken layer as "layer 1", never "layers 1…1"
    expect(root.locator("[data-note=dropped]")).to_contain_text("layer 1 fails")
    expect(root.locator("[data-note=dropped]")).not_to_contain_text("1…1")
    expect(root.locator("[data-teach-verdict=fail]")).to_be_visible()
    shot(ui, "teach-gradcheck-fail")


def check_paths(ui: UI) -> None:
    """W¹[0][0]: paths, both costs and both gradients as the API's /paths; the glow."""
    page = ui.page
    open_tab(ui, "paths")
    root = page.locator("[data-teach=paths]")
    page.wait_for_selector("[data-teach=paths][data-paths]")
    wait_idle(ui)
    body = {"layer": 1, "row": 0, "column": 0, "index": 0}
    want = api(ui.base, "POST", f"/api/networks/{sid(ui)}/paths", body)
    assert int(data(root, "paths")) == want["paths"]
    assert int(data(root, "path-multiply-adds")) == want["path_multiply_adds"]
    assert int(data(root, "dp-multiply-adds")) == want["dp_multiply_adds"]
    assert data(root, "path-gradient") == want["path_gradient"]
    assert data(root, "dp-gradient") == want["dp_gradient"]
    assert want["path_gradient"] == pytest.approx(want["dp_gradient"], rel=1e-9, abs=1e-15)
    expect(root.locator("[data-cell=paths]")).to_have_text(f"{want['paths']:,}")
    # the largest paths glow in the network view: W¹[j][0], then W^{t+1}[i_{t+1}][i_t]
    top = want["top_paths"][0]["neurons"]
    edges = [f"1:{top[0]}:0"] + [f"{t + 1}:{top[t]}:{top[t - 1]}" for t in range(1, len(top))]
    for e in edges:
        expect(
            page.locator(f'.path-highlights [data-path-edge="{e}"][data-path-rank="0"]')
        ).to_have_count(1)
    # the cost chart: both series over the API's depths, the exponential one on top
    depths = want["cost_by_depth"]
    for series in ("paths", "dp"):
        d = (
            page.locator(f'[data-teach=paths-chart] path[data-series="{series}"]').get_attribute(
                "d"
            )
            or ""
        )
        assert d.startswith("M") and d.count("L") == len(depths) - 1
    assert depths[-1]["path_multiply_adds"] > 1000 * depths[-1]["dp_multiply_adds"]
    shot(ui, "teach-paths-1280x720")

    # another weight: one nearer the output has fewer paths
    page.evaluate("window.backprop.actions.select({kind: 'edge', layer: 2, row: 1, column: 3})")
    page.wait_for_selector("[data-teach=paths][data-layer='2'][data-column='3']")
    want2 = api(
        ui.base,
        "POST",
        f"/api/networks/{sid(ui)}/paths",
        {"layer": 2, "row": 1, "column": 3, "index": 0},
    )
    assert int(data(root, "paths")) == want2["paths"] == 1
    assert data(root, "dp-gradient") == want2["dp_gradient"]
    # leaving the tab clears the glow
    open_tab(ui, "flow")
    expect(page.locator(".path-highlights [data-path-edge]")).to_have_count(0)


def test_equations_gradient_check_and_paths_of_the_default_network(ui: UI) -> None:
    wait_idle(ui)
    check_layer_equations(ui)
    check_gradient_check(ui)
    check_paths(ui)


def test_vanishing_preset_wide_layers_path_limit_and_gradient_flow(ui: UI) -> None:
    page = ui.page
    page.select_option("[data-control=preset]", "vanishing")
    page.wait_for_function("() => window.backprop.store.state.session.network.layers.length === 10")
    wait_idle(ui)
    col = lambda v: [[x] for x in v]  # noqa: E731

    # 6-wide layers are written with ⋯ for the columns that do not fit
    open_tab(ui, "equations")
    page.click('[data-teach-layer="2"]')
    root = page.locator("[data-teach=equations]")
    page.wait_for_function(
        "() => document.querySelector('[data-teach=equations] [data-eq=backward]')"
    )
    wait_idle(ui)
    net = api(ui.base, "GET", f"/api/networks/{sid(ui)}")["network"]
    trace = api(ui.base, "POST", f"/api/networks/{sid(ui)}/backward", {"indices": [0]})
    z, w, a, _ = matrices(tex_of(root.locator("[data-eq=forward]")))
    assert_matrix(w, net["weights"][1], 6, 4)  # 6 × 6 shown as 6 × (3 + ⋯)
    assert_matrix(z, col(trace["layers"][1]["z"][0]), 6, 4)
    assert_matrix(a, col(trace["layers"][0]["a"][0]), 6, 4)
    assert "⋯" in root.locator("[data-eq=forward] .katex-html").inner_text()
    shot(ui, "teach-equations-wide-1280x720")

    # W¹[0][0] has 6⁷ paths to the loss, more than the API sums: the panel says so
    open_tab(ui, "paths")
    paths = page.locator("[data-teach=paths]")
    expect(paths.locator(".teach-note")).to_contain_text("279,936 paths")
    page.evaluate("window.backprop.actions.select({kind: 'edge', layer: 7, row: 2, column: 4})")
    page.wait_for_selector("[data-teach=paths][data-layer='7'][data-paths]")
    body = {"layer": 7, "row": 2, "column": 4, "index": 0}
    want = api(ui.base, "POST", f"/api/networks/{sid(ui)}/paths", body)
    assert int(data(paths, "paths")) == want["paths"] == 6
    assert data(paths, "path-gradient") == want["path_gradient"]
    assert data(paths, "dp-gradient") == want["dp_gradient"]
    expect(page.locator('.path-highlights [data-path-rank="0"]')).to_have_count(3)

    # ‖δ^l‖ and ‖∂C/∂W^l‖ over the steps, as GET /metrics has them
    open_tab(ui, "flow")
    steps(ui, 3)
    root = page.locator("[data-teach=flow]")
    page.wait_for_selector("[data-teach=flow][data-step='3']")
    metrics = api(ui.base, "GET", f"/api/networks/{sid(ui)}/metrics?since=0")
    assert metrics["step"][-1] == 3
    dn, gn = metrics["delta_norms"][-1], metrics["grad_norms"][-1]
    rows = root.locator("tbody tr")
    assert rows.count() == len(dn) == 9
    for i in range(9):
        assert data(rows.nth(i), "delta-norm") == dn[i]
        assert data(rows.nth(i), "grad-norm") == gn[i]
    assert data(root, "ratio") == pytest.approx(dn[0] / dn[-1], rel=1e-12)
    assert dn[0] / dn[-1] < 1e-2  # the API's own numbers show the vanishing
    # one line per layer in each chart, with a point per stored record (steps 0 … 3)
    assert metrics["step"] == [0, 1, 2, 3]
    for chart in ("delta-norms", "grad-norms"):
        lines = page.locator(f'[data-chart="{chart}"] path.teach-line')
        expect(lines).to_have_count(9)
        assert (lines.first.get_attribute("d") or "").count("L") == len(metrics["step"]) - 1
    assert all(math.isfinite(v) for v in dn)
    shot(ui, "teach-flow-vanishing-1280x720")
    page.set_viewport_size(LARGE)
    wait_idle(ui)
    shot(ui, "teach-flow-vanishing-1920x1080")
