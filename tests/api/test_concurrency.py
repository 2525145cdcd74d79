"""Concurrent calls on one session are serialised: none is lost, none sees a stale copy."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from app.engine.recording import evaluation_interval
from app.sessions.retention import DENSE_SNAPSHOTS
from tests.api.conftest import preset_request

CLIENTS = 8


class InFlight:
    """ASGI wrapper that records how many requests were being handled at once, at most.

    It yields to the event loop as each request arrives, as a server does between reading
    requests, so every client's call is in flight before any is answered.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.now = 0
        self.most = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(0)
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


async def _step_concurrently(app: InFlight, session_id: str, calls: int, steps: int) -> list[int]:
    """CLIENTS clients, each with its own connection, each posting ``calls`` step calls."""

    async def one_client() -> list[int]:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
            codes = []
            for _ in range(calls):
                response = await client.post(
                    f"/api/networks/{session_id}/step", json={"steps": steps}
                )
                codes.append(response.status_code)
            return codes

    results = await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return [code for codes in results for code in codes]


# 25 calls of 1 step each: the case, run inline on the event loop. Calls of 21
# steps run in the thread pool with the session's lock held, so the others wait on it.
@pytest.mark.parametrize(("calls", "steps"), [(25, 1), (3, 21)], ids=["inline", "thread-pool"])
def test_eight_clients_stepping_one_session(
    app: FastAPI, client: TestClient, calls: int, steps: int
) -> None:
    request = preset_request("xor")
    session_id = client.post("/api/networks", json=request).json()["id"]
    control_id = client.post("/api/networks", json=request).json()["id"]
    tracked = InFlight(app)

    codes = asyncio.run(_step_concurrently(tracked, session_id, calls, steps))

    total = CLIENTS * calls * steps  # 200 in the inline case
    assert codes == [200] * CLIENTS * calls
    assert tracked.most == CLIENTS  # every client's call was in flight at once
    session: dict[str, Any] = client.get(f"/api/networks/{session_id}").json()
    assert session["step"] == total
    metrics = client.get(f"/api/networks/{session_id}/metrics").json()
    # the step-0 record, one per step of the run's start, then every E steps and each call's
    # last (app/engine/recording.py)
    d = session["dataset"]
    every = evaluation_interval(d["n_train"] + d["n_test"], session["training"]["batch_size"])
    later = {k for k in range(DENSE_SNAPSHOTS + 1, total + 1) if k % every == 0 or k % steps == 0}
    assert metrics["step"] == list(range(min(total, DENSE_SNAPSHOTS) + 1)) + sorted(later)
    # Serialised calls are the same run as one long call: the same minibatches, in order,
    # and the same records where both have one (the long call records fewer).
    control = client.post(f"/api/networks/{control_id}/step", json={"steps": total}).json()
    assert session["network"]["weights"] == control["network"]["weights"]
    assert session["network"]["biases"] == control["network"]["biases"]
    rows = client.get(f"/api/networks/{control_id}/metrics").json()
    assert set(rows["step"]) <= set(metrics["step"]) and rows["step"][-1] == total
    at = {k: i for i, k in enumerate(metrics["step"])}
    for key, column in rows.items():
        assert column == [metrics[key][at[k]] for k in rows["step"]], key
