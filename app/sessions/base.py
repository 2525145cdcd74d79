"""What every session store offers, and the one chosen by the settings.

``SqliteStore`` (the default, one file) and ``RedisStore`` (several workers or hosts
sharing sessions) both satisfy ``Store``; the routers see only this interface.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from app.engine.activations import Array
from app.engine.training import Metrics
from app.sessions.session import Session
from app.settings import Settings


class Store(Protocol):
    name: str
    max_sessions: int
    max_snapshots: int
    idle_seconds: float
    # What the store raises when its server cannot be reached: the API answers 503, try again.
    unavailable: tuple[type[Exception], ...]

    def close(self) -> None: ...

    def lock(self, session_id: str) -> AbstractAsyncContextManager[Any]:
        """Held around every call that reads a session and may save it (``async with``)."""
        ...

    def get(self, session_id: str) -> Session: ...

    def recent(self, limit: int) -> list[dict[str, Any]]: ...

    def metrics(self, session_id: str, since: int = 0) -> list[dict[str, Any]]: ...

    def snapshots(self, session_id: str) -> list[tuple[int, Array]]: ...

    def count(self) -> int: ...

    def make_room(self) -> None: ...

    def create(
        self,
        session: Session,
        metrics: list[Metrics] | None = None,
        snapshots: list[tuple[int, Array]] | None = None,
    ) -> None: ...

    def save(
        self,
        session: Session,
        metrics: list[Metrics] | None = None,
        snapshots: list[tuple[int, Array]] | None = None,
        data_changed: bool = False,
        reset_history: bool = False,
    ) -> None: ...

    def forget(self, session_id: str) -> None: ...

    def delete(self, session_id: str) -> None: ...

    def remove_idle(self) -> int: ...


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def open_store(settings: Settings) -> Store:
    """SQLite at ``settings.db_path`` unless ``BACKPROP_EXPLORER_STORE`` names a Redis URL."""
    lim = settings.limits
    url = settings.store_url
    if url.startswith(REDIS_SCHEMES):
        try:  # redis is imported only when used: it is an optional dependency
            from app.sessions.redis_store import RedisStore
        except ModuleNotFoundError as err:
            raise RuntimeError(
                f"BACKPROP_EXPLORER_STORE is a Redis URL but {err.name!r} is not installed: "
                "pip install -e '.[redis]'"
            ) from err
        return RedisStore.from_url(url, lim.max_sessions, lim.max_snapshots, settings.idle_seconds)
    if url and url not in ("sqlite", "sqlite:"):
        raise ValueError(
            f"BACKPROP_EXPLORER_STORE={url!r}: expected empty (SQLite at BACKPROP_EXPLORER_DB) "
            "or a redis://host:port/db URL"
        )
    from app.sessions.store import SqliteStore

    return SqliteStore(settings.db_path, lim.max_sessions, lim.max_snapshots, settings.idle_seconds)
