"""A Python client of the Backprop Explorer API, over HTTP or in this process.

It imports nothing of the server: the same calls work against ``backprop-explorer
serve`` and against ``app.main.create_app()`` run in a notebook (``Client.in_process``).
See docs/client.md.
"""

from app.client.client import Client
from app.client.errors import ApiError
from app.client.models import (
    Backward,
    Boundary,
    Dataset,
    Forward,
    Frame,
    Gradcheck,
    History,
    LayerTrace,
    Metrics,
    Network,
    Paths,
    Session,
    Snapshot,
    StepResult,
    Trace,
    Update,
)
from app.client.stream import Stream

__all__ = [
    "ApiError",
    "Backward",
    "Boundary",
    "Client",
    "Dataset",
    "Forward",
    "Frame",
    "Gradcheck",
    "History",
    "LayerTrace",
    "Metrics",
    "Network",
    "Paths",
    "Session",
    "Snapshot",
    "StepResult",
    "Stream",
    "Trace",
    "Update",
]
