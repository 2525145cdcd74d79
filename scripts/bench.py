"""``make bench``: engine, API, stream and page benchmarks in one run; a table and JSON.

Absolute times drift between runs on a shared machine, so every section compares
within itself, side by side in the same run: numpy against torch, a training
step against /api/health, health while streaming against health idle. The
table quotes medians and those ratios; ``bench-results.json`` holds everything.

    .venv/bin/python scripts/bench.py [--quick] [--only engine,api,stream,page,peer]

PyTorch is optional and only used for the comparison: ``.venv/bin/pip install
torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu``. The peer section
needs node and TypeScript (``npm install``); without them it prints a skip line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``scripts`` and ``app`` importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from scripts import bench_api, bench_engine, bench_page, bench_peer, bench_stream  # noqa: E402

RESULTS = ROOT / "bench-results.json"
SECTIONS = ("engine", "api", "rest", "stream", "page", "peer")


def machine() -> dict[str, Any]:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in out.splitlines()
                      if ln.startswith("Model name")), "")  # fmt: skip
    except OSError:
        pass
    try:
        import torch

        torch_version: str | None = torch.__version__
    except ImportError:
        torch_version = None
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch_version,
        "os": f"{platform.system()} {platform.release()}",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# --- the table ------------------------------------------------------------------------------


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """A GitHub-flavoured markdown table of ``rows`` (header, key) per column."""
    cells = [[h for h, _ in columns]]
    for row in rows:
        cells.append(["–" if row.get(k) is None else str(row[k]) for _, k in columns])
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in cells]  # fmt: skip
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n" + "\n".join(lines)  # after a blank line: markdown needs it


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with what was measured and whether it was met."""
    out: list[dict[str, Any]] = []

    def add(what: str, measured: Any, met: bool | None) -> None:
        out.append({"target": what, "measured": measured,
                    "met": "yes" if met else ("–" if met is None else "NO")})  # fmt: skip

    engine = results.get("engine") or []
    for key, what in (("trainer_speedup", "training path"), ("speedup", "step with trace")):
        small = [r[key] for r in engine if r["network"] == "2-8-8-1" and r["batch"] <= 32]
        if small and all(s is not None for s in small):
            add(f"engine: torch/numpy ≥ 8× for 2-8-8-1 at batch ≤ 32 ({what})",
                f"{min(small)}× (lowest)", min(small) >= 8)  # fmt: skip
        big = [r[key] for r in engine
               if r["network"] == "2-32-32-32-32-1" and r["batch"] == 256]  # fmt: skip
        if big and all(s is not None for s in big):
            add(f"engine: numpy no slower than torch, 2-32-32-32-32-1 at batch 256 ({what})",
                f"{min(big)}× (lowest)", min(big) >= 1)  # fmt: skip
    rest = {r["network"].split(" ")[0]: r for r in results.get("rest") or []}
    if "2-4-2-1" in rest:
        ups = rest["2-4-2-1"]["updates_per_s"]
        add("rest: ≥ 197,000 updates/s on Playground's defaults (1× Playground's engine)",
            f"{ups} updates/s (median call of 10,000)", ups >= 197_000)  # fmt: skip
    torch_us = next((r["torch_us"] for r in engine if r["network"] == "2-8-8-1"
                     and r["batch"] == 32 and r["hidden"] == "tanh"), None)  # fmt: skip
    if "2-8-8-1" in rest and torch_us:
        ratio = round(rest["2-8-8-1"]["updates_per_s"] * torch_us / 1e6, 1)
        add("rest: ≥ 5× torch autograd updates/s, 2-8-8-1 at batch 32", f"{ratio}×", ratio >= 5)
    api = results.get("api") or []
    one = next((r for r in api if r["clients"] == 1), None)
    if one:
        add("api: step p50 / health p50 ≤ 3 at 1 client", f"{one['p50_ratio']}",
            one["p50_ratio"] <= 3)  # fmt: skip
    stream = results.get("stream") or {}
    main = next(iter(stream.get("runs", [])), None)
    if main:
        add(
            "stream: ≥ 7,500 updates/s (5× TF Playground) at ~60 frames/s",
            f"{main['updates_per_s']} updates/s ({main['x_playground']}×) at "
            f"{main['frames_per_s']} frames/s",
            main["updates_per_s"] >= 7500,
        )
        add("stream: boundary refreshed ≥ 10×/s", f"{main['boundary_per_s']}/s",
            main["boundary_per_s"] >= 10)  # fmt: skip
    page = results.get("page") or {}
    for row in page.get("runs", []):
        if row["client"].startswith("page") and "SVG" not in row["client"] and "fps" in row:
            speed = row["client"].removeprefix("page (Play, ").removesuffix(")")
            goal = bench_page.FPS_GOALS.get(row["network"], 55.0)
            add(f"page: ≥ {goal:g} fps while playing ({row['network']}, {speed})",
                f"{row['fps']} fps", row["fps"] >= goal)  # fmt: skip
    peer = results.get("peer") or {}
    by_path = {r["path"]: r for r in peer.get("rows", [])}
    for path, times, label in (
        ("our WebSocket stream, full speed, no boundary", 2, "stream (full speed, no boundary)"),
        (f"our REST /step, {bench_peer.CHUNK:,} per call", 1, "REST /step"),
    ):
        r = by_path.get(path)
        if r and r["x_playground_engine"] is not None:
            add(f"peer: {label} ≥ {times}× Playground's engine, updates/s on its defaults",
                f"{r['updates_per_s']:,} updates/s ({r['x_playground_engine']}×)",
                r["x_playground_engine"] >= times)  # fmt: skip
    return out


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    parts = [
        f"Machine: {m['nproc']} × {m['cpu']}, {m['os']}; Python {m['python']}, "
        f"numpy {m['numpy']}, torch {m['torch'] or 'not installed'}; load average "
        f"{m['load_average_at_start']} at the start, {m.get('load_average_at_end')} at the end.",
    ]
    if results.get("engine"):
        parts += ["", "Engine — one training update (forward, backward, SGD), median µs:", table(
            results["engine"],
            [("network", "network"), ("hidden", "hidden"), ("batch", "batch"),
             ("numpy µs (with trace)", "numpy_us"), ("kernel µs", "kernel_us"),
             ("trainer µs", "trainer_us"), ("trainer path", "path"), ("torch µs", "torch_us"),
             ("torch/numpy", "speedup"), ("torch/trainer", "trainer_speedup")],
        )]  # fmt: skip
    if results.get("api"):
        parts += ["", "API — full-trace step vs /api/health, same server, same run:", table(
            results["api"],
            [("clients", "clients"), ("health p50 ms", "health_p50_ms"),
             ("health p99 ms", "health_p99_ms"), ("step p50 ms", "step_p50_ms"),
             ("step p99 ms", "step_p99_ms"), ("p50 ratio", "p50_ratio"),
             ("steps/s", "step_rps")],
        )]  # fmt: skip
    if results.get("rest"):
        parts += ["", "REST training — POST …/step {\"steps\": 10000}, one session:", table(
            results["rest"],
            [("network", "network"), ("batch", "batch"), ("calls", "calls"),
             ("ms per call p50", "ms_per_call_p50"), ("updates/s", "updates_per_s"),
             ("best call updates/s", "best_updates_per_s")],
        )]  # fmt: skip
    stream = results.get("stream") or {}
    if stream.get("runs"):
        parts += ["", "Stream — a 60 Hz client plays at full speed, boundary 40×40 with every "
                  "neuron 12 times a second (first row: 10 s; others 3 s):", table(
            stream["runs"],
            [("network", "network"), ("frames", "format"), ("compression", "compression"),
             ("frames/s", "frames_per_s"), ("updates/s", "updates_per_s"),
             ("min updates/s (1 s)", "min_updates_per_s"), ("updates/frame", "updates_per_frame"),
             ("boundary/s", "boundary_per_s"), ("KB/s", "kbytes_per_s"),
             ("× Playground", "x_playground"), ("server CPU (cores)", "server_cpu")],
        )]  # fmt: skip
        h = stream["health"]
        parts.append("")
        parts.append(
            f"/api/health while the first stream plays: p50 {h['health_streaming_p50_ms']} ms, "
            f"p99 {h['health_streaming_p99_ms']} ms; idle: p50 {h['health_idle_p50_ms']} ms, "
            f"p99 {h['health_idle_p99_ms']} ms (ratio {h['health_p50_ratio']})."
        )
        parts += ["", "Frame formats — one frame, encoded on the server, decoded in Python:", table(
            stream["formats"],
            [("network", "network"), ("frame", "frame"), ("format", "format"),
             ("bytes", "bytes"), ("encode µs", "encode_us"), ("decode µs", "decode_us"),
             ("deflated bytes", "deflate_bytes"), ("deflate µs", "deflate_us")],
        )]  # fmt: skip
    page = results.get("page") or {}
    if page.get("skipped"):
        parts += ["", f"Page: skipped: {page['skipped']}"]
    elif page.get("runs"):
        load = page.get("machine_load", "?")
        parts += ["", f"Page — headless Chromium, 1280×720, while playing (load {load}):", table(
            page["runs"],
            [("network", "network"), ("client", "client"), ("fps", "fps"),
             ("p95 frame ms", "p95_frame_ms"), ("updates/s", "updates_per_s"),
             ("boundary/s", "boundary_per_s"), ("idle fps", "idle_fps"), ("× SVG", "x_svg"),
             ("note", "skipped")],
        )]  # fmt: skip
    peer = results.get("peer") or {}
    if peer.get("rows"):
        parts += ["", f"Peer — TensorFlow Playground's engine and our server, same run: "
                  f"{peer['setup']}. Compared: {peer['compared']}.", table(
            peer["rows"],
            [("path", "path"), ("one update", "update"), ("updates/s", "updates_per_s"),
             ("samples/s", "samples_per_s"), ("× Playground engine", "x_playground_engine"),
             ("note", "note")],
        )]  # fmt: skip
        if peer["playground"]["updates_per_s"] is None:
            parts += ["", f"Peer: Playground's engine skipped: {peer['rows'][0]['note']}"]
    if results.get("targets"):
        parts += ["", "Targets (issues 6 and 15):", table(
            results["targets"], [("target", "target"), ("measured", "measured"), ("met", "met")]
        )]  # fmt: skip
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (a smoke test)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    quick = args.quick
    results: dict[str, Any] = {"machine": machine(), "started": time.time()}
    steps = {
        "engine": lambda: bench_engine.run(0.15 if quick else 0.6),
        "api": lambda: bench_api.run(0.6 if quick else 2.0),
        "rest": lambda: bench_api.throughput(1.0 if quick else 5.0),
        "stream": lambda: bench_stream.run(2.0 if quick else 10.0, 1.0 if quick else 3.0),
        "page": lambda: bench_page.run(1.5 if quick else 5.0),
        "peer": lambda: bench_peer.run(1.0 if quick else 5.0),
    }
    for name in SECTIONS:
        if name not in only:
            continue
        print(f"… {name}", file=sys.stderr, flush=True)
        try:
            results[name] = steps[name]()
        except Exception as err:  # a broken section is reported, the others still run
            results[name] = {"skipped": f"failed: {type(err).__name__}: {err}"}
            if name != "page":
                results[name] = None
                results.setdefault("errors", {})[name] = f"{type(err).__name__}: {err}"
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = targets(results)
    text = report(results)
    print(text)
    for section, error in results.get("errors", {}).items():
        print(f"\n{section}: failed: {error}")
    results["table"] = text
    args.output.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.output}")
    return 1 if results.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
