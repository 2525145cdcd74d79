"""Where the page's files are: ``static/`` and ``templates/``.

A wheel carries copies of them inside the package, in ``app/web/`` (setup.py puts them
there at build time); an editable install or a checkout uses the source tree's own.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
INSTALLED = PACKAGE / "web"  # only in a built wheel: the source tree has no app/web/
SOURCE = PACKAGE.parent  # the checkout's root, beside app/


def web_root() -> Path:
    """The directory holding ``static/`` and ``templates/``."""
    for root in (INSTALLED, SOURCE):
        if (root / "templates" / "index.html").is_file() and (root / "static").is_dir():
            return root
    raise FileNotFoundError(
        f"the page's files are missing: neither {INSTALLED} nor {SOURCE} holds static/ and "
        "templates/. Reinstall the package (pip install .) or run from a checkout."
    )


def static_dir() -> Path:
    return web_root() / "static"


def templates_dir() -> Path:
    return web_root() / "templates"
