"""A classroom against one server: ``make load`` (or ``python scripts/load.py --help``).

Starts its own server on 127.0.0.1 (a free port, a throwaway database, started as
``make run`` starts it) unless ``--url`` names one, then runs N simulated students for a
bounded time, in one of four scenarios (``--scenario``, e.g. ``make load
ARGS="--scenario play-default"``):

* ``rest`` (the default) — the REST class below;
* ``play-default``, ``play-full`` — the whole class presses Play over the WebSocket stream
  at the page's default speed or at full speed (``scripts/load_play.py``): per-student
  frames/s, boundaries/s and updates/s, ``/api/health`` from a separate prober, server CPU;
* ``class`` — a live class (``scripts/load_class.py``): one teacher playing at full speed,
  N followers of its class channel: follower lag p50/p99, server CPU, errors.

In the REST class each student creates a session and then, until the time is up, does
what a student clicking through the page does:
a step with its full trace (most often), the next minibatch's backward trace, a forward
pass, a decision boundary, now and then ten steps at once or a stateless trace — with
a pause of 0 to ``--think`` seconds between calls. Reports latency (p50/p95/p99/max)
per kind of call and overall, throughput and errors; exits 1 if any call failed (or, with
``--max-p99-ms``, if p99 is over it). Every call has a timeout and the whole run a
deadline, so it always stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.cli.serve import default_workers  # noqa: E402
from app.presets import DEFAULT_REQUEST, PRESETS  # noqa: E402
from scripts import load_class, load_play  # noqa: E402

Json = dict[str, Any]

# (kind, weight): what students do, and how often.
ACTIONS = [
    ("step", 40),  # the Step button: one update, answered with its full trace and ΔW
    ("backward", 20),  # the Backward button: the next minibatch's trace
    ("forward", 12),  # the Forward button
    ("boundary", 12),  # the decision boundary redrawn
    ("step10", 10),  # play ×10: ten updates, no trace
    ("trace", 6),  # a stateless trace of a small network
]
TRACE = {
    "network": {"layers": [2, 3, 1], "activations": ["tanh", "sigmoid"], "loss": "mse",
                "weights": [[[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], [[0.7, -0.8, 0.9]]],
                "biases": [[0.0, 0.1, -0.1], [0.2]]},
    "x": [[0.5, -1.0], [1.5, 2.0]], "y": [[1.0], [0.0]],
}  # fmt: skip
# Classroom sessions: the default and the 2-D classification presets, in turn.
SESSIONS = [DEFAULT_REQUEST] + [
    p["request"] for p in PRESETS if p["id"] in ("xor", "dead-relu", "zero-init", "spiral")
]


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        self.latencies[kind].append(seconds)
        if error is not None:
            self.errors[kind] += 1
            if len(self.examples) < 5:
                self.examples.append(f"{kind}: {error}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Connection:
    """A minimal HTTP/1.1 keep-alive client: 60 httpx clients cost more CPU than the server
    they measure on a 2-core machine; this costs a few percent of it."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        return await asyncio.wait_for(self._request(method, path, body), self.timeout)

    async def _request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        head = f"{method} {path} HTTP/1.1\r\nhost: {self.host}\r\n"
        if body is not None:
            head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
        self._writer.write(head.encode() + b"\r\n" + (body or b""))
        try:
            status_line = await self._reader.readuntil(b"\r\n")
            length, close = 0, False
            while (line := await self._reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            payload = await self._reader.readexactly(length)
        except BaseException:
            await self.close()
            raise
        if close:
            await self.close()
        return int(status_line.split()[1]), payload

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = self._reader = None


async def timed(
    results: Results, kind: str, conn: Connection, method: str, path: str,
    body: bytes | None = None,
) -> Json | None:  # fmt: skip
    started = time.perf_counter()
    error: str | None = None
    answer: Json | None = None
    try:
        status, payload = await conn.request(method, path, body)
        if status >= 400:
            error = f"{status} {payload[:200].decode(errors='replace')}"
        else:
            answer = {} if kind != "create" else orjson.loads(payload)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as err:
        error = f"{type(err).__name__}: {err}"
    results.record(kind, time.perf_counter() - started, error)
    return answer


STEP = orjson.dumps({"steps": 1})
STEP10 = orjson.dumps({"steps": 10, "trace": False})
EMPTY = b"{}"
TRACE_BODY = orjson.dumps(TRACE)


async def student(
    n: int, url: str, deadline: float, think: float, results: Results, seed: int
) -> None:
    rng = random.Random(seed * 1000 + n)
    kinds, weights = zip(*ACTIONS, strict=True)
    parts = urlsplit(url)
    conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    try:
        await asyncio.sleep(rng.uniform(0, 1))  # students do not all start the same instant
        request = orjson.dumps(SESSIONS[n % len(SESSIONS)])
        created = await timed(results, "create", conn, "POST", "/api/networks", request)
        if created is None:
            return
        base = f"/api/networks/{created['id']}"
        n_train = created["dataset"]["n_train"]
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            if kind == "step":
                await timed(results, kind, conn, "POST", f"{base}/step", STEP)
            elif kind == "step10":
                await timed(results, kind, conn, "POST", f"{base}/step", STEP10)
            elif kind == "backward":
                await timed(results, kind, conn, "POST", f"{base}/backward", EMPTY)
            elif kind == "forward":
                body = orjson.dumps({"indices": [rng.randrange(n_train) for _ in range(4)]})
                await timed(results, kind, conn, "POST", f"{base}/forward", body)
            elif kind == "boundary":
                await timed(results, kind, conn, "GET", f"{base}/boundary?resolution=40")
            else:
                await timed(results, kind, conn, "POST", "/api/trace", TRACE_BODY)
            await asyncio.sleep(rng.uniform(0, think))
    finally:
        await conn.close()


async def run_class(url: str, clients: int, seconds: float, think: float, seed: int) -> Results:
    results = Results()
    deadline = time.monotonic() + seconds
    tasks = [student(n, url, deadline, think, results, seed) for n in range(clients)]
    # Calls time out after 10 s, so the class ends by then; this is the backstop.
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 60)
    return results


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (uvicorn's workers), from /proc; 0 elsewhere."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, ValueError, IndexError):
        return total
    return total + sum(cpu_seconds(int(child)) for child in children)


@dataclass
class OwnServer:
    url: str
    pid: int


@contextmanager
def own_server(workers: int, store: str, root: Path = ROOT) -> Iterator[OwnServer]:
    """The server as ``make run`` starts it (``python -m app serve``: its uvicorn options,
    each worker on a socket of its own) on a free port with a throwaway database, serving
    the app in ``root`` (this checkout, or another one's for an A/B with the same client);
    stopped whatever happens."""
    with tempfile.TemporaryDirectory(prefix="backprop-load-") as tmp:
        port = free_port()
        env = {**os.environ, "BACKPROP_EXPLORER_DB": str(Path(tmp) / "load.sqlite3")}
        if store:
            env["BACKPROP_EXPLORER_STORE"] = store
        cmd = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", "--workers", str(workers)]  # fmt: skip
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, proc, log_path)
            yield OwnServer(url, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=2) as client:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited:\n{log.read_text()[-2000:]}")
            try:
                if client.get("/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not answer in {timeout} s")
            time.sleep(0.1)


# --- report --------------------------------------------------------------------------------


def report(results: Results, seconds: float, clients: int) -> tuple[int, float]:
    """Print the REST class's latency table; (errors, p99 ms over every call)."""
    every = [x for values in results.latencies.values() for x in values]
    errors = sum(results.errors.values())
    print(f"{clients} clients for {seconds:g} s: {len(every)} calls, "
          f"{len(every) / seconds:.0f} calls/s, {errors} errors")  # fmt: skip
    print(
        f"{'call':<10}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
    )
    order = ["create"] + [kind for kind, _ in ACTIONS]
    for kind in [*order, "all"]:
        values = every if kind == "all" else results.latencies.get(kind, [])
        if not values:
            continue
        errs = errors if kind == "all" else results.errors.get(kind, 0)
        print(f"{kind:<10}{len(values):>7}"
              + "".join(f"{percentile(values, q) * 1000:>9.1f}" for q in (50, 95, 99))
              + f"{max(values) * 1000:>9.1f}{errs:>8}")  # fmt: skip
    for example in results.examples:
        print("  error:", example)
    return errors, percentile(every, 99) * 1000 if every else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario", choices=["rest", *load_play.SCENARIOS, "class"], default="rest"
    )
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--seconds", type=float, help="default 20 (rest), 10 (play)")
    parser.add_argument(
        "--think", type=float, default=0.2,
        help="rest: longest pause between a student's calls, seconds (default 0.2)",
    )  # fmt: skip
    parser.add_argument("--url", help="an already running server (default: start one)")
    parser.add_argument(
        "--workers", type=int, default=default_workers(),
        help="uvicorn workers of our server (default: one per core, as `make run`)",
    )  # fmt: skip
    parser.add_argument("--store", default="", help="BACKPROP_EXPLORER_STORE of our server")
    parser.add_argument(
        "--server-root", type=Path, default=ROOT,
        help="serve the app of this checkout (e.g. main's, for an A/B with this client)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-p99-ms", type=float,
        help="also fail if p99 is over this (rest: every call; play: /api/health; class: lag)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the play summary here")
    parser.add_argument(
        "--follower-reads", choices=["no", "yes", "both"], default="no",
        help="class: each student also reads its own pass and grids, as the page did before "
        "frames carried the teacher's (both: one run each, on the same server, for an A/B)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 20.0 if args.scenario == "rest" else 10.0
    if args.scenario == "class":
        return live_class(args)
    if args.scenario != "rest":
        return play(args)

    def go(url: str) -> Results:
        return asyncio.run(run_class(url, args.clients, args.seconds, args.think, args.seed))

    server_cpu = None
    if args.url:
        results = go(args.url)
    else:
        with own_server(args.workers, args.store, args.server_root) as server:
            before = cpu_seconds(server.pid)
            results = go(server.url)
            server_cpu = cpu_seconds(server.pid) - before
    errors, p99 = report(results, args.seconds, args.clients)
    calls = sum(len(v) for v in results.latencies.values())
    if server_cpu and calls:
        print(f"server CPU: {server_cpu:.1f} s, {1000 * server_cpu / calls:.2f} ms per call "
              f"({100 * server_cpu / args.seconds:.0f}% of one core); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    if errors:
        return 1
    if args.max_p99_ms is not None and p99 > args.max_p99_ms:
        print(f"p99 {p99:.0f} ms is over {args.max_p99_ms:g} ms")
        return 1
    return 0


def play(args: argparse.Namespace) -> int:
    """A Play scenario: print (and with ``--json`` write) its summary; 1 on any error."""
    return socket_scenario(
        args,
        lambda url, cpu: load_play.run_play(url, args.scenario, args.clients, args.seconds, cpu),
        load_play.report,
        lambda summary: summary["health"]["p99_ms"],
        "/api/health p99",
    )


def live_class(args: argparse.Namespace) -> int:
    """The class scenario: print (and with ``--json`` write) its summary; 1 on any error."""
    modes = {"no": [False], "yes": [True], "both": [True, False]}[args.follower_reads]

    def run(url: str, cpu: Callable[[], float] | None) -> Json:
        runs = [load_class.run_class(url, args.clients, args.seconds, cpu, m) for m in modes]
        *before, last = runs
        for summary in before:
            load_class.report(summary)
            print()
        return {**last, "errors": sum(r["errors"] for r in runs), "runs": runs}

    return socket_scenario(
        args,
        run,
        load_class.report,
        lambda summary: summary["lag_ms"]["p99"],
        "follower lag p99",
    )


def socket_scenario(
    args: argparse.Namespace,
    run: Callable[[str, Callable[[], float] | None], Json],
    show: Callable[[Json], None],
    p99_of: Callable[[Json], float | None],
    what: str,
) -> int:
    """Run a WebSocket scenario against ``--url`` or our own server (with its CPU time),
    report it, write ``--json``; 1 on any error or a p99 over ``--max-p99-ms``."""
    if args.url:
        summary = run(args.url, None)
    else:
        with own_server(args.workers, args.store, args.server_root) as server:
            summary = run(server.url, lambda: cpu_seconds(server.pid))
        summary["workers"] = args.workers
    show(summary)
    if args.json:
        args.json.write_text(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")
    if summary["errors"]:
        return 1
    p99 = p99_of(summary)
    if args.max_p99_ms is not None and (p99 is None or p99 > args.max_p99_ms):
        print(f"{what} {p99} ms is over {args.max_p99_ms:g} ms")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
