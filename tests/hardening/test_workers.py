"""Several uvicorn workers on one SQLite file (`make run` starts one per core).

Different sessions never wait on one another or answer 409; calls on one session are
queued across the workers as within one (no 409, no lost update); a session created by
one worker is read, trained and deleted by any.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from app.presets import DEFAULT_REQUEST
from tests.servers import running_server

CALLS = 12


def _hammer(url: str, session_id: str, statuses: list[int]) -> None:
    # A new connection per call, so the calls spread over the workers.
    for _ in range(CALLS):
        with httpx.Client(base_url=url, timeout=60) as client:
            r = client.post(f"/api/networks/{session_id}/step", json={"steps": 7})
            statuses.append(r.status_code)


def test_two_workers_serve_concurrent_sessions_and_queue_one_sessions_calls(
    tmp_path: Path,
) -> None:
    env = {"BACKPROP_EXPLORER_DB": str(tmp_path / "sessions.sqlite3")}
    with running_server(tmp_path, env, workers=2) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            ids = [client.post("/api/networks", json=DEFAULT_REQUEST).json()["id"]
                   for _ in range(6)]  # fmt: skip
        statuses: list[int] = []
        # Three threads per session: same-session calls race across the two processes.
        threads = [
            threading.Thread(target=_hammer, args=(server.url, session_id, statuses))
            for session_id in ids
            for _ in range(3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        with httpx.Client(base_url=server.url, timeout=30) as client:
            steps = [client.get(f"/api/networks/{i}").json()["step"] for i in ids]
    assert statuses.count(200) == len(statuses) == 6 * 3 * CALLS, sorted(set(statuses))
    assert steps == [3 * CALLS * 7] * 6  # every call applied once: none lost, none doubled
