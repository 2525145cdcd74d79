"""examples/worked_example.ipynb runs top to bottom in a fresh kernel, with no server and no
network, and shows the seed's numbers and the drawings."""

from __future__ import annotations

from typing import Any

import pytest

from tests.servers import ROOT

NOTEBOOK = ROOT / "examples" / "worked_example.ipynb"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit the notebook without outputs"
    )
    cwd = tmp_path_factory.mktemp("notebook")  # a data/ folder there would mean a stray db
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()  # fmt: skip
    assert not any(cwd.iterdir())
    return {c.id: c.outputs for c in nb.cells if c.cell_type == "code"}


def _text(outs: list[Any]) -> str:
    return "".join(o.get("text", "") for o in outs if o.output_type == "stream")


def _html(outs: list[Any]) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in outs)


def test_no_cell_fails(outputs: dict[str, list[Any]]) -> None:
    errors = [o for outs in outputs.values() for o in outs if o.output_type == "error"]
    assert not errors, errors


def test_the_worked_example_reaches_0_5971686(outputs: dict[str, list[Any]]) -> None:
    assert "C = 8.0, z = 2.0, a = 4.0, δ = 16.0, ∂C/∂w = 16.0" in _text(outputs["trace"])
    assert _text(outputs["steps"]).startswith("after 30 steps: w = 0.5971686 (by hand 0.5971686")


def test_the_session_trace_and_chain_rule_draw_themselves(outputs: dict[str, list[Any]]) -> None:
    session = _html(outputs["create"])
    assert "<svg" in session and 'data-edge="1:0:0"' in session and "train loss 8" in session
    trace = _html(outputs["trace"])
    assert "z = 2" in trace and "a = 4" in trace and "δ = 16" in trace
    chain = _html(outputs["chain"])
    assert chain.count("<math") == 2 and '<mn class="value">16</mn>' in chain
    assert "katex" not in (chain + trace + session).lower()


def test_the_loss_curve_has_a_point_per_step(outputs: dict[str, list[Any]]) -> None:
    curve = _html(outputs["curve"])
    points = curve.split('points="')[1].split('"')[0].split()
    assert len(points) == 31  # steps 0 … 30


def test_paths_equal_dynamic_programming_and_the_checks(outputs: dict[str, list[Any]]) -> None:
    lines = _text(outputs["paths"]).splitlines()
    assert lines[0].startswith("sum over 9 paths: ") and lines[1].startswith("δ recurrence (DP):")
    assert lines[0].split(": ")[1].split()[0] == lines[1].split(":")[1].split()[0]
    assert "<table>" in _html(outputs["paths"])
    assert ">passed<" in _html(outputs["gradcheck"])
    assert ">failed<" in _html(outputs["gradcheck-broken"])
