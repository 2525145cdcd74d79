"""Own data, the details: a table's column names survive undo and redo and name the
network's inputs (fitting a phone and a tablet), and the metrics of a canvas whose last
point was removed say there is no data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from tests.browser.conftest import UI, wait_idle, wait_still
from tests.browser.test_own_data import _click_plot
from tests.browser.test_screens import CLIPPED_TEXT, LABEL_COLLISIONS, open_at

IRIS = ["sepal length", "sepal width", "petal length", "petal width"]
SPECIES = ["setosa", "versicolor", "virginica"]
IRIS_CSV = (Path(__file__).parents[2] / "app/engine/data/iris.csv").read_text()
ROWS = [line.split(",") for line in IRIS_CSV.splitlines()[1:]]
IRIS_TABLE = (
    ",".join([*IRIS, "species"])
    + "\n"
    + "".join(f"{','.join(r[:4])},{SPECIES[int(r[4])]}\n" for r in ROWS)
)
INPUT_NAMES = (
    "() => [...document.querySelectorAll('#network svg.net text.input-label')]"
    ".map((e) => e.textContent).filter(Boolean)"
)
PLANE_OPTIONS = (
    "() => [...document.querySelectorAll('[data-control=plane-x] option')]"
    ".map((o) => o.textContent)"
)


def _names(ui: UI, expected: list[str]) -> None:
    ui.page.wait_for_function(f"() => ({INPUT_NAMES})().join('|') === {'|'.join(expected)!r}")


def _use_pasted_iris(ui: UI) -> str:
    page = ui.page
    page.click(".own-paste summary")
    page.fill("[data-control=table-text]", IRIS_TABLE)
    page.click("[data-action=table-preview]")
    expect(page.locator("[data-role=table-summary]")).to_contain_text("150 rows · 4 features")
    page.click("[data-action=table-use]")
    page.wait_for_function("() => window.backprop.store.state.session.dataset.input_dim === 4")
    wait_idle(ui)
    return str(ui.state("s.session.id"))


def _undo_redo(ui: UI, action: str, session_id: str) -> None:
    ui.page.click(f"[data-action={action}]")
    ui.page.wait_for_function(f"() => window.backprop.store.state.session.id === {session_id!r}")
    wait_idle(ui)


def test_a_tables_column_names_survive_undo_and_redo(ui: UI) -> None:
    page = ui.page
    wait_idle(ui)
    start = str(ui.state("s.session.id"))
    table = _use_pasted_iris(ui)
    _names(ui, IRIS)
    assert page.evaluate(PLANE_OPTIONS) == IRIS

    # undo back to the network before the table, and redo to the table
    _undo_redo(ui, "undo", start)
    _names(ui, ["x₁", "x₂"])
    assert ui.state("s.table") is None
    _undo_redo(ui, "redo", table)
    _names(ui, IRIS)
    assert page.evaluate(PLANE_OPTIONS) == IRIS

    # a cleared canvas after it, undone back to the table, redone, and undone again
    page.click("[data-action=clear-data]")
    page.wait_for_function("() => window.backprop.store.state.session.dataset.n_train === 0")
    wait_idle(ui)
    drawn = str(ui.state("s.session.id"))
    _names(ui, ["x₁", "x₂"])
    _undo_redo(ui, "undo", table)
    _names(ui, IRIS)
    assert page.evaluate(PLANE_OPTIONS) == IRIS
    expect(page.locator("#output-sub")).to_contain_text("sepal length × sepal width")
    _undo_redo(ui, "redo", drawn)
    _names(ui, ["x₁", "x₂"])
    _undo_redo(ui, "undo", table)
    _names(ui, IRIS)


def test_the_metrics_say_no_data_when_the_last_point_is_removed(ui: UI) -> None:
    page = ui.page
    loss = page.locator("[data-metric=loss]")
    accuracy = page.locator("[data-metric=train-accuracy]")
    page.click("[data-action=clear-data]")
    page.wait_for_function("() => window.backprop.store.state.session.dataset.n_train === 0")
    wait_idle(ui)
    expect(loss).to_have_text("—")
    _click_plot(ui, 0.4, 0.6)
    page.click("[data-action=step]")
    page.wait_for_function("() => window.backprop.store.state.session.step === 1")
    wait_idle(ui)
    trained = float(loss.inner_text())
    expect(accuracy).to_have_text("100.0%")
    expect(page.locator("[data-metric=test-loss]")).to_have_text("—")  # no test points drawn

    page.locator("#data-scatter circle.pt").first.click()
    page.wait_for_function("() => window.backprop.store.state.session.dataset.n_train === 0")
    wait_idle(ui)
    expect(loss).to_have_text("—")
    expect(accuracy).to_have_text("—")

    _click_plot(ui, 0.6, 0.4)  # a point again: the values of the last step come back
    expect(loss).to_have_text(str(trained))
    expect(accuracy).to_have_text("100.0%")


SIZES: list[ViewportSize] = [{"width": 390, "height": 844}, {"width": 1024, "height": 768}]
# each shown input label inside the network's drawing and left of its neuron
LABELS_OUTSIDE = """() => {
  const svg = document.querySelector("#network svg.net").getBoundingClientRect();
  const out = [];
  for (const t of document.querySelectorAll("#network svg.net text.input-label")) {
    if (!t.textContent) continue;
    const b = t.getBoundingClientRect();
    const node = document.querySelector(`[data-node="0:${t.__data__.j}"] circle.body`);
    const n = node.getBoundingClientRect();
    const outside = b.left < svg.left || b.right > n.left;
    if (t.hasAttribute("data-thinned") || outside) out.push(t.textContent);
  }
  return out;
}"""


@pytest.fixture(params=SIZES, ids=lambda s: f"{s['width']}x{s['height']}")
def sized(request: pytest.FixtureRequest, browser: Browser, server: str) -> Iterator[UI]:
    yield from open_at(browser, server, request.param)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_iris_inputs_are_named_and_fit(sized: UI, lang: str) -> None:
    page = sized.page
    if lang == "zh":
        page.click("[data-lang=zh]")
    page.click("[data-action=dataset-iris]")
    page.wait_for_function("() => window.backprop.store.state.table?.name === 'iris'")
    wait_idle(sized)
    page.click("[data-action=backward]")  # the values drawn beside the neurons too
    wait_idle(sized)
    wait_still(sized)
    _names(sized, IRIS)
    assert page.evaluate(LABELS_OUTSIDE) == []
    assert page.evaluate(LABEL_COLLISIONS)["collisions"] == []
    assert page.evaluate(CLIPPED_TEXT) == []
    # the tooltip of an input neuron names it too
    page.hover('[data-node="0:2"]')
    expect(page.locator(".tooltip")).to_contain_text("petal length")
