"""A one-line progress bar on stderr, redrawn in place."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO


class Progress:
    """Use as ``with Progress(n) as bar:``: however the block ends (done, an error, Ctrl-C),
    the bar's line is ended, so what is printed next, and the shell's prompt, start on a
    line of their own."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total, self.width = total, width
        self.stream = stream or sys.stderr
        self._last = 0
        self._open = False  # a bar is drawn and its line not ended yet

    def show(self, done: int, note: str = "") -> None:
        filled = self.width * done // max(self.total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"[{bar}] {done}/{self.total} steps  {note}".rstrip()
        self.stream.write("\r" + line.ljust(self._last))  # blank what a longer line left
        self._last = len(line)
        self._open = True
        self.stream.flush()

    def end(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
        self._open = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.end()
