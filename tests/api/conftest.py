"""API fixtures: a fresh app and database per test, a client, and session factories.

Every response the client receives is checked for two things no endpoint may
ever do: answer 5xx, or put NaN/Infinity in a JSON body.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.presets import DEFAULT_REQUEST, PRESETS
from app.settings import Settings

Json = dict[str, Any]

PRESET_REQUESTS: dict[str, Json] = {p["id"]: p["request"] for p in PRESETS}

# The contract's worked example: C = ½w⁴, ∂C/∂w = 2w³, w = 2, η = 0.02.
WORKED_EXAMPLE: Json = PRESET_REQUESTS["worked-example"]


def _no_constant(name: str) -> Any:
    raise AssertionError(f"the response contains the non-JSON constant {name}")


def strict_json(response: httpx2.Response) -> Any:
    """The body parsed as strict JSON: NaN, Infinity and -Infinity are errors."""
    return json.loads(response.text, parse_constant=_no_constant)


def _check_response(response: httpx2.Response) -> None:
    response.read()
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
    if response.headers.get("content-type", "").startswith("application/json"):
        strict_json(response)


def preset_request(preset_id: str, **changes: Json) -> Json:
    """A deep copy of a preset's create request, with top-level parts updated."""
    request = copy.deepcopy(PRESET_REQUESTS[preset_id])
    for key, value in changes.items():
        request[key] = {**request.get(key, {}), **value}
    return request


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # These tests read the full session list; servers keep it off by default (ids are links).
    return Settings(db_path=tmp_path / "db.sqlite3", list_sessions=True)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        c.event_hooks["response"] = [_check_response]
        yield c


@pytest.fixture
def create(client: TestClient) -> Callable[[Json], Json]:
    """Create a session from a request body; returns the session (asserting 201)."""

    def create(request: Json) -> Json:
        response = client.post("/api/networks", json=request)
        assert response.status_code == 201, response.text
        session: Json = response.json()
        return session

    return create


@pytest.fixture
def create_preset(create: Callable[[Json], Json]) -> Callable[..., Json]:
    """Create a session from a preset id (or ``"default"``), optionally changed."""

    def create_preset(preset_id: str = "default", **changes: Json) -> Json:
        if preset_id == "default":
            request = copy.deepcopy(DEFAULT_REQUEST)
            for key, value in changes.items():
                request[key] = {**request.get(key, {}), **value}
        else:
            request = preset_request(preset_id, **changes)
        return create(request)

    return create_preset
