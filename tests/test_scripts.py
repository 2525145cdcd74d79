"""Smoke tests of the ``make load`` scenarios and the bench's Playground peer.

Not timed: they check that each scenario runs end to end against its own server and
reports what it promises, with values that follow from the protocol, not from speed.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.cli.serve import default_workers
from scripts import bench_peer, load, load_play


def run_load(*argv: str) -> int:
    """``load.main`` in a thread of its own: it calls ``asyncio.run``, and a session-wide
    fixture (Playwright's) may already be running an event loop in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(load.main, list(argv)).result()


def test_rest_class_runs_and_reports_every_kind_of_call(capsys: pytest.CaptureFixture[str]):
    assert (
        run_load("--scenario", "rest", "--clients", "2", "--seconds", "1", "--think", "0.05") == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("2 clients for 1 s: ")
    assert ", 0 errors" in out.splitlines()[0]
    assert out.splitlines()[1].split() == ["call", "count", "p50", "ms", "p95", "ms", "p99",
                                           "ms", "max", "ms", "errors"]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:] if line[:1].isalpha()}
    assert rows["create"][1] == "2"  # one session per student
    assert "all" in rows
    assert "server CPU:" in out


@pytest.mark.parametrize("scenario", ["play-default", "play-full"])
def test_play_class_runs_and_reports_per_student_rates(
    scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out_json = tmp_path / "summary.json"
    assert run_load("--scenario", scenario, "--clients", "2", "--seconds", "1",
                    "--json", str(out_json)) == 0  # fmt: skip
    summary = json.loads(out_json.read_text())
    assert summary["scenario"] == scenario and summary["clients"] == 2
    assert summary["play"] == load_play.SCENARIOS[scenario]
    assert summary["errors"] == 0 and summary["error_examples"] == []
    for key in ("frames_per_s", "boundaries_per_s", "updates_per_s"):
        assert set(summary[key]) == {"p50", "min"}
        assert 0 < summary[key]["min"] <= summary[key]["p50"]
    # the first frame after play always carries the boundary; never more than one a frame
    assert summary["boundaries_per_s"]["min"] >= 1
    assert summary["boundaries_per_s"]["p50"] <= summary["frames_per_s"]["p50"]
    if scenario == "play-default":  # steps_per_frame 3: every frame shown is 3 updates
        assert summary["updates_per_s"]["p50"] == pytest.approx(
            3 * summary["frames_per_s"]["p50"], abs=0.5
        )
    health = summary["health"]
    assert health["errors"] == 0 and health["probes"] >= 5
    assert 0 < health["p50_ms"] <= health["p99_ms"] <= health["max_ms"]
    assert summary["server_cpu_cores"] > 0
    assert summary["workers"] == default_workers()  # as `make run` serves
    out = capsys.readouterr().out
    assert out.startswith(f"{scenario}: 2 students for 1 s")
    for label in ("frames/s", "boundaries/s", "updates/s"):
        assert any(line.startswith(label) for line in out.splitlines())
    assert "/api/health (another process" in out and "server CPU:" in out


def test_live_class_scenario_reports_follower_lag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out_json = tmp_path / "summary.json"
    assert run_load("--scenario", "class", "--clients", "3", "--seconds", "1",
                    "--json", str(out_json)) == 0  # fmt: skip
    summary = json.loads(out_json.read_text())
    assert summary["scenario"] == "class" and summary["clients"] == 3
    assert summary["errors"] == 0 and summary["missed"] == 0
    published = summary["teacher"]["published"]
    assert published >= 1 and summary["teacher"]["step"] > 0
    # every follower receives every frame the teacher published, once
    assert summary["received_per_student"] == {"min": published, "max": published}
    lag = summary["lag_ms"]
    assert lag["messages"] == 3 * published
    assert 0 <= lag["p50"] <= lag["p99"] <= lag["max"]
    assert summary["server_cpu_cores"] > 0
    out = capsys.readouterr().out
    assert "\nclass: 1 teacher playing at full speed" in out  # after the frames tag
    assert "follower lag:" in out and "server CPU:" in out


@pytest.mark.skipif(isinstance(bench_peer.toolchain(), str), reason="needs node and tsc")
def test_playground_peer_trains_its_own_network_and_counts_updates():
    result = bench_peer.run_playground(seconds=0.2, warmup=0.05, min_steps=50)
    assert result["network"] == [2, 4, 2, 1]
    assert (result["n_train"], result["n_test"], result["batch_size"]) == (250, 250, 10)
    assert result["updates_per_one_step"] == 25 and result["one_steps"] >= 1
    assert result["updates_per_s"] == pytest.approx(
        result["one_steps"] * 25 / result["seconds"], rel=1e-9
    )
    assert result["samples_per_s"] == pytest.approx(10 * result["updates_per_s"], rel=1e-9)
    # driven as oneStep drives it, Playground's engine learns the circle
    assert result["loss_end"][0] < result["loss_start"][0] / 2


def test_playground_peer_says_why_it_is_skipped(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(bench_peer, "TSC", bench_peer.ROOT / "node_modules" / "no-such-tsc")
    result = bench_peer.run_playground(seconds=0.1)
    assert result == {"skipped": result["skipped"]}
    assert "node" in result["skipped"]  # either node is missing or `npm install` is needed


def test_bench_prints_the_peer_table_and_its_targets():
    from scripts import bench

    peer_rate = 100_000.0
    rows = [bench_peer.row(path, "u", rate, peer_rate) for path, rate in (
        ("Playground engine (nn.ts in node, oneStep)", peer_rate),
        ("our WebSocket stream, full speed, no boundary", 250_000.0),
        (f"our REST /step, {bench_peer.CHUNK:,} per call", 50_000.0),
    )]  # fmt: skip
    results = {
        "machine": {
            "nproc": 2,
            "cpu": "cpu",
            "os": "os",
            "python": "3.11",
            "numpy": "2",
            "torch": None,
            "load_average_at_start": [0.0],
        },
        "peer": {
            "setup": "S",
            "compared": "C",
            "rows": rows,
            "playground": {"updates_per_s": peer_rate},
        },
    }
    assert [r["x_playground_engine"] for r in rows] == [1.0, 2.5, 0.5]
    assert rows[1]["samples_per_s"] == 2_500_000  # 10 samples per update
    met = {t["target"].split(" ≥")[0]: t["met"] for t in bench.targets(results)}
    assert met == {"peer: stream (full speed, no boundary)": "yes", "peer: REST /step": "NO"}
    text = bench.report(results)
    assert "Peer — TensorFlow Playground's engine and our server, same run: S. Compared: C." in text
    lines = text.splitlines()
    assert any("| × Playground engine |" in line for line in lines)
    stream = next(line for line in lines if line.startswith("| our WebSocket stream"))
    assert [cell.strip() for cell in stream.split("|")][3:6] == ["250000", "2500000", "2.5"]
