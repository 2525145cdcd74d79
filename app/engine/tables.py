"""Tables of numbers (CSV/TSV text or rows of cells) turned into a dataset's arrays.

Pure and web-free: text in, arrays out, or a :class:`TableError` naming the first bad
cell by its 1-based row (as a spreadsheet counts, the header being row 1 when there is
one) and its column name. The target column holds class labels ("setosa", or integer
class numbers) or, when every value is a number and there are many distinct ones,
regression targets. Classes become one-hot rows (two classes: one 0/1 column, the form
the built-ins use), in sorted order of their labels.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.engine.errors import SpecError

Array = NDArray[np.float64]

MAX_CLASSES = 20  # a target with more distinct values than this is read as a regression target
MAX_CELL_CHARS = 100


class TableError(SpecError):
    """A table that cannot be used; ``row`` and ``column`` say where, when a cell is at fault."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        where = ""
        if row is not None:
            where = f"row {row}" + (f", column {column!r}" if column is not None else "") + ": "
        super().__init__("table", where + message)
        self.row = row
        self.column = column


@dataclass(frozen=True, eq=False)
class Table:
    """A parsed table: N × d features, targets, and the names to show.

    ``y`` is N × 1 (two classes as 0/1, or regression targets) or N × k one-hot rows;
    ``classes`` lists the class labels in the order of their class numbers (empty for
    regression).
    """

    columns: list[str]  # feature names, in the order of x's columns
    target: str
    kind: str  # "classification" or "regression"
    classes: list[str]
    x: Array
    y: Array
    labels: NDArray[np.int64]  # class number per row (regression: all 0)


def split_rows(text: str, delimiter: str | None = None) -> list[list[str]]:
    """Cells of CSV or TSV text; the delimiter is a tab if the first line has one, else a comma.

    Blank lines are skipped; cells are stripped of surrounding spaces.
    """
    lines = text.lstrip("\ufeff")
    if delimiter is None:
        first = lines.split("\n", 1)[0]
        delimiter = "\t" if "\t" in first else ";" if ";" in first and "," not in first else ","
    rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(lines), delimiter=delimiter)]
    return [row for row in rows if any(row)]


def _number(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


MISSING = ("", "na", "nan", "null", "?")


def _wordy(cell: str) -> bool:
    """Text that is neither a number (inf included) nor a missing-value mark."""
    try:
        float(cell)
    except ValueError:
        return cell.lower() not in MISSING
    return False


def has_header(rows: list[list[str]]) -> bool:
    """A first row is a header when one of its cells is a word while the row below has a
    number in that column (a label column alone does not make a header)."""
    if len(rows) < 2:
        return bool(rows) and all(_wordy(c) for c in rows[0])
    return any(_wordy(a) and not _wordy(b) for a, b in zip(rows[0], rows[1], strict=False))


def parse_rows(
    rows: list[list[str]],
    *,
    target: str | int | None = None,
    header: bool | None = None,
    max_rows: int,
    max_columns: int,
) -> Table:
    """Cells → a Table. ``target``: a column name or 0-based index (default: the last column);
    ``header``: None guesses. Limits count data rows and feature columns."""
    if not rows:
        raise TableError("the table is empty")
    if header is None:
        header = has_header(rows)
    width = len(rows[0])
    names = (
        [c or f"column {i + 1}" for i, c in enumerate(rows[0])]
        if header
        else [f"x{i + 1}" for i in range(width)]
    )
    body = rows[1:] if header else rows
    first = 2 if header else 1  # the spreadsheet row number of body[0]
    if width < 2:
        raise TableError("needs at least two columns: one or more features and the target", 1)
    if width - 1 > max_columns:
        raise TableError(
            f"{width - 1} feature columns is more than the limit of {max_columns}", 1, names[-1]
        )
    if not body:
        raise TableError("has a header but no data rows")
    if len(body) > max_rows:
        raise TableError(
            f"{len(body)} data rows is more than the limit of {max_rows}", first + max_rows
        )
    t = _target_index(target, names, header)
    if header and target is None:
        names_lower = [n.lower() for n in names]
        for guess in ("target", "label", "class", "species", "y"):
            if guess in names_lower:
                t = names_lower.index(guess)
                break
    for i, row in enumerate(body):
        if len(row) != width:
            raise TableError(
                f"has {len(row)} cells but the first row has {width}", first + i,
                names[min(len(row), width - 1)],
            )  # fmt: skip
    features = [j for j in range(width) if j != t]
    x = np.empty((len(body), len(features)))
    for i, row in enumerate(body):
        for k, j in enumerate(features):
            cell = row[j]
            if cell.lower() in MISSING:
                raise TableError("missing value", first + i, names[j])
            value = _number(cell)
            if value is None or len(cell) > MAX_CELL_CHARS:
                raise TableError(f"{cell[:20]!r} is not a number", first + i, names[j])
            x[i, k] = value
    targets = [row[t] for row in body]
    for i, cell in enumerate(targets):
        if cell == "":
            raise TableError("missing value", first + i, names[t])
    kind, classes, labels, y = _targets(targets)
    return Table([names[j] for j in features], names[t], kind, classes, x, y, labels)


def parse_table(
    text: str,
    *,
    target: str | int | None = None,
    header: bool | None = None,
    delimiter: str | None = None,
    max_rows: int,
    max_columns: int,
) -> Table:
    """CSV/TSV text → a Table (see :func:`parse_rows`)."""
    try:
        rows = split_rows(text, delimiter)
    except csv.Error as err:
        raise TableError(f"cannot be read as CSV: {err}") from None
    return parse_rows(rows, target=target, header=header, max_rows=max_rows,
                      max_columns=max_columns)  # fmt: skip


def _target_index(target: str | int | None, names: list[str], header: bool) -> int:
    if target is None:
        return len(names) - 1
    if isinstance(target, int):
        if not -len(names) <= target < len(names):
            raise TableError(f"target column {target} does not exist: the table has "
                             f"{len(names)} columns")  # fmt: skip
        return target % len(names)
    if target in names:
        return names.index(target)
    raise TableError(f"no column named {target!r}; the columns are {', '.join(names)}")


def _targets(cells: list[str]) -> tuple[str, list[str], NDArray[np.int64], Array]:
    """Target cells → (kind, class labels, class numbers, y)."""
    numbers = [_number(c) for c in cells]
    distinct = sorted(set(cells))
    if all(v is not None for v in numbers):
        values = np.array(numbers, dtype=np.float64)
        whole = bool(np.all(values == np.round(values)))
        if not whole or len(set(values.tolist())) > MAX_CLASSES:
            return "regression", [], np.zeros(len(cells), np.int64), values[:, None]
        order = sorted(set(values.tolist()))
        classes = [str(int(v)) for v in order]
        labels = np.searchsorted(np.array(order), values).astype(np.int64)
    else:
        if len(distinct) > MAX_CLASSES:
            raise TableError(
                f"the target has {len(distinct)} different labels; at most {MAX_CLASSES} "
                "classes (or give numbers for a regression target)"
            )
        classes = distinct
        labels = np.array([distinct.index(c) for c in cells], dtype=np.int64)
    return "classification", classes, labels, one_hot(labels, len(classes))


def one_hot(labels: NDArray[np.int64], k: int) -> Array:
    """Class numbers → targets: one 0/1 column for k ≤ 2, else N × k one-hot rows."""
    if k <= 2:
        return labels.astype(np.float64)[:, None]
    return np.eye(k)[labels]


def split_train_test(
    n: int, test_fraction: float, seed: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Row indices (train, test): a seeded shuffle, the last round(n·f) for test, at least
    one training row when there are rows."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = min(round(n * test_fraction), max(n - 1, 0))
    return order[: n - n_test], order[n - n_test :]
