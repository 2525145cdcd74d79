"""Security: headers on every answer, no inline script, CORS only where configured, a
request size cap that chunked bodies cannot dodge, no evaluation of user text, and
session ids nobody can guess."""

from __future__ import annotations

import ast
import re
import secrets
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.sessions.stores.base import new_id
from app.settings import Limits, Settings
from tests.servers import ROOT, running_server

SMALL_BODY = 10_000
TRACE = {
    "network": {"layers": [1, 1], "activations": ["square"], "loss": "mse", "bias": False,
                "weights": [[[2.0]]]},
    "x": [[1.0]], "y": [[0.0]],
}  # fmt: skip


def _client(tmp_path: Path, cors_origins: tuple[str, ...] = ()) -> TestClient:
    limits = Limits(max_body_bytes=SMALL_BODY)
    settings = Settings(db_path=tmp_path / "db.sqlite3", limits=limits, cors_origins=cors_origins)
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path) as c:
        yield c


# --- headers -------------------------------------------------------------------------------


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def _check_headers(response: Any) -> None:
    csp = _directives(response.headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no hosts
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    for name, values in csp.items():
        assert "*" not in values and not any(v.startswith(("http:", "https:")) for v in values), (
            f"{name} allows another origin: {values}"
        )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path",
    ["/", "/docs", "/openapi.json", "/static/docs-init.js", "/static/js/main.js",
     "/api/health", "/api/catalog", "/api/networks/nope", "/no/such/page"],
)  # fmt: skip
def test_security_headers_on_every_answer(client: TestClient, path: str) -> None:
    _check_headers(client.get(path))


def test_security_headers_on_errors(client: TestClient) -> None:
    _check_headers(client.post("/api/trace", json={"network": {}}))  # 422
    _check_headers(client.post("/api/trace", content=b"x" * (SMALL_BODY + 1)))  # 413
    _check_headers(client.post("/api/trace", content=b"{not json"))  # 422


class _Scripts(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not values.get("src"):
                self.problems.append(f"<script> without src at line {self.getpos()[0]}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"inline handler {name}= on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name}= on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script body: {data.strip()[:60]!r}")


def _inline_script_problems(html: str) -> list[str]:
    parser = _Scripts()
    parser.feed(html)
    return parser.problems


@pytest.mark.parametrize("template", sorted((ROOT / "templates").glob("*.html")), ids=str)
def test_templates_have_no_inline_script(template: Path) -> None:
    assert _inline_script_problems(template.read_text()) == []


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_served_pages_have_no_inline_script(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert _inline_script_problems(response.text) == []


# --- CORS ----------------------------------------------------------------------------------


def test_no_cors_by_default(client: TestClient) -> None:
    origin = {"origin": "https://elsewhere.example"}
    response = client.get("/api/health", headers=origin)
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/api/networks",
        headers={**origin, "access-control-request-method": "POST",
                 "access-control-request-headers": "content-type"},
    )  # fmt: skip
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code >= 400


def test_cors_only_for_configured_origins(tmp_path: Path) -> None:
    allowed = "https://course.example"
    with _client(tmp_path, cors_origins=(allowed,)) as c:
        ok = c.get("/api/health", headers={"origin": allowed})
        assert ok.headers["access-control-allow-origin"] == allowed
        other = c.get("/api/health", headers={"origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = c.options(
            "/api/networks",
            headers={"origin": allowed, "access-control-request-method": "POST",
                     "access-control-request-headers": "content-type"},
        )  # fmt: skip
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == allowed


def test_cors_origins_from_the_environment() -> None:
    env = {"BACKPROP_EXPLORER_CORS_ORIGINS": " https://a.example, https://b.example ,"}
    assert Settings.from_env(env).cors_origins == ("https://a.example", "https://b.example")
    assert Settings.from_env({}).cors_origins == ()


# --- request size --------------------------------------------------------------------------


def _chunks(total: int, size: int = 1000) -> Iterator[bytes]:
    yield b'{"pad": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}'


def test_declared_body_over_the_limit_is_refused(client: TestClient) -> None:
    response = client.post("/api/trace", content=b" " * (SMALL_BODY + 1))
    assert response.status_code == 413
    assert response.json()["detail"] == f"request body is over the limit of {SMALL_BODY} bytes"


def test_chunked_body_over_the_limit_is_refused(client: TestClient) -> None:
    """No content-length: the body is counted as it arrives."""
    response = client.post(
        "/api/trace", content=_chunks(3 * SMALL_BODY), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert "over the limit" in response.json()["detail"]


def test_chunked_body_under_the_limit_is_read(client: TestClient) -> None:
    body = httpx.Request("POST", "/", json=TRACE).content
    response = client.post(
        "/api/trace", content=iter([body[:10], body[10:]]),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["loss"] == 8.0


def test_size_cap_on_a_real_server(tmp_path: Path) -> None:
    """Through uvicorn's HTTP parser too: declared and chunked (transfer-encoding) bodies."""
    env = {"BACKPROP_EXPLORER_DB": str(tmp_path / "db.sqlite3"),
           "BACKPROP_EXPLORER_MAX_BODY_BYTES": str(SMALL_BODY)}  # fmt: skip
    with running_server(tmp_path, env) as server, httpx.Client(base_url=server.url) as c:
        declared = c.post("/api/trace", content=b" " * (SMALL_BODY + 1))
        assert declared.status_code == 413
        chunked = c.post(
            "/api/trace", content=_chunks(5 * SMALL_BODY),
            headers={"content-type": "application/json"},
        )  # fmt: skip
        assert chunked.status_code == 413
        assert c.post("/api/trace", json=TRACE).status_code == 200


# --- no evaluation of user text ------------------------------------------------------------

FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "execfile", "input"}
FORBIDDEN_MODULES = {"pickle", "marshal", "shelve", "dill", "yaml", "subprocess", "ctypes"}


def _python_files() -> list[Path]:
    return sorted((ROOT / "app").rglob("*.py"))


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_server_code_never_evaluates_text(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            assert name not in FORBIDDEN_CALLS, f"{path}:{node.lineno} calls {name}()"
            if name in ("system", "popen"):
                raise AssertionError(f"{path}:{node.lineno} runs a shell command")
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            module = node.module if isinstance(node, ast.ImportFrom) else None
            for mod in [*names, module]:
                if mod:
                    assert mod.split(".")[0] not in FORBIDDEN_MODULES, (
                        f"{path}:{node.lineno} imports {mod}"
                    )


def test_user_text_is_data(client: TestClient) -> None:
    """Text fields are validated and stored as text: a name that looks like code stays one."""
    name = "__import__('os').system('true')"
    request: dict[str, Any] = {
        "network": {"layers": [1, 1], "activations": ["linear"], "loss": "mse"},
        "dataset": {"x": [[0.0], [1.0]], "y": [[0.0], [1.0]], "name": name},
    }
    created = client.post("/api/networks", json=request)
    assert created.status_code == 201, created.text
    assert created.json()["dataset"]["name"] == name
    activation = client.post("/api/networks", json={**request, "network": {
        **request["network"], "activations": ["lambda z: z"]}})  # fmt: skip
    assert activation.status_code == 422


# --- session ids ---------------------------------------------------------------------------

ID = re.compile(r"^[A-Za-z0-9_-]{22}$")  # 16 random bytes, URL-safe base64, no padding


def test_ids_are_128_random_bits() -> None:
    ids = [new_id() for _ in range(5000)]
    assert all(ID.match(i) for i in ids)
    assert len(set(ids)) == len(ids)
    # No shared prefix or counter: the first characters vary as much as the last.
    assert len({i[:2] for i in ids}) > 1000
    assert len({i[-3:-1] for i in ids}) > 1000


def test_no_id_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command line would take it for an option (``backprop-explorer export -5VK…``)."""
    draws = iter(["-5VK_65AndZO5e40kuxLOA", "-x", "A5VK_65AndZO5e40kuxLOA"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _: next(draws))
    assert new_id() == "A5VK_65AndZO5e40kuxLOA"


def test_created_ids_do_not_lead_to_others(client: TestClient) -> None:
    request = {
        "network": {"layers": [1, 1], "activations": ["linear"], "loss": "mse"},
        "dataset": {"x": [[0.0]], "y": [[0.0]]},
    }
    ids = [client.post("/api/networks", json=request).json()["id"] for _ in range(20)]
    assert all(ID.match(i) for i in ids)
    for session_id in ids:
        # Neighbours of a real id (one character changed) are not sessions.
        for neighbour in {session_id[:-1] + c for c in "AQgw"} - set(ids):
            assert client.get(f"/api/networks/{neighbour}").status_code == 404


def test_sessions_cannot_be_listed_by_default(client: TestClient) -> None:
    r = client.get("/api/networks")
    assert r.status_code == 403
    assert r.json()["detail"].startswith("ids:")
    assert "BACKPROP_EXPLORER_LIST_SESSIONS" in r.json()["detail"]


def test_a_caller_can_list_the_ids_it_holds(client: TestClient) -> None:
    body = {"network": {"layers": [2, 2, 1], "activations": ["tanh", "sigmoid"], "loss": "bce"}}
    mine = [client.post("/api/networks", json=body).json()["id"] for _ in range(2)]
    other = client.post("/api/networks", json=body).json()["id"]
    client.post(f"/api/networks/{mine[0]}/step", json={"steps": 1})  # now the most recent
    unknown = new_id()
    listed = client.get(f"/api/networks?ids={mine[1]},{unknown},{mine[0]}").json()["sessions"]
    assert [s["id"] for s in listed] == [mine[0], mine[1]]
    assert other not in {s["id"] for s in listed}


def test_listing_all_sessions_is_an_operator_choice() -> None:
    assert not Settings.from_env({}).list_sessions
    assert Settings.from_env({"BACKPROP_EXPLORER_LIST_SESSIONS": "1"}).list_sessions
