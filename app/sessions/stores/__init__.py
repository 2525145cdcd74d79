"""Where sessions are kept: the store interface and what every store shares (``base``),
SQLite in one file (``sqlite``, the default) and Redis for several workers or hosts
(``redis``); ``open_store`` picks one from the settings.
"""

from __future__ import annotations

from app.sessions.stores.base import Store
from app.settings import Settings

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def open_store(settings: Settings) -> Store:
    """SQLite at ``settings.db_path`` unless ``BACKPROP_EXPLORER_STORE`` names a Redis URL."""
    lim = settings.limits
    url = settings.store_url
    if url.startswith(REDIS_SCHEMES):
        try:  # redis is imported only when used: it is an optional dependency
            from app.sessions.stores.redis import RedisStore
        except ModuleNotFoundError as err:
            raise RuntimeError(
                f"BACKPROP_EXPLORER_STORE is a Redis URL but {err.name!r} is not installed: "
                "pip install -e '.[redis]'"
            ) from err
        store: Store = RedisStore.from_url(
            url, lim.max_sessions, lim.max_snapshots, settings.idle_seconds, lim.max_history
        )
        store.client_sessions = lim.client_sessions
        return store
    if url and url not in ("sqlite", "sqlite:"):
        raise ValueError(
            f"BACKPROP_EXPLORER_STORE={url!r}: expected empty (SQLite at BACKPROP_EXPLORER_DB) "
            "or a redis://host:port/db URL"
        )
    from app.sessions.stores.sqlite import SqliteStore

    store = SqliteStore(
        settings.db_path, lim.max_sessions, lim.max_snapshots, settings.idle_seconds,
        lim.max_history,
    )  # fmt: skip
    store.client_sessions = lim.client_sessions
    return store
