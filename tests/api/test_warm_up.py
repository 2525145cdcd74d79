"""The training kernel is warmed up at server start, off the event loop."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

import app.main
from app.engine import kernel_loops
from app.main import create_app


def test_the_server_answers_while_the_warm_up_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_warm_up() -> None:
        started.set()
        assert release.wait(30), "the test never released the warm-up"

    monkeypatch.setattr(app.main, "warm_up", slow_warm_up)
    with TestClient(create_app()) as client:  # the lifespan has run and returned
        assert started.wait(10)
        thread = client.app.state.warm_up  # type: ignore[attr-defined]
        assert thread.is_alive() and thread is not threading.main_thread()
        assert client.get("/api/health").status_code == 200  # while it is still running
        release.set()
        thread.join(10)
        assert not thread.is_alive()


def test_the_real_warm_up_compiles_the_kernel() -> None:
    with TestClient(create_app()) as client:
        client.app.state.warm_up.join(120)  # type: ignore[attr-defined]
    assert kernel_loops.train.signatures and kernel_loops.evaluate.signatures
