"""One client cannot lock everyone out; a class behind one address is never refused
(issue 14, finding 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.quota import Buckets, RateLimited
from app.main import create_app
from app.presets import DEFAULT_REQUEST
from app.settings import Limits, Settings


def test_creates_over_the_rate_are_refused_before_anything_is_stored(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "db.sqlite3", limits=Limits(create_rate=5))
    with TestClient(create_app(settings)) as client:
        for _ in range(5):
            assert client.post("/api/networks", json=DEFAULT_REQUEST).status_code == 201
        refused = client.post("/api/networks", json=DEFAULT_REQUEST)
        assert refused.status_code == 429
        assert "5 a minute" in refused.json()["detail"]
        assert 1 <= int(refused.headers["retry-after"]) <= 12
        assert client.app.state.store.count() == 5  # type: ignore[attr-defined]


def test_heavy_calls_over_the_rate_are_refused(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "db.sqlite3", limits=Limits(heavy_rate=2))
    with TestClient(create_app(settings)) as client:
        sid = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
        url = f"/api/networks/{sid}/gradcheck"
        assert client.post(url, json={"indices": [0]}).status_code == 200
        assert client.post(url, json={"indices": [0]}).status_code == 200
        assert client.post(url, json={"indices": [0]}).status_code == 429
        assert client.post(f"/api/networks/{sid}/step", json={"steps": 1}).status_code == 200


def test_a_bucket_refills_and_clients_are_separate() -> None:
    bucket = Buckets("creates", 60)  # one a second
    for _ in range(60):
        bucket.take("a", now=0.0)
    with pytest.raises(RateLimited):
        bucket.take("a", now=0.0)
    bucket.take("b", now=0.0)  # another address is not affected
    bucket.take("a", now=1.0)  # a second later, one more


def test_a_class_of_60_behind_one_address_is_never_refused(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(db_path=tmp_path / "db.sqlite3"))) as client:
        for _ in range(60 * 3):  # every student creates three sessions at once
            r = client.post("/api/networks", json=DEFAULT_REQUEST)
            assert r.status_code == 201
            assert (
                client.post(f"/api/networks/{r.json()['id']}/step", json={"steps": 100}).status_code
                == 200
            )
