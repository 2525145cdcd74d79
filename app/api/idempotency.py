"""``Idempotency-Key`` for step calls: a retry with the same key gets the first answer and is
not applied again.

The answers are kept per process, in memory, for the most recent ``ENTRIES`` keys (and at
most ``MAX_BYTES`` of answers); a retry is looked up under the session's lock, so a retry
that arrives while the first call still runs waits for it and then gets its answer.
"""

from __future__ import annotations

from collections import OrderedDict

from app.engine.errors import SpecError

ENTRIES = 2000
MAX_BYTES = 64_000_000
MAX_KEY_LENGTH = 200


class Answers:
    """Answers of recent step calls by (session id, key), least recently used dropped."""

    def __init__(self, entries: int = ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self._answers: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._bytes = 0
        self.entries, self.max_bytes = entries, max_bytes

    def get(self, session_id: str, key: str) -> bytes | None:
        body = self._answers.get((session_id, key))
        if body is not None:
            self._answers.move_to_end((session_id, key))
        return body

    def put(self, session_id: str, key: str, body: bytes) -> None:
        old = self._answers.pop((session_id, key), None)
        self._bytes -= len(old) if old is not None else 0
        self._answers[(session_id, key)] = body
        self._bytes += len(body)
        while len(self._answers) > self.entries or self._bytes > self.max_bytes:
            _, dropped = self._answers.popitem(last=False)
            self._bytes -= len(dropped)


def checked_key(key: str | None) -> str | None:
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise SpecError("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters")
    return key
