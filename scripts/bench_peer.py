"""Peer benchmark: TensorFlow Playground's engine beside our server, same setup, same run.

Playground's ``src/nn.ts`` (vendored unchanged in ``bench/playground/``, Apache-2.0) is
compiled with ``node_modules/.bin/tsc`` into a temporary directory and driven in node by
``bench/playground/driver.cjs`` exactly as Playground's ``oneStep`` drives it (see the
README there). Then our server trains the same setup — [2, 4, 2, 1], tanh everywhere,
square error, circle, 250 train + 250 test points, batch 10, η = 0.03 — over the WebSocket
play stream (full speed, with and without the page's 12-a-second boundary) and over REST
``POST …/step`` in chunks of 10,000 updates.

One **update** is one minibatch update (10 samples) everywhere here; a **sample** is one
training point forward and back. The ratios compare updates/s with Playground's engine.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from scripts.bench_api import Server, chunked_step_rate
from scripts.bench_stream import play_session

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT / "bench" / "playground"
TSC = ROOT / "node_modules" / ".bin" / "tsc"
BATCH = 10
CHUNK = 10_000  # updates per REST call: the server's max_steps
# Playground's defaults in our API's terms. Its circle is ±1-labelled in a radius-5 disc
# and ours is not the same draw; the work per update is the same.
PLAYGROUND_SETUP: dict[str, Any] = {
    "network": {"layers": [2, 4, 2, 1], "activations": ["tanh", "tanh", "tanh"],
                "loss": "mse", "init": "xavier", "seed": 1, "features": ["x1", "x2"]},
    "dataset": {"name": "circle", "n_samples": 500, "noise": 0.0, "test_fraction": 0.5,
                "seed": 0},
    "training": {"optimizer": "sgd", "learning_rate": 0.03, "batch_size": BATCH},
}  # fmt: skip


def toolchain() -> tuple[str, str] | str:
    """(tsc, node) paths, or why the peer cannot run here."""
    node = shutil.which("node")
    if node is None:
        return "node is not on PATH"
    if not TSC.exists():
        return f"{TSC.relative_to(ROOT)} is missing (run `npm install` for TypeScript)"
    return str(TSC), node


def run_playground(seconds: float, warmup: float = 1.0, min_steps: int = 0) -> dict[str, Any]:
    """Compile nn.ts unchanged with Playground's tsconfig options and time the driver for
    ``seconds``, or for ``min_steps`` oneSteps if that takes longer."""
    found = toolchain()
    if isinstance(found, str):
        return {"skipped": found}
    tsc, node = found
    with tempfile.TemporaryDirectory(prefix="playground-") as out:
        subprocess.run(
            [tsc, "--module", "commonjs", "--removeComments", "--preserveConstEnums",
             "--outDir", out, str(PEER / "nn.ts")],
            check=True, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        done = subprocess.run(
            [node, str(PEER / "driver.cjs"), "--nn", str(Path(out) / "nn.js"),
             "--seconds", str(seconds), "--warmup", str(warmup), "--batch", str(BATCH),
             "--min_steps", str(min_steps)],
            check=True, capture_output=True, text=True, timeout=seconds + warmup + 60,
        )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run_stream(url: str, seconds: float, boundary: bool) -> dict[str, Any]:
    """Full-speed Play of a 60 Hz client (bench_stream's), boundary 12/s or none."""
    sid = httpx.post(url + "/api/networks", json=PLAYGROUND_SETUP).json()["id"]
    play = {} if boundary else {"boundary": None}
    return asyncio.run(play_session(url, sid, seconds, play=play))


def row(path: str, update: str, updates_per_s: float | None, peer: float | None,
        note: str = "") -> dict[str, Any]:  # fmt: skip
    per_s = None if updates_per_s is None else round(updates_per_s)
    return {
        "path": path,
        "update": update,
        "updates_per_s": per_s,
        "samples_per_s": None if updates_per_s is None else round(updates_per_s * BATCH),
        "x_playground_engine": round(updates_per_s / peer, 2) if updates_per_s and peer else None,
        "note": note,
    }


def run(seconds: float = 5.0) -> dict[str, Any]:
    """Playground's engine before and after our stream (with and without boundary) and
    REST; the ratios use the mean of its two runs, so a drifting machine load weighs on
    both sides alike."""
    before = run_playground(seconds / 2)
    server = Server(args=["--ws-per-message-deflate", "false"])
    try:
        plain = run_stream(server.url, seconds, boundary=False)
        grid = run_stream(server.url, seconds, boundary=True)
        rest = chunked_step_rate(server.url, PLAYGROUND_SETUP, seconds, CHUNK)
    finally:
        server.stop()
    after = run_playground(seconds / 2)
    peer_rate = None
    if "skipped" in before or "skipped" in after:
        note = before.get("skipped") or after.get("skipped", "")
        print(f"peer: skipped: {note}", file=sys.stderr, flush=True)
    else:
        peer_rate = (before["updates_per_s"] + after["updates_per_s"]) / 2
        note = (f"mean of {round(before['updates_per_s']):,} before and "
                f"{round(after['updates_per_s']):,} after; node {before['node']}")  # fmt: skip
    rows = [row("Playground engine (nn.ts in node, oneStep)", "10 samples (updateWeights)",
                peer_rate, peer_rate, note)]  # fmt: skip
    minibatch = "minibatch of 10"
    rows += [
        row("our WebSocket stream, full speed, no boundary", minibatch, plain["updates_per_s"],
            peer_rate, f"{plain['frames_per_s']} frames/s"),
        row("our WebSocket stream, full speed, every neuron's 40×40 boundary 12/s", minibatch,
            grid["updates_per_s"], peer_rate,
            f"{grid['frames_per_s']} frames/s, {grid['boundary_per_s']} boundaries/s"),
        row(f"our REST /step, {CHUNK:,} per call", minibatch, rest["updates_per_s"], peer_rate,
            f"{rest['calls']} call{'s' if rest['calls'] != 1 else ''} in {rest['seconds']:.1f} s"),
    ]  # fmt: skip
    return {
        "setup": "[2,4,2,1] tanh, square error, circle 250 train + 250 test, batch 10, lr 0.03",
        "compared": "updates/s; one update = one minibatch update of 10 samples (Playground: "
        "one updateWeights, 25 per oneStep; samples/s = 10 × updates/s); the stream's client "
        "acknowledges frames at 60 Hz as the page does",
        "rows": rows,
        "playground": {"before": before, "after": after, "updates_per_s": peer_rate},
        "stream": {"no_boundary": plain, "boundary": grid},
        "rest": rest,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
