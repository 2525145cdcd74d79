"""Parse the command line, run the command, and turn every user error into one plain line."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.cli import tables
from app.cli.progress import Progress
from app.client import ApiError, Client

DEFAULT_URL = "http://127.0.0.1:8000"

NET_FORMAT = """\
NET is a JSON file: the body of POST /api/networks (docs/api.md, "Create"):

  {"network":  {"layers": [1, 1], "activations": ["square"], "loss": "mse",
                "bias": false, "weights": [[[2.0]]]},
   "dataset":  {"x": [[1.0]], "y": [[0.0]], "kind": "regression"},
   "training": {"optimizer": "sgd", "learning_rate": 0.02, "batch_size": 1}}

  network   layers [n_0, ..., n_L]; activations, one per layer l = 1..L (sigmoid, tanh,
            relu, leaky_relu, linear, softplus, square, softmax); loss (mse, bce,
            cross_entropy); bias (default true); either weights (W^l, each n_l x n_(l-1))
            and biases, or init (xavier, he, normal, zeros) and seed; features (x1, x2,
            x1_sq, x2_sq, x1_x2, sin_x1, sin_x2) to transform the raw input.
  dataset   a built-in, {"name": "xor", "n_samples": 200, "noise": 0, "seed": 0} (xor,
            circle, gauss, spiral, moons, sine, plane, bumps), or your points,
            {"x": [[...]], "y": [[...]]} (optional test_x, test_y, kind).
  training  optimizer (sgd, momentum, adam), learning_rate, batch_size, regularization
            (none, l1, l2), regularization_rate.

An export (backprop-explorer export ID) is such a file too, with the run's state."""


class UserError(Exception):
    """Something the user can fix; printed as one line, without a traceback."""


def _read_json(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise UserError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(
            f"{path} is not valid JSON: line {err.lineno}, column {err.colno}: {err.msg}"
        ) from None
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold a JSON object with network, dataset and training")
    return data


@contextmanager
def _local() -> Iterator[Client]:
    """The app in this process, on a throwaway database: nothing is kept afterwards."""
    from app.main import create_app
    from app.settings import Settings

    with tempfile.TemporaryDirectory(prefix="backprop-explorer-") as tmp:
        app = create_app(Settings(db_path=Path(tmp) / "sessions.sqlite3"))
        with Client.in_process(app) as client:
            yield client


def _remote(url: str) -> Client:
    return Client(url)


# --- commands ----------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    from app.cli.serve import serve

    return serve(args.host, args.port, args.log_level, args.workers)


def _samples(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise UserError(
            f"--samples takes row numbers separated by commas, like 0,1,2; got {text!r}"
        ) from None


def cmd_trace(args: argparse.Namespace) -> int:
    request = _read_json(args.net)
    samples = _samples(args.samples)
    with _local() as client:
        session = client.create_from(request)
        result = client.backward(session, samples)
    print(tables.trace(result, session.network))
    return 0


def _abandon_call_in_flight() -> None:
    """Stopped by the user: a call to the in-process app may be cut off half-way, its
    transport's streams left to the exit, which would warn about each (``ResourceWarning``,
    an error under ``-W error``) after the bar's line and "stopped"."""
    warnings.simplefilter("ignore", ResourceWarning)


@contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """SIGTERM (``kill``) ends the process through ``SystemExit`` rather than at once, so the
    progress bar's line is ended and the throwaway database removed on the way out."""

    def stop(signum: int, frame: object) -> None:
        _abandon_call_in_flight()
        raise SystemExit(128 + signum)

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def cmd_train(args: argparse.Namespace) -> int:
    if args.steps < 1:
        raise UserError("--steps must be at least 1")
    request = _read_json(args.net)
    with _local() as client:
        session = client.create_from(request)
        limit = int(client.catalog()["limits"]["max_steps"])
        chunk = max(1, min(limit, -(-args.steps // 50)))  # about 50 redraws of the bar
        done, result = 0, None
        with _terminate_as_exit(), Progress(args.steps) as progress:
            progress.show(0)
            while done < args.steps:
                result = client.step(session, min(chunk, args.steps - done), trace=False)
                done += result.applied_steps
                note = (
                    ""
                    if result.metrics is None
                    else f"loss {tables.num(result.metrics.train_loss)}"
                )
                progress.show(done, note)
                if result.diverged:
                    break
        assert result is not None
        if args.out:
            Path(args.out).write_text(json.dumps(client.export(session)), encoding="utf-8")
    if result.metrics is not None:
        print(tables.metrics(result.metrics))
    n_params = sum(w.size for w in result.network.weights)
    if n_params <= 60:
        print(tables.weights(result.network))
    if args.out:
        print(f"saved to {args.out}: backprop-explorer import {args.out} puts it on a server")
    if result.diverged:
        print(f"error: training stopped at step {result.step}: {result.message}", file=sys.stderr)
        return 1
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with _remote(args.url) as client:
        exported = client.export(args.id)
    text = json.dumps(exported)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"saved session {args.id} (step {exported['state']['step']}) to {args.out}")
    else:
        print(text)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    request = _read_json(args.file)
    with _remote(args.url) as client:
        session = client.import_session(request)
    print(f"imported as session {session.id} (step {session.step}) on {args.url}")
    return 0


# --- the parser --------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="backprop-explorer",
        description="Backprop Explorer: define a small neural network and see every number "
        "of its forward pass, backward pass and SGD steps.",
        epilog=NET_FORMAT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    s = sub.add_parser(
        "serve",
        help="serve the page and the API (what `make run` does)",
        description="Serve the page and the API on HOST:PORT.",
    )
    s.add_argument(
        "--host",
        default=os.environ.get("HOST", "127.0.0.1"),
        help="address to listen on (default: $HOST or 127.0.0.1)",
    )
    s.add_argument(
        "--port",
        type=int,
        default=_port(os.environ.get("PORT", "8000")),
        help="port to listen on (default: $PORT or 8000)",
    )
    s.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="how much uvicorn logs (default: warning; info shows every request)",
    )
    s.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: one per core; they share sessions through the store)",
    )
    s.set_defaults(run=cmd_serve)

    fmt = argparse.RawDescriptionHelpFormatter
    t = sub.add_parser(
        "trace",
        help="print z, a, δ and ∇W per layer for a network in NET",
        description="One forward and backward pass of the network in NET, in "
        "this process (no server): z^l, a^l, δ^l per sample and ∂C/∂W^l, "
        "∂C/∂b^l per layer.",
        epilog=NET_FORMAT,
        formatter_class=fmt,
    )
    t.add_argument("net", metavar="NET", help="a JSON file: see below")
    t.add_argument(
        "--samples",
        metavar="ROWS",
        help="training rows to trace, like 0,1,2 (default: the first minibatch, "
        "the one the first step uses)",
    )
    t.set_defaults(run=cmd_trace)

    r = sub.add_parser(
        "train",
        help="train the network in NET for N steps",
        description="Train the network in NET for N minibatch steps in this "
        "process (no server), with a progress bar, then print the metrics "
        "and the weights.",
        epilog=NET_FORMAT,
        formatter_class=fmt,
    )
    r.add_argument("net", metavar="NET", help="a JSON file: see below")
    r.add_argument(
        "--steps", type=int, default=100, metavar="N", help="minibatch updates (default 100)"
    )
    r.add_argument(
        "--out", metavar="FILE", help="save the trained session here (an export: `import` reads it)"
    )
    r.set_defaults(run=cmd_train)

    e = sub.add_parser(
        "export",
        help="save a session from a server as JSON",
        description="Fetch session ID from the server as an export: a JSON "
        "file that `import` (or POST /api/networks) turns back into the same "
        "session.",
    )
    e.add_argument("id", metavar="ID", help="the session id")
    e.add_argument("--out", metavar="FILE", help="write here instead of to the screen")
    e.add_argument("--url", default=DEFAULT_URL, help=f"the server (default {DEFAULT_URL})")
    e.set_defaults(run=cmd_export)

    i = sub.add_parser(
        "import",
        help="create a session on a server from an export or NET",
        description="Create a session on the server from FILE: an export, or any NET file.",
        epilog=NET_FORMAT,
        formatter_class=fmt,
    )
    i.add_argument("file", metavar="FILE", help="an export or a NET file")
    i.add_argument("--url", default=DEFAULT_URL, help=f"the server (default {DEFAULT_URL})")
    i.set_defaults(run=cmd_import)
    return p


def _port(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        print(f"error: PORT must be a number, got {text!r}", file=sys.stderr)
        raise SystemExit(2) from None


def _explain(err: ApiError, args: argparse.Namespace) -> str:
    if err.status == 0:
        url = getattr(args, "url", DEFAULT_URL)
        return (
            f"could not reach a server at {url}. Start one with `backprop-explorer serve` "
            "(or `make run`), or give its address with --url."
        )
    if err.status == 422 and args.command in ("trace", "train", "import"):
        return f"{getattr(args, 'net', None) or args.file}: {err.detail}"
    return err.detail


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except ApiError as err:
        print(f"error: {_explain(err, args)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _abandon_call_in_flight()
        print("stopped", file=sys.stderr)
        return 130
    return code
