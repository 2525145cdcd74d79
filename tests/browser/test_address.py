"""The address is the session (issue 17): reload, a second browser, Back/Forward, undo and
redo of each kind of edit, branching from a snapshot, running to a target, bad addresses."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Dialog, expect

from tests.browser.conftest import SMALL, UI, api, open_ui, wait_idle
from tests.browser.test_teaching_support import open_tab, scrub_replay, sid, steps

pytestmark = pytest.mark.browser


def query(ui: UI) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(ui.page.url).query).items()}


def weights(ui: UI) -> Any:
    return ui.state("s.session.network")


def ready(ui: UI) -> None:
    ui.page.wait_for_selector("body[data-ready=true]")
    wait_idle(ui)


@pytest.fixture
def second(browser: Browser, server: str) -> Iterator[UI]:
    yield from open_ui(browser, server)


def test_reload_and_another_browser_open_the_same_session_and_view(ui: UI, second: UI) -> None:
    page = ui.page
    steps(ui, 3)
    page.click('[data-node="1:2"]')  # (selecting opens the inspector)
    open_tab(ui, "replay")
    ui.page.evaluate("() => window.backprop.actions.setEdgeMode('update')")
    page.locator("[data-control=speed]").fill("4")
    page.wait_for_function("() => new URLSearchParams(location.search).get('speed') === '4'")
    q = query(ui)
    assert q["session"] == sid(ui)
    assert (q["tab"], q["sel"], q["edges"]) == ("replay", "n1.2", "update")
    before = (sid(ui), ui.state("s.session.step"), weights(ui))
    url = page.url

    page.reload()
    ready(ui)
    assert (sid(ui), ui.state("s.session.step"), weights(ui)) == before
    assert ui.state("s.selection") == {"kind": "node", "layer": 1, "index": 2}
    assert ui.state("s.edgeMode") == "update" and ui.state("s.speed") == 4
    expect(page.locator("#panel-side")).to_have_attribute("data-teach-open", "replay")
    assert page.url == url

    second.page.goto(url)
    ready(second)
    assert (sid(second), second.state("s.session.step"), weights(second)) == before
    assert second.state("s.selection") == {"kind": "node", "layer": 1, "index": 2}


def test_back_and_forward_walk_through_view_changes(ui: UI) -> None:
    page = ui.page
    wait_idle(ui)
    page.click('[data-node="2:1"]')
    page.wait_for_function("() => location.search.includes('sel=n2.1')")
    open_tab(ui, "paths")
    page.wait_for_function("() => location.search.includes('tab=paths')")
    length = page.evaluate("() => history.length")
    steps(ui, 2)  # training changes no address: no history entries per step or frame
    assert page.evaluate("() => history.length") == length
    page.go_back()
    expect(page.locator("#panel-side")).to_have_attribute("data-teach-open", "inspector")
    assert ui.state("s.selection") == {"kind": "node", "layer": 2, "index": 1}
    page.go_back()
    page.wait_for_function("() => window.backprop.store.state.selection === null")
    page.go_forward()
    page.wait_for_function("() => window.backprop.store.state.selection?.index === 1")
    page.go_forward()
    expect(page.locator("#panel-side")).to_have_attribute("data-teach-open", "paths")
    assert ui.state("s.session.step") == 2  # the same session throughout


PUSHES = """
window.__pushes = [];
const push = History.prototype.pushState;
History.prototype.pushState = function (...args) {
  window.__pushes.push(String(args[2]));
  return push.apply(this, args);
};
"""


@pytest.fixture
def counted(browser: Browser, server: str) -> Iterator[UI]:
    """A page whose history.pushState calls are listed in window.__pushes."""
    yield from open_ui(browser, server, PUSHES)


def test_a_plain_load_names_its_session_without_a_history_entry(counted: UI) -> None:
    """The first address the page writes replaces the bare one (a reload keeps the session,
    Back does not land on an address that would make a new one); training, hovering, the
    sample and the speed replace it too; only a view change (here a selection) is an entry."""
    ui = counted
    page = ui.page
    wait_idle(ui)
    pushes = "() => window.__pushes.length"
    assert page.evaluate(pushes) == 0
    assert query(ui) == {"session": sid(ui)}
    first = sid(ui)
    steps(ui, 2)
    page.locator("[data-control=speed]").fill("4")
    page.wait_for_function("() => new URLSearchParams(location.search).get('speed') === '4'")
    page.evaluate("() => window.backprop.actions.selectSample({split: 'train', index: 3})")
    page.wait_for_function("() => location.search.includes('sample=train.3')")
    page.hover("[data-role=loss-steps]")
    assert page.evaluate(pushes) == 0
    page.click('[data-node="1:0"]')
    page.wait_for_function("() => location.search.includes('sel=n1.0')")
    assert page.evaluate(pushes) == 1
    page.go_back()
    page.wait_for_function("() => window.backprop.store.state.selection === null")
    assert sid(ui) == first and query(ui)["session"] == first
    assert ui.state("s.session.step") == 2


def test_undo_and_redo_every_kind_of_edit(ui: UI) -> None:
    page = ui.page
    wait_idle(ui)
    act = "window.backprop.actions"
    first = sid(ui)
    w0 = ui.state("s.session.network.weights[0][1][0]")
    page.evaluate(
        f"() => {act}.editParameter({{layer: 1, kind: 'weight', row: 1, column: 0, value: 1.5}})"
    )
    wait_idle(ui)
    page.evaluate(f"() => {act}.patchTraining({{learning_rate: 0.3}})")
    wait_idle(ui)
    n = ui.state("s.session.dataset.n_train")
    page.evaluate(f"() => {act}.addPoint([1.25, -2.5], [1])")
    wait_idle(ui)
    assert ui.state("s.session.dataset.n_train") == n + 1
    page.evaluate(f"() => {act}.removePoint('train', 0)")
    wait_idle(ui)
    x0 = api(ui.base, "GET", f"/api/networks/{first}")["dataset"]["x"]
    page.evaluate(f"() => {act}.editNetwork((net) => {{ net.layers[1] = 6; }})")
    page.wait_for_function(f"() => window.backprop.store.state.session.id !== '{first}'")
    wait_idle(ui)
    second = sid(ui)
    assert ui.state("s.session.network.layers[1]") == 6
    expect(page.locator("[data-action=undo]")).to_have_attribute("data-count", "5")

    page.keyboard.press("Control+z")  # the structure: back to the earlier session exactly
    page.wait_for_function(f"() => window.backprop.store.state.session.id === '{first}'")
    wait_idle(ui)
    assert ui.state("s.session.network.layers[1]") == 4
    assert ui.state("s.session.network.weights[0][1][0]") == 1.5
    page.click("[data-action=undo]")  # the removed point comes back
    page.wait_for_function(f"() => window.backprop.store.state.session.dataset.n_train === {n + 1}")
    page.click("[data-action=undo]")  # the added point goes
    page.wait_for_function(f"() => window.backprop.store.state.session.dataset.n_train === {n}")
    wait_idle(ui)
    assert (
        ui.state("s.session.dataset.x")
        == api(ui.base, "GET", f"/api/networks/{first}")["dataset"]["x"]
    )
    assert [1.25, -2.5] not in ui.state("s.session.dataset.x")
    page.keyboard.press("Control+z")  # the setting
    page.wait_for_function(
        "() => window.backprop.store.state.session.training.learning_rate === 0.03"
    )
    page.keyboard.press("Control+z")  # the weight
    page.wait_for_function(
        f"() => window.backprop.store.state.session.network.weights[0][1][0] === {w0}"
    )
    wait_idle(ui)
    expect(page.locator("[data-action=undo]")).to_be_disabled()

    page.keyboard.press("Control+Shift+z")
    page.wait_for_function(
        "() => window.backprop.store.state.session.network.weights[0][1][0] === 1.5"
    )
    for _ in range(3):
        page.click("[data-action=redo]")
    wait_idle(ui)
    assert ui.state("s.session.training.learning_rate") == 0.3
    assert ui.state("s.session.dataset.x") == x0  # added, then removed the first, again
    page.click("[data-action=redo]")
    page.wait_for_function(f"() => window.backprop.store.state.session.id === '{second}'")
    assert ui.state("s.session.network.layers[1]") == 6
    expect(page.locator("[data-action=redo]")).to_be_disabled()


def exported(ui: UI) -> dict[str, Any]:
    """The page's session as the API exports it, without its id-free history."""
    e = api(ui.base, "GET", f"/api/networks/{sid(ui)}/export")
    return {k: e[k] for k in ("network", "dataset", "training", "state")}


def test_undo_returns_data_optimiser_memory_and_reset_exactly(ui: UI) -> None:
    page = ui.page
    wait_idle(ui)
    act = "window.backprop.actions"
    page.evaluate(f"() => {act}.patchTraining({{optimizer: 'adam'}})")
    wait_idle(ui)
    steps(ui, 4)
    earlier = exported(ui)
    assert earlier["state"]["optimizer_state"] and earlier["state"]["step"] == 4

    page.evaluate(f"() => {act}.removePoint('train', 2)")  # (a) back at index 2, not the end
    wait_idle(ui)
    assert exported(ui)["dataset"]["x"] != earlier["dataset"]["x"]
    page.keyboard.press("Control+z")
    page.wait_for_function(
        f"() => window.backprop.store.state.session.dataset.n_train === "
        f"{len(earlier['dataset']['x'])}"
    )
    wait_idle(ui)
    assert exported(ui) == earlier

    before = sid(ui)  # (b) a new optimiser starts with no memory; undo brings Adam's back
    page.evaluate(f"() => {act}.patchTraining({{optimizer: 'sgd'}})")
    wait_idle(ui)
    assert exported(ui)["state"]["optimizer_state"] != earlier["state"]["optimizer_state"]
    page.click("[data-action=undo]")
    page.wait_for_function(f"() => window.backprop.store.state.session.id !== '{before}'")
    wait_idle(ui)
    assert exported(ui) == earlier
    assert ui.state("s.session.training.optimizer") == "adam"

    page.click("[data-action=reset]")  # (c) Reset is undone too
    page.wait_for_function("() => window.backprop.store.state.session.step === 0")
    wait_idle(ui)
    expect(page.locator("[data-action=undo]")).to_be_enabled()
    page.keyboard.press("Control+z")
    page.wait_for_function("() => window.backprop.store.state.session.step === 4")
    wait_idle(ui)
    assert exported(ui) == earlier
    assert query(ui)["session"] == sid(ui)
    page.keyboard.press("Control+Shift+z")  # redo: the reset session again
    page.wait_for_function("() => window.backprop.store.state.session.step === 0")


def test_continue_from_a_replay_snapshot_equals_it_exactly(ui: UI) -> None:
    page = ui.page
    steps(ui, 6)
    source = sid(ui)
    open_tab(ui, "replay")
    scrub_replay(ui, 4)
    page.wait_for_selector("[data-teach=replay][data-step='4']")
    page.click("[data-teach-action=branch]")
    page.wait_for_function(f"() => window.backprop.store.state.session.id !== '{source}'")
    wait_idle(ui)
    snap = api(ui.base, "GET", f"/api/networks/{source}/snapshots")["snapshots"][4]
    assert snap["step"] == 4 and ui.state("s.session.step") == 4
    assert ui.state("s.session.network.weights") == snap["weights"]
    assert ui.state("s.session.network.biases") == snap["biases"]
    assert query(ui)["session"] == sid(ui)
    assert api(ui.base, "GET", f"/api/networks/{source}")["step"] == 6
    page.go_back()  # Back returns to the source session
    page.wait_for_function(f"() => window.backprop.store.state.session?.id === '{source}'")


def test_continue_from_a_step_chosen_on_the_loss_chart(ui: UI) -> None:
    page = ui.page
    wait_idle(ui)
    page.evaluate("() => window.backprop.actions.runTarget(55, 'steps')")
    page.wait_for_function("() => window.backprop.store.state.session.step === 55")
    steps(ui, 3)  # steps 56-58 are in the loss history; past step 50 not every one is stored
    source = sid(ui)
    snaps = api(ui.base, "GET", f"/api/networks/{source}/snapshots")["snapshots"]
    assert [p["step"] for p in snaps][-2:] == [50, 55]
    chart = page.locator("[data-role=loss-steps]")
    box = chart.bounding_box()
    assert box
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a click chooses
    button = page.locator("[data-action=continue-from-chart]")
    expect(button).to_have_attribute("data-chosen", re.compile(r"\d+"))
    chart.focus()  # the keyboard: End chooses the last step, an arrow the one before
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    expect(chart).to_have_attribute("aria-valuenow", "57")
    expect(button).to_have_attribute("data-step", "55")  # the nearest stored snapshot before
    expect(button).to_contain_text("55")
    expect(button).to_contain_text("57")
    ui.shot("loss-continue")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => window.backprop.store.state.session.id !== '{source}'")
    wait_idle(ui)
    snap = snaps[-1]
    assert ui.state("s.session.step") == 55
    assert ui.state("s.session.network.weights") == snap["weights"]
    assert ui.state("s.session.network.biases") == snap["biases"]
    by_api = api(ui.base, "POST", f"/api/networks/{source}/branch", {"step": 55})["id"]
    again = api(ui.base, "GET", f"/api/networks/{by_api}/export")
    assert exported(ui) == {k: again[k] for k in ("network", "dataset", "training", "state")}
    expect(page.locator("[data-role=info]", has_text="55")).to_be_visible()
    expect(button).to_be_hidden()  # the choice belonged to the source session


def test_run_to_a_target_and_the_epoch_counter(ui: UI) -> None:
    page = ui.page
    wait_idle(ui)
    n = ui.state("s.session.dataset.n_train")
    batch = ui.state("s.session.training.batch_size")
    page.locator("[data-control=run-target]").fill("2")
    page.locator("[data-control=run-unit]").select_option("epochs")
    page.click("[data-action=run-target]")
    target = math.ceil(2 * n / batch)
    page.wait_for_function(f"() => window.backprop.store.state.session.step === {target}")
    wait_idle(ui)
    expect(page.locator("[data-metric=step]")).to_have_text(str(target))
    expect(page.locator("[data-metric=epoch]")).to_have_text("2")
    page.locator("[data-control=run-target]").fill("7")
    page.locator("[data-control=run-unit]").select_option("steps")
    page.click("[data-action=run-target]")
    page.wait_for_function(f"() => window.backprop.store.state.session.step === {target + 7}")


def dismissed_dialogs(ui: UI) -> list[str]:
    """The messages of the dialogs the page opens from now on (each dismissed)."""
    dialogs: list[str] = []

    def dialog(d: Dialog) -> None:
        dialogs.append(d.message)
        d.dismiss()

    ui.page.on("dialog", dialog)
    return dialogs


def test_bad_and_stale_addresses_get_defaults_and_a_message(ui: UI) -> None:
    page = ui.page
    wait_idle(ui)
    dialogs = dismissed_dialogs(ui)
    good = sid(ui)
    bad = (
        f"/?session={good}&sel=n9.9&speed=99&edges=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
        "&tab=%22%5D%2C*&sample=train.99999&lang=xx"
    )
    page.goto(ui.base + bad)
    ready(ui)
    assert sid(ui) == good
    assert ui.state("s.selection") is None and ui.state("s.speed") == 2
    assert ui.state("s.edgeMode") == "weight" and ui.state("s.sample") == {
        "split": "train",
        "index": 0,
    }
    info = page.locator("[data-role=info]", has_text="defaults")
    expect(info).to_contain_text("sel")
    expect(info).to_contain_text("edges")
    assert page.locator("img[src=x]").count() == 0 and dialogs == []
    assert "onerror" not in page.url and "speed" not in query(ui)  # the address was cleaned

    ui.allow_console_error("404")  # the browser logs the GET of the lost session
    page.goto(ui.base + "/?session=gone_session_0123&tab=replay")
    page.wait_for_selector("body[data-ready=true]")
    notice = page.locator("[data-role=session-gone]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("gone_session_0123")
    page.set_viewport_size({"width": 390, "height": 844})
    ui.shot("address-session-gone-390x844")
    page.set_viewport_size(SMALL)
    page.click("[data-action=start-fresh]")
    page.wait_for_function("() => !!window.backprop.store.state.session")
    wait_idle(ui)
    expect(notice).to_be_hidden()
    assert query(ui)["session"] == sid(ui)


def test_a_malformed_session_and_over_limit_values_get_a_fresh_session_and_a_message(
    ui: UI,
) -> None:
    """An id that is no id (markup, a path, too long) is never sent to the server: the page
    starts the default network; valid keys beside bad ones still apply."""
    page = ui.page
    wait_idle(ui)
    dialogs = dismissed_dialogs(ui)
    old = sid(ui)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url))
    bad = (
        "/?session=%3Cscript%3Ealert(1)%3C%2Fscript%3E&speed=-1&sel=e1.0.9999999"
        f"&sample=test.1e3&tab=replay&edges=grad&lang={'z' * 300}"
    )
    page.goto(ui.base + bad)
    ready(ui)
    assert sid(ui) != old and ui.state("s.session.step") == 0  # a fresh default session
    calls = [u for u in sent if "/api/" in u]
    assert calls and not [u for u in calls if "script" in u.lower() or "%3C" in u]
    assert ui.state("s.speed") == 2 and ui.state("s.selection") is None
    assert ui.state("s.sample") == {"split": "train", "index": 0}
    assert ui.state("s.edgeMode") == "grad"
    expect(page.locator("#panel-side")).to_have_attribute("data-teach-open", "replay")
    info = page.locator("[data-role=info]", has_text="defaults")
    for key in ("session", "speed", "sel", "sample", "lang"):
        expect(info).to_contain_text(key)
    assert page.locator("script", has_text="alert(1)").count() == 0 and dialogs == []
    assert query(ui) == {"session": sid(ui), "tab": "replay", "edges": "grad"}
