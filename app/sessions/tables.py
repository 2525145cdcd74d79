"""Tables (pasted CSV, a JSON table, a bundled dataset) as the custom dataset of a create
request: split into train and test with a seed, with the names the page shows."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.engine.bundled import BUNDLED, scaled_bundled
from app.engine.tables import Table, parse_rows, parse_table, split_train_test
from app.settings import Limits

PREVIEW_ROWS = 5


def table_view(table: Table, name: str, test_fraction: float, seed: int) -> dict[str, Any]:
    """The table's columns, classes and first rows, and ``dataset``: a CustomDataset body."""
    train, test = split_train_test(len(table.x), test_fraction, seed)
    bundled = BUNDLED.get(name)
    dataset = {
        "name": name,
        "kind": table.kind,
        "x": table.x[train].tolist(),
        "y": table.y[train].tolist(),
        "test_x": table.x[test].tolist(),
        "test_y": table.y[test].tolist(),
    }
    preview = [
        [*row.tolist(), table.classes[label] if table.classes else float(target[0])]
        for row, label, target in zip(
            table.x[:PREVIEW_ROWS], table.labels[:PREVIEW_ROWS], table.y[:PREVIEW_ROWS],
            strict=True,
        )
    ]  # fmt: skip
    return {
        "name": name,
        "columns": table.columns,
        "target": table.target,
        "kind": table.kind,
        "classes": table.classes,
        "n_rows": len(table.x),
        "preview": preview,
        "image": list(bundled.image) if bundled and bundled.image else None,
        "dataset": dataset,
    }


def parse_text(text: str, options: dict[str, Any], limits: Limits) -> Table:
    return parse_table(text, **options, max_rows=limits.max_samples,
                       max_columns=limits.max_width)  # fmt: skip


def parse_cells(rows: list[list[str]], options: dict[str, Any], limits: Limits) -> Table:
    return parse_rows(rows, **options, max_rows=limits.max_samples,
                      max_columns=limits.max_width)  # fmt: skip


def bundled_catalog() -> list[dict[str, Any]]:
    return [asdict(spec) for spec in BUNDLED.values()]


def bundled_table(name: str) -> Table:
    """A bundled dataset as sessions use it: digits' pixels scaled to [0, 1]."""
    return scaled_bundled(name)
