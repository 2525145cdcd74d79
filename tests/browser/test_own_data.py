"""Own data in the page: drawing from zero points, a pasted/uploaded CSV, Iris, digits."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, expect

from tests.browser.conftest import UI, api, wait_idle

PREDICTED_NOW = (
    "() => { const s = window.backprop.store.state;"
    " return s.predictions?.id === s.session.id && s.predictions.step === s.session.step; }"
)
IRIS_CSV = (Path(__file__).parents[2] / "app/engine/data/iris.csv").read_text()


def _click_plot(ui: UI, fx: float, fy: float) -> None:
    plot = ui.page.locator("#data-scatter svg")
    box = plot.bounding_box()
    assert box is not None
    plot.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
    wait_idle(ui)


def test_drawing_from_zero_points(ui: UI) -> None:
    page = ui.page
    page.click("[data-action=clear-data]")
    page.wait_for_function(
        "() => window.backprop.store.state.session.dataset.n_train === 0"
        " && !window.backprop.store.state.busy"
    )
    step = page.locator("[data-action=step]")
    expect(step).to_be_disabled()
    expect(page.locator("[data-action=play]")).to_be_disabled()
    expect(step).to_have_attribute(
        "data-disabled-reason", "Add at least 1 training point to train: click the data plot."
    )
    expect(page.locator("#data-scatter circle.pt")).to_have_count(0)

    page.select_option("[data-control=draw-label]", "1")
    _click_plot(ui, 0.3, 0.3)
    page.select_option("[data-control=draw-label]", "0")
    _click_plot(ui, 0.7, 0.7)
    _click_plot(ui, 0.75, 0.4)
    assert ui.state("s.session.dataset.labels") == [[1], [0], [0]]
    x = ui.state("s.session.dataset.x")
    assert x[0][0] < 0 < x[0][1] and x[1][0] > 0 > x[1][1]  # where the clicks were, ±6 box
    expect(step).to_be_enabled()
    step.click()
    page.wait_for_function("() => window.backprop.store.state.session.step === 1")
    wait_idle(ui)

    # clicking a point removes it
    page.locator("#data-scatter circle.pt").nth(2).click()
    page.wait_for_function("() => window.backprop.store.state.session.dataset.n_train === 2")
    ui.shot("own-data-drawn")


def _undo_count(ui: UI, n: int) -> None:
    expect(ui.page.locator("[data-action=undo]")).to_have_attribute("data-count", str(n))
    wait_idle(ui)


def test_drawing_is_undone_and_redone_down_to_the_empty_canvas(ui: UI) -> None:
    page = ui.page
    wait_idle(ui)
    before = ui.state("s.session.id")
    page.click("[data-action=clear-data]")
    page.wait_for_function(f"() => window.backprop.store.state.session.id !== '{before}'")
    _undo_count(ui, 1)
    drawn = ui.state("s.session.id")
    page.select_option("[data-control=draw-label]", "1")
    _click_plot(ui, 0.3, 0.3)
    page.select_option("[data-control=draw-label]", "0")
    _click_plot(ui, 0.7, 0.7)
    _click_plot(ui, 0.75, 0.4)
    _undo_count(ui, 4)

    def stored() -> tuple[list[list[float]], list[list[float]]]:
        d = api(ui.base, "GET", f"/api/networks/{drawn}")["dataset"]
        return d["x"], d["y"]

    three_x, three_y = stored()
    assert len(three_x) == 3 and three_y == [[1.0], [0.0], [0.0]]
    page.click("[data-action=undo]")  # the third point goes
    page.wait_for_function("() => window.backprop.store.state.session.dataset.n_train === 2")
    _undo_count(ui, 3)
    assert stored() == (three_x[:2], three_y[:2])
    page.click("[data-action=redo]")  # and comes back
    page.wait_for_function("() => window.backprop.store.state.session.dataset.n_train === 3")
    _undo_count(ui, 4)
    assert stored() == (three_x, three_y)

    for n in (2, 1, 0):  # every point, the first one too: the empty canvas again
        page.keyboard.press("Control+z")
        page.wait_for_function(f"() => window.backprop.store.state.session.dataset.n_train === {n}")
        wait_idle(ui)
    assert stored() == ([], [])
    expect(page.locator("[data-action=step]")).to_be_disabled()
    page.keyboard.press("Control+z")  # the clearing: the data before it, as it was
    page.wait_for_function(f"() => window.backprop.store.state.session.id === '{before}'")
    _undo_count(ui, 0)
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function(f"() => window.backprop.store.state.session.id === '{drawn}'")
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function("() => window.backprop.store.state.session.dataset.n_train === 1")
    wait_idle(ui)
    assert stored() == (three_x[:1], three_y[:1])


def test_removing_the_last_drawn_point_explains_instead_of_failing(ui: UI) -> None:
    page = ui.page
    page.click("[data-action=clear-data]")
    page.wait_for_function("() => window.backprop.store.state.session.dataset.n_train === 0")
    wait_idle(ui)
    _click_plot(ui, 0.4, 0.6)
    step = page.locator("[data-action=step]")
    expect(step).to_be_enabled()
    page.locator("#data-scatter circle.pt").first.click()
    page.wait_for_function("() => window.backprop.store.state.session.dataset.n_train === 0")
    wait_idle(ui)
    expect(step).to_be_disabled()
    expect(page.locator("[data-action=play]")).to_be_disabled()
    expect(step).to_have_attribute(
        "data-disabled-reason", "Add at least 1 training point to train: click the data plot."
    )
    expect(page.locator("#data-scatter circle.pt")).to_have_count(0)


def test_pasting_a_csv_previews_names_a_bad_cell_and_trains(ui: UI) -> None:
    page = ui.page
    ui.allow_console_error("status of 422")  # the bad cell's answer
    page.click(".own-paste summary")
    page.fill("[data-control=table-text]", "a,b,kind\n1,2,cat\n3,oops,dog\n")
    page.click("[data-action=table-preview]")
    expect(page.locator("[data-role=table-error]")).to_have_text(
        "table: row 3, column 'b': 'oops' is not a number"
    )
    expect(page.locator("[data-action=table-use]")).to_be_disabled()

    header = "sepal length,sepal width,petal length,petal width,species\n"
    names = ["setosa", "versicolor", "virginica"]
    rows = [line.split(",") for line in IRIS_CSV.splitlines()[1:]]
    text = header + "".join(f"{','.join(r[:4])},{names[int(r[4])]}\n" for r in rows)
    upload: FilePayload = {"name": "iris.csv", "mimeType": "text/csv", "buffer": text.encode()}
    page.set_input_files("[data-control=table-file]", files=[upload])
    expect(page.locator("[data-role=table-summary]")).to_have_text(
        "150 rows · 4 features · 3 classes: setosa, versicolor, virginica"
    )
    expect(page.locator("[data-view=table-preview] tbody tr")).to_have_count(5)
    expect(page.locator("[data-role=table-error]")).to_have_text("")
    page.click("[data-action=table-use]")
    page.wait_for_function("() => window.backprop.store.state.table?.name === 'table'")
    wait_idle(ui)
    assert ui.state("s.session.network.layers") == [4, 8, 3]
    assert ui.state("s.session.network.loss") == "cross_entropy"
    assert ui.state("s.session.dataset.n_train") == 120
    # more than two inputs: both plots show two chosen features, the others held at the mean
    page.select_option("[data-control=plane-y]", "3")
    assert ui.state("s.plane") == [0, 3]
    page.wait_for_function("() => window.backprop.store.state.boundary?.plane?.[1] === 3")
    expect(page.locator("#output-sub")).to_contain_text(
        "sepal length × petal width; the other 2 held at their mean: sepal width"
    )


def test_iris_trains_to_90_percent_test_accuracy(ui: UI) -> None:
    page = ui.page
    page.click("[data-action=dataset-iris]")
    page.wait_for_function("() => window.backprop.store.state.table?.name === 'iris'")
    wait_idle(ui)
    assert ui.state("s.session.network.activations") == ["tanh", "softmax"]
    page.click("[data-action=play]")
    page.select_option("[data-control=plane-x]", "2")  # Play's grids follow the chosen pair
    page.wait_for_function(
        "() => window.backprop.store.state.playing"
        " && String(window.backprop.store.state.boundary?.plane) === '2,1'"
    )
    page.wait_for_function(
        "() => (window.backprop.store.state.session.metrics?.test_accuracy ?? 0) >= 0.9"
        " && window.backprop.store.state.session.step >= 100",
        timeout=60000,
    )
    page.click("[data-action=play]")
    wait_idle(ui)
    # the confusion matrix counts the 30 test flowers
    page.wait_for_function(PREDICTED_NOW)
    cells = page.locator("[data-view=confusion] td")
    expect(cells).to_have_count(9)
    total = sum(int(c) for c in cells.all_inner_texts())
    assert total == 30
    right = sum(int(page.locator(f"[data-cell='{i}:{i}']").inner_text()) for i in range(3))
    assert right >= 27


def test_digits_show_input_weight_and_test_images(ui: UI) -> None:
    page = ui.page
    page.click("[data-action=dataset-digits]")
    page.wait_for_function("() => window.backprop.store.state.table?.name === 'digits'")
    wait_idle(ui)
    assert ui.state("s.session.network.layers") == [64, 16, 10]
    # 64 inputs drawn as one image node; the per-input view on demand
    expect(page.locator("[data-node=input-group] [data-role=input-image] rect")).to_have_count(64)
    page.click("[data-action=toggle-inputs]")
    expect(page.locator("[data-node=input-group]")).to_have_count(0)
    expect(page.locator("#network text.input-label")).to_have_count(64)
    page.click("[data-action=toggle-inputs]")
    expect(page.locator("[data-node=input-group]")).to_have_count(1)

    expect(page.locator("#panel-images")).to_be_visible()
    expect(page.locator("[data-view=input-image] canvas")).to_have_count(1)
    expect(page.locator("[data-view=weight-images] figure")).to_have_count(16)
    for _ in range(3):
        page.click("[data-action=step]")
        wait_idle(ui)
    page.wait_for_function(PREDICTED_NOW)
    figures = page.locator("[data-view=test-predictions] figure")
    expect(figures).to_have_count(60)
    wrong = page.locator("[data-view=test-predictions] figure.is-wrong").count()
    predicted = ui.state("s.predictions.predicted.slice(0, 60)")
    truth = ui.state("s.predictions.truth.slice(0, 60)")
    assert wrong == sum(p != t for p, t in zip(predicted, truth, strict=True))
    expect(page.locator("[data-view=confusion] td")).to_have_count(100)
    ui.shot("own-data-digits")


@pytest.mark.parametrize("d", [1, 3, 4, 64])
def test_any_input_dimension_draws_without_errors(ui: UI, d: int) -> None:
    """Tables of d features: every view draws (no console error), the network has d inputs,
    views that need a plane say why, Step trains."""
    page = ui.page
    header = ",".join(f"f{i}" for i in range(d)) + ",label\n"
    rows = "".join(
        ",".join(str((r * 7 + i * 3) % 11 - 5) for i in range(d)) + f",{'ab'[r % 2]}\n"
        for r in range(40)
    )
    page.click(".own-paste summary")
    page.fill("[data-control=table-text]", header + rows)
    page.click("[data-action=table-preview]")
    expect(page.locator("[data-role=table-summary]")).to_contain_text(f"40 rows · {d} features")
    page.click("[data-action=table-use]")
    page.wait_for_function(f"() => window.backprop.store.state.session.dataset.input_dim === {d}")
    wait_idle(ui)
    assert ui.state("s.session.network.layers[0]") == d
    grouped = d > 16
    expect(page.locator("[data-node=input-group]")).to_have_count(1 if grouped else 0)
    expect(page.locator("#network text.input-label")).to_have_count(0 if grouped else d)
    if d > 2:  # the heatmap spans the chosen pair, the others held at their mean
        page.wait_for_function("() => window.backprop.store.state.boundary?.plane?.[1] === 1")
        expect(page.locator("[data-role=boundary-canvas]")).to_be_visible()
        expect(page.locator("#output-sub")).to_contain_text(
            f"f0 × f1; the other {d - 2} held at their mean: f2 "
        )
        page.select_option("[data-control=plane-x]", "2")
        page.wait_for_function("() => window.backprop.store.state.boundary?.plane?.[0] === 2")
        expect(page.locator("#output-sub")).to_contain_text("f2 × f1; the other")
        expect(page.locator("[data-control=plane-x]")).to_have_value("2")
        page.select_option("[data-control=plane-y]", "2")  # the same feature: the axes swap
        page.wait_for_function(
            "() => String(window.backprop.store.state.boundary?.plane) === '1,2'"
        )
        expect(page.locator("[data-control=plane-x]")).to_have_value("1")
        xs = page.locator("#boundary circle.pt").evaluate_all(
            "(cs) => cs.map((c) => Number(c.getAttribute('cx')))"
        )
        assert len(set(xs)) > 1 and all(x == x for x in xs)  # placed by feature 1, no NaN
    else:
        expect(page.locator("[data-role=boundary-canvas]")).to_be_hidden()  # 1-D: a curve
        page.wait_for_function("() => window.backprop.store.state.boundary?.dims === 1")
    expect(page.locator("#data-scatter circle.pt")).to_have_count(40)
    page.click("[data-action=step]")
    page.wait_for_function("() => window.backprop.store.state.session.step === 1")
    wait_idle(ui)
    expect(page.locator("[data-view=confusion] td")).to_have_count(4)
