"""Imports point one way: api → sessions → engine.

Every module under app/ is parsed (ast, so imports inside functions count too) and each
import checked against its layer's rules: the engine is pure numeric code (no web, no
storage, no validation library, nothing else of the app), and sessions never reach up
into the HTTP layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"

# Layer (a module-name prefix) → module-name prefixes it must not import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "app.engine": (
        "app.sessions", "app.api", "app.main", "app.presets", "app.settings",
        "fastapi", "starlette", "pydantic", "uvicorn", "redis", "sqlite3", "orjson",
    ),
    "app.sessions": ("app.api", "app.main", "fastapi", "starlette", "uvicorn"),
}  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module name ``source`` imports (``from a import b`` gives a and a.b)."""
    names: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def violations(module: str, names: set[str]) -> list[str]:
    out = []
    for layer, banned in FORBIDDEN.items():
        if module == layer or module.startswith(layer + "."):
            out += sorted(
                f"{module} imports {name}"
                for name in names
                if any(name == b or name.startswith(b + ".") for b in banned)
            )
    return out


MODULES = sorted(APP.rglob("*.py"))


def test_every_layer_is_checked() -> None:
    names = {module_name(p) for p in MODULES}
    for layer in FORBIDDEN:
        assert any(n.startswith(layer + ".") for n in names), f"no modules in {layer}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_point_down(path: Path) -> None:
    module = module_name(path)
    found = imported(path.read_text(), module, path.name == "__init__.py")
    assert violations(module, found) == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("app.engine.network", "from app.sessions.session import Session",
         ["app.sessions.session", "app.sessions.session.Session"]),
        ("app.engine.training", "def f():\n    import pydantic\n", ["pydantic"]),
        ("app.sessions.compute", "from app.api import views", ["app.api", "app.api.views"]),
        ("app.sessions.stores.sqlite", "from ...api.schemas import X",
         ["app.api.schemas", "app.api.schemas.X"]),
        ("app.sessions.compute", "from app.engine.network import Network\nimport pydantic", []),
        ("app.api.views", "from app.sessions.compute import Steps", []),
    ],
)  # fmt: skip
def test_an_upward_import_is_found(module: str, source: str, expected: list[str]) -> None:
    found = violations(module, imported(source, module))
    assert found == [f"{module} imports {name}" for name in expected]
