"""The client stands apart: it imports nothing of the server, and the server nothing of it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.servers import ROOT

APP = ROOT / "app"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_client_imports_only_itself_from_app() -> None:
    for path in (APP / "client").glob("*.py"):
        ours = {n for n in _imports(path) if n == "app" or n.startswith("app.")}
        assert all(n.startswith("app.client") for n in ours), (path.name, ours)


def test_the_server_never_imports_the_client_or_the_command_line() -> None:
    for layer in ("api", "sessions", "engine"):
        for path in (APP / layer).rglob("*.py"):
            bad = {n for n in _imports(path) if n.startswith(("app.client", "app.cli"))}
            assert not bad, (path, bad)
    assert not {n for n in _imports(APP / "main.py") if n.startswith(("app.client", "app.cli"))}
