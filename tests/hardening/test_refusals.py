"""A refused call changes nothing, reads show committed state, and integers are integers
(issue 14: findings 3, 4, 7 and 12)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.deps import editing
from app.main import create_app
from app.presets import DEFAULT_REQUEST
from app.sessions.stores import base
from app.sessions.stores.sqlite import SqliteStore
from app.settings import Settings
from tests.servers import run_async

Json = dict[str, Any]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db_path=tmp_path / "db.sqlite3"))) as c:
        yield c


def _custom(x: list[list[float]]) -> Json:
    return {
        "network": {"layers": [2, 3, 1], "activations": ["tanh", "sigmoid"], "loss": "bce"},
        "dataset": {"x": x, "y": [[float(i % 2)] for i in range(len(x))]},
    }


def _session(client: TestClient, request: Json | None = None) -> Json:
    r = client.post("/api/networks", json=request or DEFAULT_REQUEST)
    assert r.status_code == 201, r.text
    return r.json()


def _count(tmp_path: Path) -> int:
    store = SqliteStore(tmp_path / "db.sqlite3", 10, 10, 1e9)
    try:
        return store.count()
    finally:
        store.close()


# --- 3: a refused call changes nothing --------------------------------------------------


def test_points_far_apart_are_refused_and_not_stored(client: TestClient) -> None:
    s = _session(client, _custom([[0.0, 0.0], [1.0, 1.0]]))
    first = client.post(f"/api/networks/{s['id']}/points", json={"x": [1e308, 0.0], "y": [1.0]})
    assert first.status_code == 200, first.text
    second = client.post(f"/api/networks/{s['id']}/points", json={"x": [-1e308, 0.0], "y": [0.0]})
    assert second.status_code == 422
    assert second.json()["errors"][0]["loc"] == ["x"]
    after = client.get(f"/api/networks/{s['id']}")
    assert after.status_code == 200
    assert after.json()["dataset"]["n_train"] == 3  # the refused point is not there
    assert client.get(f"/api/networks/{s['id']}/boundary").status_code == 200


def test_a_refused_create_stores_nothing(client: TestClient, tmp_path: Path) -> None:
    r = client.post("/api/networks", json=_custom([[1e308, 0.0], [-1e308, 0.0]]))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"][0] == "dataset"
    assert _count(tmp_path) == 0


def test_non_finite_features_are_refused(client: TestClient) -> None:
    request = _custom([[1e200, 0.0], [0.0, 1.0]])
    request["network"] = {**request["network"], "layers": [3, 3, 1],
                          "features": ["x1", "x2", "x1_sq"]}  # fmt: skip
    r = client.post("/api/networks", json=request)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["dataset", "x"]


# --- 4: reads show the committed state; 12: a deleted session says so -------------------


def test_editing_changes_a_copy_until_saved(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(db_path=tmp_path / "db.sqlite3")))
    with client:
        sid = _session(client)["id"]
    store = SqliteStore(tmp_path / "db.sqlite3", 10, 10, 1e9)

    async def scenario() -> None:
        committed = store.get(sid)
        weights = committed.network.params.copy()
        async with editing(store, sid) as s:
            s.step += 5
            s.network.params += 1.0
            seen = store.get(sid)  # what a GET would show meanwhile
            assert seen.step == 0
            assert (seen.network.params == weights).all()
            store.save(s)
        assert store.get(sid).step == 5
        assert (store.get(sid).network.params == weights + 1.0).all()

    try:
        run_async(scenario)
    finally:
        store.close()


def test_a_call_whose_session_was_deleted_says_deleted(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(db_path=tmp_path / "db.sqlite3")))
    with client:
        sid = _session(client)["id"]
    store = SqliteStore(tmp_path / "db.sqlite3", 10, 10, 1e9)

    async def scenario() -> None:
        async with editing(store, sid) as s:
            store.delete(sid)  # another call deletes it while this one computes
            s.step += 1
            with pytest.raises(base.Deleted, match="deleted while this call ran"):
                store.save(s)

    try:
        run_async(scenario)
    finally:
        store.close()


def test_deleted_answers_410(client: TestClient) -> None:
    from app.api.errors import deleted

    response = run_async(lambda: deleted(None, base.Deleted("abc")))  # type: ignore[arg-type]
    assert response.status_code == 410
    assert client.app.exception_handlers[base.Deleted] is deleted  # type: ignore[attr-defined]


# --- 12: strict integers ----------------------------------------------------------------


@pytest.mark.parametrize("steps", [True, "1", 1.0, "true"])
def test_steps_must_be_an_integer(client: TestClient, steps: Any) -> None:
    s = _session(client)
    r = client.post(f"/api/networks/{s['id']}/step", json={"steps": steps})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["steps"]
    assert client.get(f"/api/networks/{s['id']}").json()["step"] == 0


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("parameter", {"layer": True, "row": 0, "value": 1.0}, ["layer"]),
        ("paths", {"layer": 1, "row": "0", "column": 0}, ["row"]),
        ("forward", {"indices": [True]}, ["indices", 0]),
    ],
)
def test_other_integers_are_strict(
    client: TestClient, path: str, body: Json, loc: list[Any]
) -> None:
    s = _session(client)
    method = client.patch if path == "parameter" else client.post
    r = method(f"/api/networks/{s['id']}/{path}", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == loc


def test_create_integers_are_strict(client: TestClient) -> None:
    request = copy.deepcopy(DEFAULT_REQUEST)
    request["training"]["batch_size"] = "10"
    r = client.post("/api/networks", json=request)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["training", "batch_size"]


# --- 7: crafted imports ------------------------------------------------------------------


def _adam_export(client: TestClient) -> Json:
    request = copy.deepcopy(DEFAULT_REQUEST)
    request["training"] = {**request["training"], "optimizer": "adam", "learning_rate": 0.01}
    sid = _session(client, request)["id"]
    assert client.post(f"/api/networks/{sid}/step", json={"steps": 3}).status_code == 200
    export: Json = client.get(f"/api/networks/{sid}/export").json()
    return export


def _craft(export: Json, where: str, value: Any) -> Json:
    crafted = copy.deepcopy(export)
    *path, last = where.split(".")
    node = crafted
    for key in path:
        node = node[key]
    node[last] = value
    return crafted


@pytest.mark.parametrize(
    ("where", "value", "loc"),
    [
        ("state.optimizer_state.t", [], "state.optimizer_state.t"),
        ("state.optimizer_state.t", [-1e308], "state.optimizer_state.t"),
        ("state.optimizer_state.t", [-1], "state.optimizer_state.t"),
        ("state.optimizer_state.t", [2.5], "state.optimizer_state.t"),
        ("state.optimizer_state.t", [4], "state.optimizer_state.t"),
        ("state.optimizer_state.velocity", [0.0], "state.optimizer_state.velocity"),
        ("history.metrics.step", [0, 1, 2, 7], "history.metrics.step[3]"),
        ("history.metrics.step", [0, 2, 1, 3], "history.metrics.step[2]"),
        ("history.metrics.grad_norms", [[1.0] * 5000] * 4, "history.metrics.grad_norms[0]"),
    ],
)
def test_crafted_imports_are_refused_naming_the_field(
    client: TestClient, where: str, value: Any, loc: str
) -> None:
    export = _adam_export(client)
    assert _session(client, export)["step"] == 3  # the export itself imports back
    r = client.post("/api/networks", json=_craft(export, where, value))
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(loc + ":"), r.json()["detail"]


def test_a_snapshot_past_the_step_is_refused(client: TestClient) -> None:
    export = _adam_export(client)
    export["history"]["snapshots"][-1]["step"] = 10**15
    r = client.post("/api/networks", json=export)
    assert r.status_code == 422
    assert r.json()["detail"].startswith("history.snapshots[")


def test_adam_state_without_v_is_refused(client: TestClient) -> None:
    export = _adam_export(client)
    del export["state"]["optimizer_state"]["v"]
    r = client.post("/api/networks", json=export)
    assert r.status_code == 422
    assert r.json()["detail"].startswith("state.optimizer_state:")


def test_the_largest_step_stays_exportable(client: TestClient) -> None:
    export = _adam_export(client)
    export["state"]["step"] = 2**53 - 2
    export["history"] = None
    sid = _session(client, export)["id"]
    assert client.post(f"/api/networks/{sid}/step", json={"steps": 1}).json()["step"] == 2**53 - 1
    r = client.post(f"/api/networks/{sid}/step", json={"steps": 1})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["steps"]
    again = client.get(f"/api/networks/{sid}/export")
    assert again.status_code == 200
    assert _session(client, again.json())["step"] == 2**53 - 1


# --- 10: hypothesis looks for a 500 or a stored refusal ------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

WIDE_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), WIDE_FLOATS,
                    st.text(max_size=5))  # fmt: skip


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points=st.lists(st.tuples(WIDE_FLOATS, WIDE_FLOATS), min_size=1, max_size=3),
       steps=SCALARS)  # fmt: skip
def test_no_input_reaches_a_500_or_leaves_an_unloadable_session(
    tmp_path_factory: pytest.TempPathFactory, points: list[tuple[float, float]], steps: Any
) -> None:
    db = tmp_path_factory.mktemp("fuzz") / "db.sqlite3"
    with TestClient(create_app(Settings(db_path=db))) as client:
        sid = _session(client, _custom([[0.0, 0.0], [1.0, 1.0]]))["id"]
        for x in points:
            r = client.post(f"/api/networks/{sid}/points", json={"x": list(x), "y": [1.0]})
            assert r.status_code in (200, 422), r.text
        r = client.post(f"/api/networks/{sid}/step", json={"steps": steps})
        assert r.status_code in (200, 422), r.text
        assert client.get(f"/api/networks/{sid}").status_code == 200
        assert client.get(f"/api/networks/{sid}/boundary").status_code == 200
        assert client.get(f"/api/networks/{sid}/export").status_code == 200
