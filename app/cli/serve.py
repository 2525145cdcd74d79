"""``serve``: the app under uvicorn, quietly: one line with the address to open."""

from __future__ import annotations

import sys
from contextlib import suppress
from typing import Any

import uvicorn

from app.serving import OPTIONS


class _Server(uvicorn.Server):
    """Says where to point the browser once the socket is listening, not before."""

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            host = self.config.host
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            print(
                f"Backprop Explorer is running: open http://{shown}:{self.config.port}"
                "  (Ctrl+C stops it)",
                flush=True,
            )


def serve(host: str, port: int, log_level: str) -> int:
    from app.main import create_app
    from app.sessions.stores.base import StoreError

    try:
        app = create_app()  # opens the store: an unusable database refuses here, saying why
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    # Header and keep-alive deadlines and a connection cap (app.serving, docs/limits.md).
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, **OPTIONS)
    server = _Server(config)
    with suppress(SystemExit):  # uvicorn exits when it cannot listen, having logged why
        server.run()
    if not server.started:
        print(
            f"error: could not serve on {host}:{port}. Is another server using that port? "
            "Choose another with --port (or PORT=…).",
            file=sys.stderr,
        )
        return 1
    return 0
