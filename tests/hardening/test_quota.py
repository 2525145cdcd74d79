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


def test_a_flooder_filling_the_server_does_not_lock_a_class_out(tmp_path: Path) -> None:
    """The store is full of one address's sessions: that address's next create is refused
    (429 naming its share), and a class of 60 behind another address all get in, each
    pushing out one of the flooder's newest sessions, never the teacher's long-idle one."""
    limits = Limits(max_sessions=200, client_sessions=70)
    app = create_app(Settings(db_path=tmp_path / "db.sqlite3", limits=limits))
    with TestClient(app, client=("10.0.0.1", 1)) as teacher:
        kept = teacher.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
    with TestClient(app, client=("10.6.6.6", 1)) as flooder:
        flood = [flooder.post("/api/networks", json=DEFAULT_REQUEST) for _ in range(199)]
        assert {r.status_code for r in flood} == {201}
        refused = flooder.post("/api/networks", json=DEFAULT_REQUEST)
        assert refused.status_code == 429
        assert "holds 199 sessions, over its share of 70" in refused.json()["detail"]
    with TestClient(app, client=("10.0.0.2", 1)) as classroom:  # a class behind one NAT
        answers = [classroom.post("/api/networks", json=DEFAULT_REQUEST) for _ in range(60)]
        assert [r.status_code for r in answers] == [201] * 60
        assert classroom.get(f"/api/networks/{kept}").status_code == 200
        alive = [classroom.get(f"/api/networks/{r.json()['id']}").status_code for r in flood]
        assert alive == [200] * 139 + [404] * 60  # the flood's newest went
