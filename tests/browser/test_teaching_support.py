"""Helpers of the teaching-panel browser tests (no tests here).

The panels render math with KaTeX; the TeX they asked KaTeX to render is kept in
each formula's MathML annotation, so a test can read the exact numbers shown and
compare them with the API's answers for the same state.
"""

from __future__ import annotations

import math
import re
from typing import Any

from playwright.sync_api import Locator

from tests.browser.conftest import UI, wait_idle

Matrix = list[list[float | None]]


def sid(ui: UI) -> str:
    return str(ui.state("s.session.id"))


def shot(ui: UI, name: str) -> None:
    """A screenshot with the mouse moved off the drawing (no tooltip in the picture)."""
    ui.page.mouse.move(2, 2)
    wait_idle(ui)
    ui.shot(name)


def open_tab(ui: UI, tab: str) -> None:
    ui.page.click(f"[data-teach-tab={tab}]")
    ui.page.wait_for_selector(f"[data-teach-panel={tab}]:not([hidden])")


def steps(ui: UI, n: int) -> None:
    """n clicks on Step (queued by the page, one request at a time)."""
    start = int(ui.state("s.session.step"))
    for _ in range(n):
        ui.page.click("[data-action=step]")
    ui.page.wait_for_function(f"() => window.backprop.store.state.session.step === {start + n}")
    wait_idle(ui)


def scrub_replay(ui: UI, index: int) -> None:
    """Move Replay's timeline with the keyboard to snapshot ``index`` (the first is 0)."""
    ui.page.locator("[data-teach-control=replay]").focus()
    ui.page.keyboard.press("Home")
    for _ in range(index):
        ui.page.keyboard.press("ArrowRight")


def data(locator: Locator, name: str) -> float:
    """A numeric data-* attribute (full precision) of an element."""
    value = locator.get_attribute(f"data-{name}")
    assert value not in (None, ""), f"data-{name} is empty"
    return float(str(value))


def tex_of(locator: Locator) -> str:
    """The TeX source KaTeX rendered in this element (from its MathML annotation)."""
    return str(locator.locator('annotation[encoding="application/x-tex"]').first.text_content())


def shown_text(locator: Locator) -> str:
    """What KaTeX drew, as text without spaces, with U+2212 minus signs made ASCII."""
    text = str(locator.locator(".katex-html").first.inner_text()).replace("\u2212", "-")
    return re.sub(r"[\s\u200b]+", "", text)


_NUM = re.compile(r"^\(?(-?[0-9.]+)(?: \\times 10\^\{(-?\d+)\})?\)?$")


def tex_number(cell: str) -> float | None:
    """A number as the panels write it in TeX ("-0.425", "1.2 \\times 10^{-4}"); None for ⋯."""
    cell = cell.strip()
    if cell in ("\\vdots", "\\cdots", "\\ddots"):
        return None
    m = _NUM.match(cell)
    assert m, f"not a number: {cell!r}"
    return float(m.group(1)) * (10 ** int(m.group(2)) if m.group(2) else 1)


def matrices(tex: str) -> list[Matrix]:
    """Every bmatrix of a TeX string, in order, as rows of numbers (None for an ellipsis)."""
    out = []
    for body in re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", tex):
        out.append([[tex_number(c) for c in row.split("&")] for row in body.split("\\\\")])
    return out


def shown(n: int, most: int) -> list[int | None]:
    """The panels' truncation rule: all of n when they fit, else the first ones, ⋯, the last."""
    if n <= most:
        return list(range(n))
    return [*range(max(1, most - 2)), None, n - 1]


def close_to_digits(shown_value: float, exact: float, digits: int) -> bool:
    """shown_value is exact rounded to `digits` significant digits."""
    if exact == 0:
        return shown_value == 0
    unit = 10 ** (math.floor(math.log10(abs(exact))) - digits + 1)
    return abs(shown_value - exact) <= 0.5 * unit * 1.0001 + 1e-15


def assert_matrix(
    got: Matrix, want: list[list[float]], most_rows: int, most_cols: int, digits: int = 3
) -> None:
    """A truncated matrix of the page equals `want` where it shows entries, ellipses elsewhere."""
    rows = shown(len(want), most_rows)
    cols = shown(len(want[0]), most_cols)
    assert len(got) == len(rows), (got, rows)
    for gr, r in zip(got, rows, strict=True):
        assert len(gr) == len(cols)
        for g, c in zip(gr, cols, strict=True):
            if r is None or c is None:
                assert g is None
            else:
                assert g is not None and close_to_digits(g, want[r][c], digits), (g, want[r][c])


def sig(v: float, digits: int = 4) -> str:
    """A number as the panels print it in normal ranges: `digits` significant digits."""
    return f"{float(f'{v:.{digits}g}'):g}" if 1e-3 <= abs(v) < 1e5 else f"{v:.{digits}g}"


def gradcheck_rows_match(root: Locator, answer: dict[str, Any]) -> None:
    """Each layer's deciding row of the Check table shows that one parameter's own backprop,
    numeric value, error, tolerance and verdict, as the API's /gradcheck answer gives them."""
    rows = root.locator("tbody tr[data-decides=true]")
    assert rows.count() == len(answer["layers"])
    for i, layer in enumerate(answer["layers"]):
        row, p = rows.nth(i), layer["parameters"][layer["worst"]]
        j, k = int(row.get_attribute("data-row") or -1), int(row.get_attribute("data-column") or -1)
        assert (row.get_attribute("data-kind"), j, k) == (p["kind"], p["row"], p["column"])
        assert int(row.get_attribute("data-layer") or -1) == layer["layer"]
        assert data(row, "backprop") == p["backprop"]
        assert data(row, "numeric") == p["numeric"]
        if p["kind"] == "W":  # the row's numbers are that weight's entries of the layer's matrices
            assert p["backprop"] == layer["backprop_weights"][j][k]
            assert p["numeric"] == layer["numeric_weights"][j][k]
        assert data(row, "rel-error") == p["error"]
        assert data(row, "tolerance") == p["tolerance"]
        assert row.get_attribute("data-verdict") == p["verdict"]
