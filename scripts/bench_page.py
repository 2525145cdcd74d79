"""Page benchmark: frames per second of the explorer page in headless Chromium while playing.

For the default network and for 6 hidden layers of 16 neurons (and, at ×3 only,
8 hidden layers of 32 and the server's largest network, 10 layers of 64), the page is
opened, the session loaded, Play pressed (at the page's default speed, ×3, and at
full speed, the top of the speed slider), and requestAnimationFrame callbacks
counted in the page for a few seconds; the update counter gives the page's
training rate. A second measurement runs ``static/js/stream.js`` in the same
browser without the page's drawing: the stream's frame, update and boundary
rates as a browser client receives them.

The large networks draw their edges on a canvas (static/js/views/network-edge-canvas.js).
For 6×16, 8×32 and the largest, the same run also plays the page with the canvas turned
off (SVG edges only, the page before issue 16): the "× SVG" column is the canvas's fps
over that, side by side on the same (possibly loaded) machine.

Needs /usr/bin/chromium and Python playwright; otherwise the section is skipped
with the reason.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any

import httpx

from scripts.bench_api import Server
from scripts.bench_stream import BOUNDARY, DEEP, PLAYGROUND_UPDATES_PER_SECOND, request_for

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 720}

COUNT_FRAMES = """async (ms) => {
  const times = [];
  const step = () => Number(document.querySelector('[data-metric=step]')?.textContent ?? NaN);
  const step0 = step();
  await new Promise((done) => {
    const t0 = performance.now();
    const tick = (t) => {
      times.push(t);
      if (t - t0 < ms) requestAnimationFrame(tick); else done();
    };
    requestAnimationFrame(tick);
  });
  const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  const seconds = (times[times.length - 1] - times[0]) / 1000;
  return { fps: (times.length - 1) / seconds, p95_gap_ms: gaps[Math.floor(gaps.length * 0.95)],
           updates_per_s: (step() - step0) / seconds };
}"""

# Before the page's scripts run: draw every edge in SVG, never on the canvas (the A/B baseline)
SVG_ONLY = "window.BACKPROP_CANVAS_EDGES = Infinity;"

TOP_SPEED = """() => window.backprop.actions.setSpeed(
  Number(document.querySelector('[data-control=speed]').max))"""

STREAM_IN_PAGE = """async ([id, boundary, ms]) => {
  const { TrainingStream } = await import('/static/js/stream.js');
  let frames = 0, boundaries = 0, first = null, last = null;
  const stream = new TrainingStream(id, {
    onFrame: (f) => { frames++; if (f.boundary) boundaries++; first ??= f; last = f; },
  });
  await stream.open();
  const t0 = performance.now();
  stream.play({ boundary });
  await new Promise((r) => setTimeout(r, ms));
  const seconds = (performance.now() - t0) / 1000;
  stream.close();
  return { frames_per_s: frames / seconds, boundary_per_s: boundaries / seconds,
           updates_per_s: last ? last.step / seconds : 0 };
}"""


def _hidden(n: int, width: int) -> dict[str, Any]:
    return {"layers": [2, *[width] * n, 1], "activations": ["tanh"] * n + ["sigmoid"]}


# 8 hidden layers of 32, and the server's largest: 10 layers (9 hidden + output) of 64
LARGE = {"8×32": _hidden(8, 32), "max 10×64": _hidden(9, 64)}
FPS_GOALS = {"8×32": 55.0, "max 10×64": 30.0}  # headless Chromium on this machine


def _load() -> str:
    """The 1-, 5- and 15-minute load averages and the cores: how busy the machine was."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def _skip(reason: str) -> dict[str, Any]:
    return {"skipped": reason}


def run(seconds: float = 5.0) -> dict[str, Any]:
    if not CHROMIUM.exists():
        return _skip("no /usr/bin/chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return _skip("Python playwright is not installed (pip install -e '.[test]')")
    server = Server(args=["--ws-per-message-deflate", "false"])
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                rows: list[dict[str, Any]] = []
                for name, network in (("default", None), ("6×16", DEEP)):
                    rows.append(_page(browser, server.url, name, network, seconds))
                    rows.append(_page(browser, server.url, name, network, seconds, full_speed=True))
                    rows.append(_stream_js(browser, server.url, name, network, seconds))
                # large networks (issue 16): the page at the default speed, canvas vs SVG edges
                for name, network in (("6×16", DEEP), *LARGE.items()):
                    if network is not DEEP:
                        rows.append(_page(browser, server.url, name, network, seconds))
                    svg = _page(browser, server.url, name, network, seconds, svg_only=True)
                    canvas = next(r for r in rows if r["network"] == name
                                  and r["client"] == "page (Play, ×3)")  # fmt: skip
                    if "fps" in svg and "fps" in canvas:
                        canvas["x_svg"] = round(canvas["fps"] / max(svg["fps"], 0.1), 2)
                    rows.append(svg)
                return {"runs": rows, "machine_load": _load()}
            finally:
                browser.close()
    finally:
        server.stop()


def _page(
    browser: Any,
    url: str,
    name: str,
    network: Any,
    seconds: float,
    full_speed: bool = False,
    svg_only: bool = False,
) -> dict[str, Any]:
    """The page's own Play: rAF rate and update counter while it plays."""
    from playwright.sync_api import Error as PlaywrightError

    client = "page (Play, full speed)" if full_speed else "page (Play, ×3)"
    if svg_only:
        client = "page (Play, ×3, SVG edges)"
    row: dict[str, Any] = {"network": name, "client": client}
    session_id = httpx.post(url + "/api/networks", json=request_for(network)).json()["id"]
    page = browser.new_page(viewport=VIEWPORT)
    if svg_only:
        page.add_init_script(SVG_ONLY)
    try:
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        if not page.evaluate("() => typeof window.backprop?.actions?.loadSession"):
            return {**row, "skipped": "the page has no window.backprop.actions.loadSession"}
        page.evaluate("(id) => window.backprop.actions.loadSession(id)", session_id)
        page.wait_for_function(
            "(id) => window.backprop.store.state.session?.id === id", arg=session_id
        )
        idle = page.evaluate(COUNT_FRAMES, 1000)
        if full_speed:  # the top of the slider: the stream trains as fast as it can
            page.evaluate(TOP_SPEED)
        page.click("[data-action=play]")
        page.wait_for_timeout(1000)  # past the first requests
        playing = [page.evaluate(COUNT_FRAMES, seconds * 1000 / 3) for _ in range(3)]
        page.click("[data-action=play]")
    except PlaywrightError as err:
        return {**row, "skipped": f"the page could not be driven: {str(err).splitlines()[0]}"}
    finally:
        page.close()
    return {
        **row,
        "fps": round(statistics.median(r["fps"] for r in playing), 1),
        "p95_frame_ms": round(statistics.median(r["p95_gap_ms"] for r in playing), 1),
        "updates_per_s": round(statistics.median(r["updates_per_s"] for r in playing)),
        "idle_fps": round(idle["fps"], 1),
    }


def _stream_js(browser: Any, url: str, name: str, network: Any, seconds: float) -> dict[str, Any]:
    """static/js/stream.js in the browser, drawing nothing: what the stream delivers."""
    session_id = httpx.post(url + "/api/networks", json=request_for(network)).json()["id"]
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(url + "/api/health")  # same origin, nothing drawn
        r = page.evaluate(STREAM_IN_PAGE, [session_id, BOUNDARY, seconds * 1000])
    finally:
        page.close()
    return {
        "network": name,
        "client": "stream.js (no drawing)",
        "fps": round(r["frames_per_s"], 1),
        "boundary_per_s": round(r["boundary_per_s"], 1),
        "updates_per_s": round(r["updates_per_s"]),
        "x_playground": round(r["updates_per_s"] / PLAYGROUND_UPDATES_PER_SECOND, 2),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
