"""Settings from environment variables, read once when the app is created."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PREFIX = "BACKPROP_EXPLORER_"


@dataclass(frozen=True)
class Limits:
    """Sizes the server accepts; each is ``BACKPROP_EXPLORER_<NAME>`` in the environment."""

    max_layers: int = 10  # non-input layers L
    max_width: int = 64  # neurons in any layer
    max_samples: int = 2000  # points in a dataset (train + test)
    max_batch: int = 2000  # samples in one trace or minibatch
    max_steps: int = 10000  # updates in one step call
    max_grid: int = 128  # decision-boundary resolution per axis
    max_grid_values: int = 2_000_000  # numbers in one boundary answer (cells × grids)
    max_body_bytes: int = 8_000_000  # the largest session's export must import back
    max_sessions: int = 5000
    # When the server is full, a client address holding more than this many sessions loses
    # its newest ones to others' creates, and its own creates get 429 (docs/limits.md).
    client_sessions: int = 500
    max_paths: int = 200_000  # chain-rule paths summed by /paths
    max_gradcheck_params: int = 4000  # parameters numerically differentiated per call
    max_snapshots: int = 200  # stored weight snapshots per session
    create_rate: int = 1200  # session creates per client address per minute (429 beyond)
    heavy_rate: int = 3000  # heavy calls (off the event loop) per client address per minute
    max_history: int = 1000  # stored metrics records per session (thinned evenly beyond)


@dataclass(frozen=True)
class Settings:
    # A str or any os.PathLike is accepted and made a Path (__post_init__), so that
    # Settings(db_path="/tmp/x.sqlite3") works as it reads in a notebook.
    db_path: Path = Path("data/backprop-explorer.sqlite3")
    store_url: str = ""  # "" → SQLite at db_path; "redis://…" → Redis
    idle_seconds: float = 7 * 24 * 3600.0  # sessions untouched this long may be removed
    sweep_seconds: float = 600.0  # how often idle sessions are removed (and once at startup)
    cors_origins: tuple[str, ...] = ()
    # Listing every session would enumerate ids that are meant to be private links: off
    # unless an operator turns it on; callers can always list the ids they already hold.
    list_sessions: bool = False
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        object.__setattr__(self, "db_path", Path(self.db_path))  # frozen: set it once here

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        limits = Limits(
            **{
                f.name: int(env[PREFIX + f.name.upper()])
                for f in fields(Limits)
                if PREFIX + f.name.upper() in env
            }
        )
        origins = env.get(PREFIX + "CORS_ORIGINS", "")
        return cls(
            db_path=Path(env.get(PREFIX + "DB", str(cls.db_path))),
            store_url=env.get(PREFIX + "STORE", ""),
            idle_seconds=float(env.get(PREFIX + "IDLE_SECONDS", cls.idle_seconds)),
            sweep_seconds=float(env.get(PREFIX + "SWEEP_SECONDS", cls.sweep_seconds)),
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            list_sessions=env.get(PREFIX + "LIST_SESSIONS", "").lower() in ("1", "true", "yes"),
            limits=limits,
        )
