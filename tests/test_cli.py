"""The command line (``python -m app``, ``backprop-explorer``), run as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.client import Client
from app.presets import PRESETS
from tests.servers import Server, free_port, running_server

WORKED: dict[str, Any] = next(p["request"] for p in PRESETS if p["id"] == "worked-example")


def run(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def plain_error(result: subprocess.CompletedProcess[str]) -> str:
    """A user error: exit 1, one line on stderr starting ``error:``, no traceback."""
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def net(tmp_path: Path) -> Path:
    path = tmp_path / "net.json"
    path.write_text(json.dumps(WORKED))
    return path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("cli-live")
    with running_server(tmp, {"BACKPROP_EXPLORER_DB": str(tmp / "db.sqlite3")}) as server:
        yield server


def test_help_names_every_command_and_documents_the_net_file(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "trace", "train", "export", "import"):
        assert command in result.stdout
    assert "POST /api/networks" in result.stdout and '"layers": [1, 1]' in result.stdout
    assert "--steps N" in run("train", "--help", cwd=tmp_path).stdout


def test_the_entry_point_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "backprop-explorer"
    result = subprocess.run([str(script), "trace", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "z^l, a^l, δ^l" in result.stdout


def test_trace_prints_z_a_delta_and_the_gradient_per_layer(net: Path) -> None:
    result = run("trace", str(net), cwd=net.parent)
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0][:3] == ["C", "=", "8,"]  # C = ½w⁴ at w = 2
    assert ["sample", "j", "z^1", "a^1", "δ^1"] in lines
    assert ["0", "0", "2", "4", "16"] in lines  # z = w, a = z², δ = (a − y)·2z
    assert ["j=0", "16"] in lines  # ∂C/∂w = 2w³
    assert not list(net.parent.glob("data"))  # nothing stored: a throwaway database


def test_trace_of_chosen_samples_with_biases(tmp_path: Path) -> None:
    xor = next(p["request"] for p in PRESETS if p["id"] == "xor")
    (tmp_path / "xor.json").write_text(json.dumps(xor))
    out = run("trace", "xor.json", "--samples", "3,7", cwd=tmp_path).stdout
    assert "rows 3, 7" in out and "∇b^2 = ∂C/∂b^2" in out and "∇W^1 = ∂C/∂W^1 (2 × 2)" in out


def test_train_shows_progress_then_the_final_metrics_and_weights(net: Path) -> None:
    out = net.parent / "trained.json"
    result = run("train", str(net), "--steps", "30", "--out", str(out), cwd=net.parent)
    assert result.returncode == 0, result.stderr
    assert "[" + "#" * 30 + "] 30/30 steps" in result.stderr
    assert result.stdout.startswith("step 30 · train loss 0.06358")
    assert ["j=0", "0.5971686"] in [line.split() for line in result.stdout.splitlines()]
    exported = json.loads(out.read_text())
    assert exported["state"]["step"] == 30
    assert abs(exported["network"]["weights"][0][0][0] - 0.5971686) < 1e-7


def _train_stopped_by(signum: int, net: Path) -> tuple[int, str]:
    """Start a long ``train``, wait until its bar is drawn, send ``signum`` to it alone."""
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    with subprocess.Popen([sys.executable, "-m", "app", "train", str(net), "--steps", "100000000"],
                          cwd=net.parent, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE) as proc:  # fmt: skip
        assert proc.stderr is not None
        seen = b""
        try:
            while b" steps" not in seen:  # the first bar (no newline: read what comes)
                chunk = os.read(proc.stderr.fileno(), 4096)
                assert chunk, seen.decode()
                seen += chunk
            proc.send_signal(signum)
            seen += proc.stderr.read()
            return proc.wait(timeout=60), seen.decode()
        finally:
            proc.kill()


@pytest.mark.parametrize(("signum", "code", "last"), [(signal.SIGINT, 130, "stopped"),
                                                      (signal.SIGTERM, 143, None)])  # fmt: skip
def test_train_stopped_midway_ends_the_bar_line(
    net: Path, signum: int, code: int, last: str | None
) -> None:
    returncode, err = _train_stopped_by(signum, net)
    assert returncode == code, err
    assert err.endswith("\n"), repr(err[-80:])  # the shell's prompt starts a line of its own
    lines = err.splitlines()
    assert lines[-1 if last is None else -2].split("\r")[-1].startswith("[")  # the bar, ended
    if last is not None:
        assert lines[-1] == last
    assert "Traceback" not in err


def test_train_that_diverges_says_so(tmp_path: Path) -> None:
    request = json.loads(json.dumps(WORKED))
    request["training"]["learning_rate"] = 100.0
    (tmp_path / "net.json").write_text(json.dumps(request))
    result = run("train", "net.json", "--steps", "5", cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: training stopped at step ") and "smaller learning rate" in last
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "error: cannot read net.json: No such file or directory"),
        ("{", "error: net.json is not valid JSON: line 1, column 2"),
        ("[1]", "error: net.json must hold a JSON object"),
        (json.dumps({**WORKED, "network": {**WORKED["network"], "weights": [[[2.0, 1.0]]]}}),
         "error: net.json: network.weights[0]: layer 1 expects shape 1 × 1"),
    ],
)  # fmt: skip
def test_a_bad_net_file_is_one_plain_line(tmp_path: Path, content: str | None, expected: str):
    if content is not None:
        (tmp_path / "net.json").write_text(content)
    assert plain_error(run("trace", "net.json", cwd=tmp_path)).startswith(expected)


def test_bad_arguments_are_explained(net: Path) -> None:
    result = run("train", str(net), "--steps", "many", cwd=net.parent)
    assert result.returncode == 2 and "invalid int value: 'many'" in result.stderr
    assert plain_error(run("trace", str(net), "--samples", "a,b", cwd=net.parent)).startswith(
        "error: --samples takes row numbers"
    )


def test_export_and_import_against_a_server(live: Server, tmp_path: Path) -> None:
    with Client(live.url) as client:
        session = client.create_from(WORKED)
        client.step(session, 5, trace=False)
    saved = tmp_path / "saved.json"
    result = run("export", session.id, "--url", live.url, "--out", str(saved), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"saved session {session.id} (step 5) to {saved}"
    assert json.loads(run("export", session.id, "--url", live.url, cwd=tmp_path).stdout) == (
        json.loads(saved.read_text())
    )
    result = run("import", str(saved), "--url", live.url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    new_id = result.stdout.split("session ")[1].split()[0]
    with Client(live.url) as client:
        copy = client.get(new_id)
    assert new_id != session.id and copy.step == 5


def test_export_of_an_unknown_session_and_of_no_server(live: Server, tmp_path: Path) -> None:
    line = plain_error(run("export", "nope", "--url", live.url, cwd=tmp_path))
    assert line == "error: no session with id 'nope': it was deleted or never existed"
    url = f"http://127.0.0.1:{free_port()}"
    line = plain_error(run("import", "x.json", "--url", url, cwd=tmp_path))
    assert line.startswith("error: cannot read x.json")
    line = plain_error(run("export", "abc", "--url", url, cwd=tmp_path))
    assert line.startswith(f"error: could not reach a server at {url}. Start one with")


def test_serve_says_where_to_open_and_serves_the_page(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "BACKPROP_EXPLORER_DB": str(tmp_path / "db.sqlite3")}
    cmd = [sys.executable, "-m", "app", "serve"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # printed once listening
        assert first.strip() == (
            f"Backprop Explorer is running: open http://127.0.0.1:{port}  (Ctrl+C stops it)"
        )
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200 and "data-action" in page.text
        busy = run("serve", "--port", str(port), cwd=tmp_path)
        assert busy.returncode == 1 and "Traceback" not in busy.stderr
        assert f"error: could not serve on 127.0.0.1:{port}" in busy.stderr
    finally:
        proc.terminate()
        rest, errors = proc.communicate(timeout=15)
    assert rest == "" and "INFO" not in errors  # quiet: no uvicorn chatter by default


def test_serve_reads_a_bad_port_in_plain_words(tmp_path: Path) -> None:
    env = {**os.environ, "PORT": "eighty"}
    result = subprocess.run([sys.executable, "-m", "app", "serve"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=30)  # fmt: skip
    assert (
        result.returncode == 2
        and result.stderr.strip() == "error: PORT must be a number, got 'eighty'"
    )


@pytest.mark.parametrize("store", ["", "redis://127.0.0.1:6379/0"])
def test_serve_runs_a_worker_per_core_with_either_store(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class on Play is bound by Python's per-frame work: every core serves it, SQLite
    too (its live classes are shared across workers as Redis's are)."""
    from app.cli.serve import default_workers

    monkeypatch.setenv("BACKPROP_EXPLORER_STORE", store)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2}, raising=False)
    assert default_workers() == 3
