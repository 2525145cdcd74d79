"""The configurable limits, checked on the request before any work is done."""

from __future__ import annotations

from collections.abc import Sequence

from app.api import schemas
from app.engine.errors import SpecError
from app.settings import Limits


def _at_most(value: int, limit: int, loc: str, what: str) -> None:
    if value > limit:
        raise SpecError(loc, f"{what} {value} is over the server's limit of {limit}")


def check_network(spec: schemas.NetworkSpec, limits: Limits) -> None:
    _at_most(len(spec.layers) - 1, limits.max_layers, "network.layers", "layer count")
    for l, width in enumerate(spec.layers):
        _at_most(width, limits.max_width, f"network.layers[{l}]", "width")


def check_dataset(spec: schemas.BuiltinDataset | schemas.CustomDataset, limits: Limits) -> None:
    if isinstance(spec, schemas.BuiltinDataset):
        _at_most(spec.n_samples, limits.max_samples, "dataset.n_samples", "sample count")
        return
    total = len(spec.x) + len(spec.test_x or [])
    _at_most(total, limits.max_samples, "dataset.x", "sample count (train + test)")


def check_rows(rows: int, limits: Limits, loc: str) -> None:
    _at_most(rows, limits.max_batch, loc, "row count")


def check_training(
    settings: schemas.TrainingSettings | schemas.TrainingPatch, limits: Limits
) -> None:
    if settings.batch_size is not None:
        _at_most(settings.batch_size, limits.max_batch, "training.batch_size", "batch size")


def check_steps(steps: int, limits: Limits) -> None:
    _at_most(steps, limits.max_steps, "steps", "step count")


def check_history(history: schemas.History, limits: Limits) -> None:
    """An import carries at most what an export gives: ``max_snapshots`` weight snapshots and
    ``max_history`` metrics records."""
    _at_most(len(history.snapshots), limits.max_snapshots, "history.snapshots", "snapshot count")
    _at_most(len(history.metrics.step), limits.max_history, "history.metrics.step", "record count")


def check_grid(resolution: int, limits: Limits) -> None:
    _at_most(resolution, limits.max_grid, "resolution", "grid resolution")


def grid_values(cells: int, layers: Sequence[int], neurons: bool) -> int:
    """Numbers in a boundary answer: the output grid, and with ``neurons`` one grid for each
    input and each neuron of every layer."""
    return cells * (1 + (sum(layers) if neurons else 0))


def check_grid_values(cells: int, layers: Sequence[int], neurons: bool, limits: Limits) -> None:
    """A boundary's answer is bounded in size before anything is computed: 128 × 128 grids of
    every neuron of a 10 × 64 network were a 190 MB answer."""
    values = grid_values(cells, layers, neurons)
    if values > limits.max_grid_values:
        raise SpecError(
            "resolution",
            f"{values} grid values (cells × grids) is over the server's limit of "
            f"{limits.max_grid_values}; ask for a lower resolution, or without neurons",
        )
