"""The README and docs/*.md: the quick start is the two commands, every relative link and
image points to a file that exists, the tour's images stay small, and the README's
Python example prints what the README says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
MAX_IMAGE_BYTES = 150_000


def section(text: str, title: str) -> str:
    """The text under ``## title``, up to the next ``## `` heading."""
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def relative_links(path: Path) -> list[str]:
    """Link and image targets outside code blocks that are neither URLs nor anchors."""
    prose = FENCE.sub("", path.read_text(encoding="utf-8"))
    targets = [m.group(1) for m in LINK.finditer(prose)]
    return [t for t in targets if not re.match(r"[a-z]+:|#", t)]


def test_the_readme_starts_with_the_quick_start_then_the_tour_then_python() -> None:
    text = README.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[:3] == ["Quick start", "Using the page", "Using it from Python"]
    assert text.index("![") < text.index("## Quick start"), "a screenshot comes first"


def test_the_quick_start_is_exactly_make_run_and_make_test() -> None:
    blocks = FENCE.findall(section(README.read_text(encoding="utf-8"), "Quick start"))
    assert len(blocks) == 1
    lines = blocks[0].splitlines()[1:-1]
    assert lines == ["make run", "make test"]


def test_the_readme_anchors_name_its_headings() -> None:
    text = README.read_text(encoding="utf-8")
    slugs = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-")
             for h in re.findall(r"^#+ (.+)$", text, re.M)}  # fmt: skip
    anchors = [t[1:] for t in LINK.findall(FENCE.sub("", text)) if t.startswith("#")]
    assert anchors and set(anchors) <= slugs


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.name)
def test_every_relative_link_and_image_exists(doc: Path) -> None:
    missing = [t for t in relative_links(doc) if not (doc.parent / t.split("#")[0]).exists()]
    assert missing == [], f"{doc.name} links to files that do not exist"


def test_the_tour_shows_each_part_in_a_small_image() -> None:
    tour = section(README.read_text(encoding="utf-8"), "Using the page")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", tour)
    for part in ("build", "backward", "step", "inspect", "check", "play", "share"):
        assert f"docs/images/{part}.png" in images
    for image in images:
        size = (ROOT / image).stat().st_size
        assert size < MAX_IMAGE_BYTES, f"{image} is {size} bytes"


def test_the_readme_python_example_prints_what_the_readme_shows() -> None:
    text = section(README.read_text(encoding="utf-8"), "Using it from Python")
    code = re.search(r"```python\n(.*?)```", text, re.S)
    shown = re.search(r"prints\n\n```text\n(.*?)```", text, re.S)
    assert code and shown
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), "README.md", "exec"), {"__name__": "readme_example"})
    assert out.getvalue() == shown.group(1)
