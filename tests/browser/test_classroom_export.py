"""Classroom: exports (issue 8).

The network view as SVG (styles inlined) and PNG; the last Backward or Step trace as
JSON and CSV with every number of it; the session as JSON (GET /export) that imports
back through the Import button (POST /api/networks).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import struct
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import UI, api, wait_idle

pytestmark = pytest.mark.browser


def forget_own_blobs(ui: UI) -> None:
    """Downloads and the PNG's drawing load blob: URLs the page made itself; they name the
    page's own origin (blob:http://host:port/uuid), so they do not leave the host."""
    host = urlparse(ui.base).hostname
    ui.requests[:] = [
        u for u in ui.requests if not (u.startswith("blob:") and urlparse(u[5:]).hostname == host)
    ]


def export(ui: UI, item: str) -> tuple[str, bytes]:
    """Click an item of the Export menu; the downloaded file's name and content."""
    page = ui.page
    menu = page.locator("[data-role=export-menu]")
    if not menu.is_visible():
        page.click("[data-control=export]")
    with page.expect_download() as info:
        menu.locator(f"[data-export={item}]").click()
    download = info.value
    path = download.path()
    forget_own_blobs(ui)
    return download.suggested_filename, Path(path).read_bytes()


def check_pictures(ui: UI) -> None:
    """The network view as SVG and PNG."""
    page = ui.page
    layers = ui.state("s.session.network.layers")
    name, svg = export(ui, "svg")
    assert name == "network-step-0.svg"
    text = svg.decode()
    assert (
        text.startswith("<?xml") and "<svg" in text and 'xmlns="http://www.w3.org/2000/svg"' in text
    )
    assert text.count("data-node=") == sum(layers)
    assert 'class="' not in text  # styles are inlined, nothing depends on the page's CSS
    assert "stroke-width:" in text and "font-family:" in text
    assert "data:image/png;base64," in text  # the neuron heatmaps, embedded
    assert "Hidden 1" in text  # the layer names
    w = ui.state("s.session.network.weights[0][0][0]")
    edge = text.split('data-edge="1:0:0"')[1].split(">")[0]
    assert float(edge.split('data-w="')[1].split('"')[0]) == pytest.approx(w, rel=1e-9)

    name, png = export(ui, "png")
    assert name == "network-step-0.png"
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    stage = page.locator("#network").bounding_box()
    assert stage
    assert width == pytest.approx(2 * stage["width"], abs=2)  # drawn at twice the size
    assert height > 2 * stage["height"]
    assert len(png) > 20000  # a picture, not a blank


def test_the_picture_and_the_last_trace(ui: UI) -> None:
    page = ui.page
    sid = ui.state("s.session.id")
    page.click("[data-control=export]")
    expect(page.locator("[data-export=trace-json]")).to_be_disabled()
    expect(page.locator("[data-role=trace-hint]")).to_contain_text("Backward or Step")
    page.keyboard.press("Escape")

    # after Backward: the selected sample's pass, number for number the API's
    page.click("[data-action=backward]")
    wait_idle(ui)
    name, raw = export(ui, "trace-json")
    assert name == "trace-backward-step-0.json"
    doc = json.loads(raw)
    back = api(ui.base, "POST", f"/api/networks/{sid}/backward", {"indices": [0]})
    assert doc["kind"] == "backward" and doc["indices"] == [0] and doc["split"] == "train"
    assert doc["loss"] == back["loss"]
    for mine, theirs in zip(doc["layers"], back["layers"], strict=True):
        for key in ("z", "a", "delta", "grad_weights", "grad_biases"):
            assert mine[key] == theirs[key]
    assert (
        doc["network"]["weights"]
        == api(ui.base, "GET", f"/api/networks/{sid}")["network"]["weights"]
    )

    check_pictures(ui)
    page.keyboard.press("Escape")

    # after Step: the minibatch's trace, its update and the weights after, for homework
    page.click("[data-action=step]")
    expect(page.locator("[data-metric=step]")).to_have_text("1")
    wait_idle(ui)
    name, raw = export(ui, "trace-json")
    assert name == "trace-step-step-0.json"
    step = json.loads(raw)
    assert step["kind"] == "step" and len(step["indices"]) == step["training"]["batch_size"]
    eta = step["training"]["learning_rate"]
    after = api(ui.base, "GET", f"/api/networks/{sid}")["network"]["weights"]
    assert step["after"]["weights"] == after
    W0, G0, W1 = step["network"]["weights"][0], step["layers"][0]["grad_weights"], after[0]
    for j, row in enumerate(W0):  # plain SGD: W ← W − η ∂C/∂W
        for k, w in enumerate(row):
            assert W1[j][k] == pytest.approx(w - eta * G0[j][k], abs=1e-12)

    name, raw = export(ui, "trace-csv")
    assert name == "trace-step-step-0.csv"
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert rows and list(rows[0]) == ["quantity", "layer", "b", "j", "k", "value"]
    values: dict[tuple[str, str, str, str, str], float] = {
        (r["quantity"], r["layer"], r["b"], r["j"], r["k"]): float(r["value"])
        for r in rows
        if r["value"]
    }
    L = len(step["network"]["layers"]) - 1
    assert values[("loss", "", "", "", "")] == step["loss"]
    assert values[("grad_weights", "1", "", "0", "1")] == G0[0][1]
    assert values[("delta", str(L), "3", "0", "")] == step["layers"][L - 1]["delta"][3][0]
    assert values[("update_weights", "1", "", "0", "0")] == step["update"]["weights"][0][0][0]
    assert values[("x_raw", "", "0", "1", "")] == step["x_raw"][0][1]
    # every number of the trace is a row
    n = step["network"]["layers"]
    batch, units = len(step["indices"]), sum(n[1:])
    weights = sum(a * b for a, b in itertools.pairwise(n))
    d = len(step["x_raw"][0])
    # per sample: index, x_raw, x, y, z/a/δ, C_b; then C; W and b, their ∂C, Δ and values after
    per_batch = batch * (1 + d + n[0] + n[-1] + 3 * units + 1)
    assert len(rows) == per_batch + 1 + 4 * (weights + units)


def test_the_session_as_json_imports_back(ui: UI, tmp_path: Path) -> None:
    page = ui.page
    sid = ui.state("s.session.id")
    api(ui.base, "POST", f"/api/networks/{sid}/step", {"steps": 7})
    page.click("[data-action=step]")  # the page catches up with the session: step 8
    expect(page.locator("[data-metric=step]")).to_have_text("8")
    wait_idle(ui)
    name, raw = export(ui, "session")
    assert name.startswith("session-") and name.endswith("-step-8.json")
    doc: dict[str, Any] = json.loads(raw)
    assert doc["state"]["step"] == 8 and doc["history"]["metrics"]["step"][-1] == 8
    source = api(ui.base, "GET", f"/api/networks/{sid}")

    file = tmp_path / name
    file.write_bytes(raw)
    page.locator("[data-control=import-file]").set_input_files(str(file))
    page.wait_for_function(f"() => window.backprop.store.state.session.id !== {json.dumps(sid)}")
    wait_idle(ui)
    imported = ui.state("s.session")
    assert imported["step"] == 8
    assert imported["network"]["weights"] == source["network"]["weights"]
    assert imported["training"] == source["training"]
    expect(page.locator("[data-metric=step]")).to_have_text("8")
    # the loss chart has the whole run
    assert ui.state("s.history.step") == api(ui.base, "GET", f"/api/networks/{sid}/metrics")["step"]
    # both go on identically: the optimiser state and minibatch position came along
    a = api(ui.base, "POST", f"/api/networks/{sid}/step", {"steps": 3})
    b = api(ui.base, "POST", f"/api/networks/{imported['id']}/step", {"steps": 3})
    assert a["network"]["weights"] == b["network"]["weights"]
    ui.shot("classroom-imported-session")
