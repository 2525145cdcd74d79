"""``pip install`` of the built distribution serves the page from the installed package.

The sdist is built from this tree, the wheel from the sdist (as ``python -m build`` does),
and the wheel installed into a fresh venv. The venv reuses this environment's third-party
packages through a .pth line, so nothing is downloaded: ``app`` itself comes only from the
wheel, and the server runs from a directory outside the source tree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app import paths
from app.presets import PRESETS
from tests.servers import ROOT, Server, free_port

WEB_DIRS = ("static", "templates")
WORKED = next(p["request"] for p in PRESETS if p["id"] == "worked-example")


def source_files() -> set[str]:
    """Every file the page may load, as ``static/…`` and ``templates/…``."""
    return {
        path.relative_to(ROOT).as_posix()
        for top in WEB_DIRS
        for path in (ROOT / top).rglob("*")
        if path.is_file()
    }


def call(*cmd: str | Path, cwd: Path, timeout: float = 180) -> str:
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, env=clean_env())  # fmt: skip
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def clean_env() -> dict[str, str]:
    """No PYTHONPATH that could put the source tree back on the path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


@dataclass(frozen=True)
class Built:
    sdist: Path
    wheel: Path


@dataclass(frozen=True)
class Venv:
    root: Path
    python: Path
    site: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    dist = tmp_path_factory.mktemp("dist")
    # The PEP 517 hooks with this venv's setuptools: no isolated build env, no download.
    name = call(sys.executable, "-c",
                f"from setuptools import build_meta; print(build_meta.build_sdist({str(dist)!r}))",
                cwd=ROOT).strip().splitlines()[-1]  # fmt: skip
    sdist = dist / name
    call(sys.executable, "-m", "pip", "wheel", sdist, "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", dist, cwd=dist)  # fmt: skip
    (wheel,) = dist.glob("backprop_explorer-*.whl")
    return Built(sdist, wheel)


@pytest.fixture(scope="module")
def venv(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    root = tmp_path_factory.mktemp("venv")
    call(sys.executable, "-m", "venv", "--without-pip", root, cwd=root)
    python = root / "bin" / "python"
    call(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "-q", built.wheel, cwd=root)  # fmt: skip
    site = Path(call(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                     cwd=root).strip())  # fmt: skip
    # The dependencies from this environment, after the venv's own site-packages (where
    # app/ is): a plain path line, so this environment's editable-install hook never runs.
    (site / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return Venv(root, python, site)


def test_the_wheel_holds_the_app_and_the_page_and_nothing_else(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as whl:
        names = set(whl.namelist())
    tops = {name.split("/")[0] for name in names}
    assert tops == {"app", "backprop_explorer-0.1.0.dist-info"}  # no bench/, tests/, scripts/
    web = {n.removeprefix("app/web/") for n in names if n.startswith("app/web/")}
    assert web == source_files()  # all of it: vendored libraries, fonts and licences too
    assert "app/web/static/vendor/katex-0.19.1/LICENSE" in names
    assert "app/paths.py" in names and "app/cli/main.py" in names


def test_the_sdist_carries_the_page_for_the_wheel(built: Built) -> None:
    with tarfile.open(built.sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert source_files() <= names
    assert {"setup.py", "MANIFEST.in", "pyproject.toml", "LICENSE"} <= names
    assert not {n for n in names if n.split("/")[0] in ("bench", "tests", "scripts")}


def test_the_installed_app_is_the_wheels_and_finds_its_page_inside_itself(venv: Venv) -> None:
    out = call(venv.python, "-c", "import app, app.paths; print(app.__file__); "
               "print(app.paths.web_root())", cwd=venv.root).splitlines()  # fmt: skip
    assert Path(out[0]) == venv.site / "app" / "__init__.py"
    assert Path(out[1]) == venv.site / "app" / "web"


# Run in the venv: the distributions that serving imports, and those a plain `pip install .`
# brings (backprop-explorer's requirements without extras, with theirs, transitively).
SERVING_IMPORTS = """
import json, sys, tempfile
from importlib import metadata
from pathlib import Path
import app.cli.main, app.cli.serve
from app.main import create_app
from app.settings import Settings
create_app(Settings(db_path=Path(tempfile.mkdtemp()) / "s.sqlite3"))
top = {name.split(".")[0] for name in sys.modules} - set(sys.stdlib_module_names) - {"app"}
# Only now what this check itself uses.
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
owners = metadata.packages_distributions()
print(json.dumps(sorted({canonicalize_name(d) for name in top for d in owners.get(name, [])})))
brought, todo = set(), [("backprop-explorer", "")]
while todo:
    name, extra = todo.pop()
    if (canonicalize_name(name), extra) in brought:
        continue
    brought.add((canonicalize_name(name), extra))
    for req in map(Requirement, metadata.requires(name) or []):
        if req.marker is None or req.marker.evaluate({"extra": extra}):
            todo += [(req.name, e) for e in ("", *req.extras)]
print(json.dumps(sorted({name for name, _ in brought})))
"""


def test_serving_imports_only_what_a_plain_install_brings(venv: Venv) -> None:
    out = call(venv.python, "-c", SERVING_IMPORTS, cwd=venv.root).splitlines()
    imported, brought = (set(json.loads(line)) for line in out[-2:])
    assert {"fastapi", "uvicorn", "numpy", "numba", "jinja2", "orjson"} <= imported
    assert imported <= brought, imported - brought
    assert not {"httpx", "httpx2", "pytest", "setuptools", "redis"} & brought  # extras stay extras


def _static_refs(html: str) -> set[str]:
    return {m.split("?")[0] for m in re.findall(r'(?:src|href)="(/static/[^"]+)"', html)}


_IMPORT = re.compile(r'(?:\bfrom\s+|^\s*import\s+|\bimport\(\s*)"(\.{1,2}/[^"]+)"', re.MULTILINE)


def _module_graph(client: httpx.Client, entry: str) -> set[str]:
    """Every ES module the page loads from ``entry``, each fetched from the server."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        answer = client.get(url)
        assert answer.status_code == 200, url
        base = url.rsplit("/", 1)[0]
        for spec in _IMPORT.findall(answer.text):
            todo.append(os.path.normpath(f"{base}/{spec}"))
    return seen


@pytest.fixture(scope="module")
def served(venv: Venv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    cwd = tmp_path_factory.mktemp("elsewhere")  # not the source tree: nothing found by cwd
    port = free_port()
    env = {**clean_env(), "BACKPROP_EXPLORER_DB": str(cwd / "sessions.sqlite3")}
    log = cwd / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([venv.root / "bin" / "backprop-explorer", "serve", "--port",
                                 str(port)], cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip
    server = Server(proc, port, log)
    try:
        deadline = time.monotonic() + 60
        # The command prints where to point the browser once its socket listens.
        while "Backprop Explorer is running" not in server.output():
            assert proc.poll() is None and time.monotonic() < deadline, server.output()
            time.sleep(0.05)
        assert f"open {server.url}" in server.output()
        # Generous: while numba compiles the kernel for this fresh copy (no cache holds it
        # yet), a call may wait for it.
        with httpx.Client(base_url=server.url, timeout=180) as client:
            yield client
    finally:
        server.stop()


def test_serve_from_the_wheel_answers_the_page_with_all_it_loads(served: httpx.Client) -> None:
    page = served.get("/")
    assert page.status_code == 200 and 'data-action="backward"' in page.text
    refs = _static_refs(page.text)
    assert {"/static/js/main.js", "/static/vendor/katex-0.19.1/katex.min.css"} <= refs
    for ref in refs:
        assert served.get(ref).status_code == 200, ref
    main = served.get("/static/js/main.js")
    assert main.status_code == 200 and "createStore" in main.text
    assert main.text == (ROOT / "static/js/main.js").read_text()
    modules = _module_graph(served, "/static/js/main.js")
    assert "/static/js/store.js" in modules and len(modules) > 20


def test_serve_from_the_wheel_answers_the_api_docs_and_the_api(served: httpx.Client) -> None:
    docs = served.get("/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    for ref in _static_refs(docs.text):
        assert served.get(ref).status_code == 200, ref
    assert served.get("/api/health").json()["status"] == "ok"
    created = served.post("/api/networks", json=WORKED)
    assert created.status_code == 201, created.text
    # One SGD step by the installed package's training kernel: w = 2 − 0.02 · 2w³ = 1.68.
    step = served.post(f"/api/networks/{created.json()['id']}/step", json={"steps": 1})
    assert step.status_code == 200, step.text
    assert step.json()["network"]["weights"] == [[[pytest.approx(1.68)]]]


def test_a_checkout_serves_the_source_trees_own_page() -> None:
    """``make run`` (an editable install) serves the files being edited, not copies."""
    assert paths.web_root() == ROOT
    assert not paths.INSTALLED.exists()
