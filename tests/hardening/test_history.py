"""History stays bounded and every export imports back (issue 14, finding 5)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from app.api import views
from app.main import create_app
from app.presets import DEFAULT_REQUEST
from app.sessions.retention import DENSE_SNAPSHOTS, kept_history
from app.settings import Limits, Settings


def test_kept_history_is_dense_then_even() -> None:
    steps = list(range(0, 1001))
    kept = kept_history(steps, 100)
    assert kept[: DENSE_SNAPSHOTS + 1] == list(range(DENSE_SNAPSHOTS + 1))
    assert kept[-1] == 1000 and len(kept) == 100
    gaps = [
        b - a
        for a, b in zip(kept[DENSE_SNAPSHOTS + 1 :], kept[DENSE_SNAPSHOTS + 2 :], strict=False)
    ]
    assert max(gaps) - min(gaps) <= 1


def test_history_is_thinned_and_a_long_run_exports_and_imports_back(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "db.sqlite3", limits=Limits(max_history=80))
    with TestClient(create_app(settings)) as client:
        sid = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
        for _ in range(300):
            assert (
                client.post(
                    f"/api/networks/{sid}/step", json={"steps": 1, "trace": False}
                ).status_code
                == 200
            )
        steps = client.get(f"/api/networks/{sid}/metrics").json()["step"]
        assert len(steps) <= 80
        assert steps[0] == 0 and steps[-1] == 300 and steps == sorted(steps)
        export = client.get(f"/api/networks/{sid}/export").json()
        again = client.post("/api/networks", json=export)
        assert again.status_code == 201, again.text
        assert again.json()["step"] == 300
        copied = client.get(f"/api/networks/{again.json()['id']}/metrics").json()["step"]
        assert copied == steps


def test_the_largest_network_exports_and_imports_back(tmp_path: Path) -> None:
    request = copy.deepcopy(DEFAULT_REQUEST)
    request["network"] = {**request["network"], "layers": [2] + [64] * 9 + [1],
                          "activations": ["tanh"] * 9 + ["sigmoid"]}  # fmt: skip
    request["training"] = {**request["training"], "optimizer": "adam", "learning_rate": 0.001}
    with TestClient(create_app(Settings(db_path=tmp_path / "db.sqlite3"))) as client:
        sid = client.post("/api/networks", json=request).json()["id"]
        assert client.post(f"/api/networks/{sid}/step", json={"steps": 60}).status_code == 200
        export = client.get(f"/api/networks/{sid}/export")
        assert len(export.content) <= Limits().max_body_bytes
        snaps = export.json()["history"]["snapshots"]
        assert snaps[0]["step"] == 0 and snaps[-1]["step"] == 60
        again = client.post("/api/networks", json=export.json())
        assert again.status_code == 201, again.text[:300]
        assert again.json()["step"] == 60


def test_the_worst_case_export_fits_the_body_limit(tmp_path: Path) -> None:
    """The largest export any session can have (10 × 64 Adam, 2000 custom samples of 64
    full-precision inputs, ``max_history`` metrics records) fits ``max_body_bytes`` without
    snapshots, so ``export_body`` can always make it importable (docs/limits.md)."""
    rng = np.random.default_rng(0)
    request = copy.deepcopy(DEFAULT_REQUEST)
    request["network"] = {**request["network"], "layers": [64] * 10 + [1],
                          "activations": ["tanh"] * 9 + ["sigmoid"]}  # fmt: skip
    request["network"].pop("features")
    request["dataset"] = {
        "x": (rng.normal(size=(1600, 64)) * 1e-7).tolist(),  # 1e-7: the longest reprs
        "y": rng.integers(0, 2, (1600, 1)).astype(float).tolist(),
        "test_x": (rng.normal(size=(400, 64)) * 1e-7).tolist(),
        "test_y": rng.integers(0, 2, (400, 1)).astype(float).tolist(),
    }
    request["training"] = {**request["training"], "optimizer": "adam", "learning_rate": 0.001}
    limits = Limits()
    with TestClient(create_app(Settings(db_path=tmp_path / "db.sqlite3"))) as client:
        sid = client.post("/api/networks", json=request).json()["id"]
        assert client.post(f"/api/networks/{sid}/step", json={"steps": 3}).status_code == 200
        store = client.app.state.store  # type: ignore[attr-defined]
        row = store.metrics(sid)[-1]
        rows = [dict(row, step=step) for step in range(limits.max_history)]
        body = views.export_body(store.get(sid), rows, store.snapshots(sid), limits.max_body_bytes)
    assert len(body) <= limits.max_body_bytes
