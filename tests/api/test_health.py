"""GET /api/health: liveness, answering at once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.api.routers.health import VERSION


def test_health_answers_ok(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body.pop("kernel") in ("warming", "ready")
    assert body == {"status": "ok", "version": VERSION, "store": "sqlite"}


def test_health_carries_the_security_headers(client: TestClient) -> None:
    headers = client.get("/api/health").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_health_touches_no_session(client: TestClient) -> None:
    client.get("/api/health")
    assert client.get("/api/networks").json() == {"sessions": []}
