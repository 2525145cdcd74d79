"""The real small datasets bundled with the app: Iris and the UCI optical digits (8 × 8).

Read from ``app/engine/data`` (copied from scikit-learn; see data/SOURCE.md), nothing
fetched. Each is a :class:`~app.engine.tables.Table`: raw features x (N × d), one-hot
targets y (N × k) and the class numbers, in the file's order; :func:`bundled_dataset`
shuffles and splits it with a seed.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from app.engine.tables import Table, one_hot

DATA = Path(__file__).with_name("data")


@dataclass(frozen=True)
class BundledSpec:
    """Catalog entry: what the dataset is and the shape of its data."""

    name: str
    description: str
    n_samples: int
    input_dim: int
    classes: tuple[str, ...]
    image: tuple[int, int] | None = None  # (rows, columns) when the inputs are pixels
    # The published values are divided by this before training: the digits' pixels are
    # 0–16, and inputs that large saturate tanh/sigmoid and make Adam's first steps jumpy.
    scale: float = 1.0


BUNDLED: dict[str, BundledSpec] = {
    "iris": BundledSpec(
        "iris",
        "Fisher's Iris flowers: 4 measurements in cm, 3 species with 50 flowers each.",
        150,
        4,
        ("setosa", "versicolor", "virginica"),
    ),
    "digits": BundledSpec(
        "digits",
        "Handwritten digits 0–9 as 8 × 8 images (UCI optical digits), 1,797 images; "
        "each pixel 0–16 in the file, divided by 16 to lie in [0, 1].",
        1797,
        64,
        tuple(str(d) for d in range(10)),
        (8, 8),
        16.0,
    ),
}


@cache
def load_bundled(name: str) -> Table:
    """The whole dataset ``name`` ("iris" or "digits") in the file's row order, with the
    published values (see :func:`scaled_bundled` for the ones a session trains on)."""
    spec = BUNDLED[name]
    if name == "iris":
        raw = np.loadtxt(DATA / "iris.csv", delimiter=",", skiprows=1)
        columns = ["sepal length", "sepal width", "petal length", "petal width"]
    else:
        with gzip.open(DATA / "digits.csv.gz", "rt") as fh:
            raw = np.loadtxt(fh, delimiter=",")
        columns = [f"pixel {r},{c}" for r in range(8) for c in range(8)]
    x, labels = raw[:, :-1], raw[:, -1].astype(np.int64)
    x.flags.writeable = False
    return Table(columns, "species" if name == "iris" else "digit", "classification",
                 list(spec.classes), x, one_hot(labels, len(spec.classes)), labels)  # fmt: skip


@cache
def scaled_bundled(name: str) -> Table:
    """``load_bundled(name)`` with its inputs divided by the spec's ``scale`` (digits: [0, 1])."""
    table = load_bundled(name)
    scale = BUNDLED[name].scale
    if scale == 1.0:
        return table
    x = table.x / scale
    x.flags.writeable = False
    return replace(table, x=x)
