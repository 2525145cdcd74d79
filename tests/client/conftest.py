"""One Client per test, in this process or against a live uvicorn: the same tests run on both."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.client import Client
from app.main import create_app
from app.presets import PRESETS
from app.settings import Settings
from tests.servers import Server, running_server

PRESET = {p["id"]: p["request"] for p in PRESETS}


def preset(preset_id: str) -> dict[str, Any]:
    return copy.deepcopy(PRESET[preset_id])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("live")
    with running_server(tmp, {"BACKPROP_EXPLORER_DB": str(tmp / "db.sqlite3")}) as server:
        yield server


@pytest.fixture(params=["in_process", "server"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Client]:
    if request.param == "in_process":
        c = Client.in_process(create_app(Settings(db_path=tmp_path / "db.sqlite3")))
    else:
        c = Client(request.getfixturevalue("live").url)
    with c:
        yield c
