"""``Idempotency-Key`` for step calls: a retry with the same key gets the first answer and is
not applied again.

The answers are kept in the session store (``Store.keep_answer``), so a retry that reaches
another worker or host finds them too: the last few per session, for ``ANSWER_SECONDS``.
A retry is looked up under the session's lock, which every process shares, so a retry that
arrives while the first call still runs waits for it and then gets its answer.
"""

from __future__ import annotations

from app.engine.errors import SpecError

MAX_KEY_LENGTH = 200


def checked_key(key: str | None) -> str | None:
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise SpecError("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters")
    return key
