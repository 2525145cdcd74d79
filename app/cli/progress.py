"""A one-line progress bar on stderr, redrawn in place."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total, self.width = total, width
        self.stream = stream or sys.stderr
        self._last = 0

    def show(self, done: int, note: str = "") -> None:
        filled = self.width * done // max(self.total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"[{bar}] {done}/{self.total} steps  {note}"
        self.stream.write("\r" + line.ljust(self._last))  # blank what a longer line left
        self._last = len(line)
        self.stream.flush()

    def end(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
