"""Fuzz the API against its own OpenAPI schema, in-process (ASGI): no 5xx, ever, and every
answer conforms to the schema the app publishes (status code, content type, body).

Each operation gets a handful of generated requests. Routes on a session get a fresh
session (built from a preset, in turn) so they reach the real work, not just the 404.
The limits are lowered so the generated requests that pass validation stay cheap.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app
from app.presets import PRESETS
from app.settings import Limits, Settings

FUZZ_LIMITS = Limits(
    max_layers=4, max_width=16, max_samples=500, max_batch=300, max_steps=20, max_grid=24,
    max_paths=5000, max_gradcheck_params=300, max_body_bytes=200_000, max_sessions=10**6,
)  # fmt: skip
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The presets that fit the lowered limits, in turn.
PRESET_REQUESTS = itertools.cycle(
    [
        p["request"]
        for p in PRESETS
        if len(p["request"]["network"]["layers"]) - 1 <= FUZZ_LIMITS.max_layers
        and max(p["request"]["network"]["layers"]) <= FUZZ_LIMITS.max_width
        and p["request"]["dataset"].get("n_samples", 0) <= FUZZ_LIMITS.max_samples
    ]
)


_tmp = tempfile.TemporaryDirectory(prefix="fuzz-")
app = create_app(Settings(db_path=Path(_tmp.name) / "db.sqlite3", limits=FUZZ_LIMITS))
# In CI: the fuzzing phase's random valid and invalid requests, a fixed seed, ~20 s. The
# coverage phase (every boundary of every field: ~2000 requests) and many more examples
# run with FUZZ_DEEP=1 (a few minutes), worth doing after changing the API.
DEEP = os.environ.get("FUZZ_DEEP") == "1"
MAX_EXAMPLES = 300 if DEEP else 20
CONFIG = schemathesis.Config.from_dict(
    {"seed": 20251128, "phases": {"coverage": {"enabled": DEEP}}}
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    if app.state.store is not None:  # open unless a lifespan shutdown closed it
        app.state.store.close()
    _tmp.cleanup()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    if case.path_parameters and "session_id" in case.path_parameters:
        create = case.operation.schema["/api/networks"]["POST"]
        created = create.Case(body=next(PRESET_REQUESTS), media_type="application/json").call()
        assert created.status_code == 201, created.text
        case.path_parameters["session_id"] = created.json()["id"]
    case.call_and_validate(checks=CHECKS)
