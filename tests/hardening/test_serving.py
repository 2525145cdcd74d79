"""The served configuration and the database it starts on (issue 14: findings 9, 10, 11)."""

from __future__ import annotations

import itertools
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.presets import DEFAULT_REQUEST
from app.sessions.stores import sqlite as sqlite_store
from app.settings import Settings
from tests.servers import ROOT, free_port, running_server

# --- 9: slowloris --------------------------------------------------------------------------


def _open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_connections_that_never_finish_their_headers_are_dropped(tmp_path: Path) -> None:
    env = {"BACKPROP_EXPLORER_DB": str(tmp_path / "db.sqlite3"),
           "BACKPROP_EXPLORER_HEADER_TIMEOUT": "1"}  # fmt: skip
    with running_server(tmp_path, env) as server:
        before = _open_fds(server.proc.pid)
        socks = []
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finished
            socks.append(s)
        idle = socket.create_connection(("127.0.0.1", server.port))  # sends nothing at all
        socks.append(idle)
        time.sleep(0.5)
        assert _open_fds(server.proc.pid) >= before + 150  # they were being held
        deadline = time.monotonic() + 10
        while _open_fds(server.proc.pid) > before + 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _open_fds(server.proc.pid) <= before + 5
        for s in socks:
            s.settimeout(2)
            assert s.recv(100) == b""  # closed by the server
            s.close()
        assert httpx.get(server.url + "/api/health").status_code == 200


def test_serve_uses_the_served_configuration() -> None:
    from app.serving import OPTIONS, uvicorn_flags

    assert OPTIONS["http"] == "app.serving:HttpProtocol"
    assert OPTIONS["ws"] == "app.serving:WebSocketProtocol"
    flags = uvicorn_flags()
    assert flags[flags.index("--timeout-keep-alive") + 1] == "5"
    assert flags[flags.index("--limit-concurrency") + 1] == "1000"
    docs = (ROOT / "docs" / "limits.md").read_text()
    assert "--http app.serving:HttpProtocol" in docs
    assert "--ws app.serving:WebSocketProtocol" in docs


def _masked_text(payload: bytes) -> bytes:
    """One client-to-server WebSocket text frame (clients mask theirs)."""
    assert len(payload) < 126
    mask = os.urandom(4)
    return (
        bytes([0x81, 0x80 | len(payload)])
        + mask
        + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    )


def test_a_stream_whose_client_stops_reading_is_dropped(tmp_path: Path) -> None:
    env = {"BACKPROP_EXPLORER_DB": str(tmp_path / "db.sqlite3"),
           "BACKPROP_EXPLORER_SEND_TIMEOUT": "1"}  # fmt: skip
    with running_server(tmp_path, env) as server:
        sid = httpx.post(server.url + "/api/networks", json=DEFAULT_REQUEST).json()["id"]
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills at once
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(
            f"GET /api/networks/{sid}/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode()
        )
        sock.settimeout(5)
        assert sock.recv(12) == b"HTTP/1.1 101"
        # full speed with every neuron's grid: frames of 64 kB, never read from here on, but
        # acknowledged as if they were (a frame takes about 10 ms: seq 1, 2, … every 30 ms)
        play = b'{"type":"play","boundary":{"per_second":60,"resolution":40,"neurons":true}}'
        sock.sendall(_masked_text(play))
        dropped = False
        until = time.monotonic() + 8
        for seq in itertools.count(1):
            time.sleep(0.03)
            if time.monotonic() > until:
                break
            try:
                sock.sendall(_masked_text(b'{"type":"ack","seq":%d}' % seq))
            except OSError:  # the server dropped the connection
                dropped = True
                break
        taken, deadline = 0, time.monotonic() + 10
        ended = False  # reading what was buffered reaches the end of the connection
        try:
            while taken < 50_000_000 and time.monotonic() < deadline:
                chunk = sock.recv(1 << 16)
                if not chunk:
                    ended = True
                    break
                taken += len(chunk)
        except ConnectionResetError:
            ended = True
        sock.close()
        assert dropped and ended
        step = httpx.get(f"{server.url}/api/networks/{sid}").json()["step"]
        assert step > 0  # the stream ended as any other does: its Play was saved


# --- 10: a 500 carries the headers and keeps the connection -------------------------------


@pytest.fixture
def boom_client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(db_path=tmp_path / "db.sqlite3"))

    @app.get("/api/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app) as client:  # raises whatever the app lets escape to the server
        yield client


def test_a_500_has_the_security_headers_and_is_not_raised_to_the_server(
    boom_client: TestClient,
) -> None:
    r = boom_client.get("/api/boom")
    assert r.status_code == 500
    assert r.json()["detail"] == "internal error; the server log has the details"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert boom_client.get("/api/health").status_code == 200


# --- 11: bad database files ----------------------------------------------------------------


def _serve(db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BACKPROP_EXPLORER_DB": str(db), "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "app", "serve", "--port", str(free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_database_of_another_schema_refuses_to_start(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, meta BLOB)")
    done = _serve(db)
    assert done.returncode == 1
    assert "has another schema: table 'sessions' lacks version" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unwritable_database_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "db.sqlite3"
    create_app(Settings(db_path=db)).state.store.close()  # a good database …
    connect = sqlite3.connect

    def read_only(path: Path, **kwargs: Any) -> sqlite3.Connection:  # … opened read-only
        return connect(f"file:{path}?mode=ro", uri=True, **kwargs)

    monkeypatch.setattr(sqlite_store.sqlite3, "connect", read_only)
    with pytest.raises(sqlite_store.StoreError, match="cannot be used: attempt to write"):
        create_app(Settings(db_path=db))


def test_a_str_database_path_is_made_a_path(tmp_path: Path) -> None:
    """docs/client.md writes Settings(db_path="/tmp/…"), as anyone would in a notebook."""
    db = str(tmp_path / "sub" / "db.sqlite3")
    settings = Settings(db_path=db)  # type: ignore[arg-type]  # a str is what is tested
    assert settings.db_path == Path(db)
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/networks", json=DEFAULT_REQUEST).status_code == 201
    assert Path(db).is_file()


def test_one_damaged_row_is_skipped_and_reported(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    with TestClient(create_app(Settings(db_path=db))) as client:
        good = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
        bad = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sessions SET meta = ? WHERE id = ?", (b"{not json", bad))
    with TestClient(create_app(Settings(db_path=db))) as client:
        r = client.get(f"/api/networks?ids={bad},{good}")
    assert r.status_code == 200
    assert [row["id"] for row in r.json()["sessions"]] == [good]
    assert r.json()["unreadable"] == [bad]


def test_listing_every_session_skips_a_damaged_row(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    settings = Settings(db_path=db, list_sessions=True)
    with TestClient(create_app(settings)) as client:
        good = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
        bad = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sessions SET meta = ? WHERE id = ?", (b"{not json", bad))
    with TestClient(create_app(settings)) as client:
        r = client.get("/api/networks")
    assert r.status_code == 200, r.text
    assert [row["id"] for row in r.json()["sessions"]] == [good]


def _damaged(tmp_path: Path, table: str, column: str, where: str) -> tuple[TestClient, str]:
    db = tmp_path / "db.sqlite3"
    with TestClient(create_app(Settings(db_path=db))) as client:
        sid = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
        assert client.post(f"/api/networks/{sid}/step", json={"steps": 2}).status_code == 200
    with sqlite3.connect(db) as conn:
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {where} = ?", (b"{not json", sid))
    return TestClient(create_app(Settings(db_path=db))), sid


PER_SESSION = [
    ("GET", ""), ("GET", "/export"), ("GET", "/metrics"), ("GET", "/snapshots"),
    ("GET", "/boundary"), ("POST", "/step"), ("POST", "/reset"), ("POST", "/forward"),
]  # fmt: skip
BODIES: dict[str, Any] = {"/step": {"steps": 1}, "/forward": {"split": "train", "indices": [0]}}


def test_every_call_on_a_damaged_session_answers_422_naming_it(tmp_path: Path) -> None:
    client, sid = _damaged(tmp_path, "sessions", "meta", "id")
    with client:
        for method, tail in PER_SESSION:
            r = client.request(method, f"/api/networks/{sid}{tail}", json=BODIES.get(tail))
            assert r.status_code == 422, (tail, r.status_code, r.text)
            assert sid in r.json()["detail"] and "damaged" in r.json()["detail"], tail
        assert client.delete(f"/api/networks/{sid}").status_code == 204  # it can be removed
        assert client.get(f"/api/networks/{sid}").status_code == 404


@pytest.mark.parametrize(("table", "column", "tail"), [
    ("metrics", "record", "/metrics"), ("snapshots", "params", "/snapshots"),
    ("snapshots", "params", "/export"), ("metrics", "record", "/export"),
])  # fmt: skip
def test_a_damaged_history_row_answers_422(tmp_path: Path, table: str, column: str,
                                           tail: str) -> None:  # fmt: skip
    client, sid = _damaged(tmp_path, table, column, "session_id")
    with client:
        r = client.get(f"/api/networks/{sid}{tail}")
        assert r.status_code == 422, r.text
        assert sid in r.json()["detail"]
        assert client.get(f"/api/networks/{sid}").status_code == 200  # the session itself reads


def test_a_database_from_before_client_shares_gains_its_columns(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    with TestClient(create_app(Settings(db_path=db))) as client:
        old = client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
    with sqlite3.connect(db) as conn:  # as version 1 wrote it
        conn.execute("DROP INDEX sessions_client")
        conn.execute("ALTER TABLE sessions DROP COLUMN client")
        conn.execute("ALTER TABLE sessions DROP COLUMN created_at")
        conn.execute("PRAGMA user_version = 1")
    with TestClient(create_app(Settings(db_path=db))) as client:
        assert client.get(f"/api/networks/{old}").status_code == 200
        assert client.post("/api/networks", json=DEFAULT_REQUEST).status_code == 201
    with sqlite3.connect(db) as conn:
        clients = sorted(c for (c,) in conn.execute("SELECT client FROM sessions"))
    assert clients == ["", "testclient"]
