"""Seeded toy datasets, modelled on TensorFlow Playground's.

Every built-in dataset lives in the square [-6, 6]² (1-D: the interval [-6, 6]) and
is a pure function of its arguments: all randomness comes from
``np.random.default_rng(seed)``. Each generator draws the same random numbers in
the same order whatever the noise level, so for a fixed seed the noise slider
moves the points (or flips the labels) continuously instead of reshuffling them.

``noise`` runs over [0, 1]; 1 matches Playground's maximum of 50 %, and each
dataset turns it into its own scale (jitter radius, spread, label noise).

Classification labels are 0.0/1.0 in an N × 1 column; regression targets lie in
[-1, 1] so a tanh output can reach them. Errors are :class:`SpecError` (a
``ValueError``) located at ``dataset.<parameter>``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike, NDArray

from app.engine.errors import SpecError

Array = NDArray[np.float64]

CLASSIFICATION = "classification"
REGRESSION = "regression"

MIN_SAMPLES = 1
MAX_SAMPLES = 10_000
MIN_NOISE = 0.0
MAX_NOISE = 1.0
MIN_TEST_FRACTION = 0.0
MAX_TEST_FRACTION = 0.9
MAX_SEED = 2**32 - 1
BOUND = 6.0  # built-in inputs lie in [-BOUND, BOUND] per dimension

# Playground's noise slider stops at 50 %; our noise = 1 is that maximum.
_PLAYGROUND_NOISE = 0.5


@dataclass(frozen=True, eq=False)
class Dataset:
    """Raw inputs and targets, split into train and test rows.

    ``x``/``test_x`` are N × d raw inputs (feature transforms come later);
    ``y``/``test_y`` are N × k targets: 0.0/1.0 labels for classification (one
    column, or one-hot rows for custom data with 3+ classes), values for
    regression. Arrays are stored as read-only float64 views so a dataset can be
    cached and shared safely; ``eq=False`` because ``==`` on arrays is ambiguous.
    """

    name: str
    kind: str
    x: Array
    y: Array
    test_x: Array
    test_y: Array

    def __post_init__(self) -> None:
        if self.kind not in (CLASSIFICATION, REGRESSION):
            raise SpecError(
                "dataset.kind", f"must be {CLASSIFICATION!r} or {REGRESSION!r}, got {self.kind!r}"
            )
        for field in ("x", "y", "test_x", "test_y"):
            arr = np.asarray(getattr(self, field), dtype=np.float64).view()
            if arr.ndim != 2:
                raise SpecError(f"dataset.{field}", f"must be 2-D, got shape {arr.shape}")
            arr.flags.writeable = False
            object.__setattr__(self, field, arr)
        if len(self.x) != len(self.y) or len(self.test_x) != len(self.test_y):
            raise SpecError("dataset.y", "needs exactly one row per row of x")
        if self.test_x.shape[1] != self.x.shape[1] or self.test_y.shape[1] != self.y.shape[1]:
            raise SpecError("dataset.test_x", "test arrays need the same columns as x and y")

    @property
    def input_dim(self) -> int:
        """Raw input width d (before feature transforms)."""
        return int(self.x.shape[1])


@dataclass(frozen=True)
class DatasetSpec:
    """Catalog entry for a built-in dataset: what it is and which arguments it accepts."""

    name: str
    kind: str
    input_dim: int
    description: str
    n_samples_range: tuple[int, int] = (MIN_SAMPLES, MAX_SAMPLES)
    noise_range: tuple[float, float] = (MIN_NOISE, MAX_NOISE)
    test_fraction_range: tuple[float, float] = (MIN_TEST_FRACTION, MAX_TEST_FRACTION)


# --- generators: (rng, n, noise) -> (x: n × d, y: n) ------------------------------------------

_Generator = Callable[[np.random.Generator, int, float], tuple[Array, Array]]


def _fold_into_box(v: Array) -> Array:
    """Reflect values off the walls at ±BOUND: continuous in the noise, no pile-up at the edge."""
    v = np.where(v > BOUND, 2 * BOUND - v, v)
    v = np.where(v < -BOUND, -2 * BOUND - v, v)
    return np.clip(v, -BOUND, BOUND)  # catches the rare value beyond 3·BOUND


def _halves(n: int) -> tuple[int, int]:
    """Class sizes (positive, negative): balanced, the extra point going to class 0."""
    return n // 2, n - n // 2


def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    """Uniform points kept 0.3 off the axes; label 1 where x₁·x₂ ≥ 0 at a jittered position."""
    x = rng.uniform(-5.0, 5.0, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)
    jitter = rng.uniform(-5.0, 5.0, (n, 2)) * (noise * _PLAYGROUND_NOISE)
    moved = x + jitter
    return x, (moved[:, 0] * moved[:, 1] >= 0).astype(np.float64)


def _circle(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    """A disc of radius 2.5 (label 1) inside a ring 3.5–5; noise moves where labels are read."""
    n_in, n_out = _halves(n)
    lo = np.r_[np.zeros(n_in), np.full(n_out, 3.5)]
    hi = np.r_[np.full(n_in, 2.5), np.full(n_out, 5.0)]
    r = lo + (hi - lo) * rng.random(n)
    angle = rng.uniform(0.0, 2 * np.pi, n)
    x = np.column_stack((r * np.sin(angle), r * np.cos(angle)))
    jitter = rng.uniform(-5.0, 5.0, (n, 2)) * (noise * _PLAYGROUND_NOISE)
    moved = x + jitter
    return x, (np.hypot(moved[:, 0], moved[:, 1]) < 2.5).astype(np.float64)


def _gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    """Two Gaussian blobs at (2, 2) (label 1) and (-2, -2); noise widens them."""
    n_pos, n_neg = _halves(n)
    labels = np.r_[np.ones(n_pos), np.zeros(n_neg)]
    centre = np.where(labels == 1.0, 2.0, -2.0)[:, None]
    variance = 0.5 + 3.5 * noise  # Playground: 0.5 at 0 % up to 4 at 50 %
    x = centre + math.sqrt(variance) * rng.standard_normal((n, 2))
    return _fold_into_box(x), labels


def _spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    """Two interleaved arms, 1.75 turns out to radius 5; noise jitters the points."""
    n_pos, n_neg = _halves(n)
    i = np.r_[np.arange(n_pos) / max(n_pos, 1), np.arange(n_neg) / max(n_neg, 1)]
    labels = np.r_[np.ones(n_pos), np.zeros(n_neg)]
    r = 5.0 * i
    t = 1.75 * 2 * np.pi * i + np.pi * (1.0 - labels)
    x = np.column_stack((r * np.sin(t), r * np.cos(t)))
    x += rng.uniform(-1.0, 1.0, (n, 2)) * (noise * _PLAYGROUND_NOISE)
    return x, labels


def _moons(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    """Two interlocking half circles (as scikit-learn's make_moons), scaled to the box."""
    n_lower, n_upper = _halves(n)
    labels = np.r_[np.ones(n_lower), np.zeros(n_upper)]
    t = rng.uniform(0.0, np.pi, n)
    upper = np.column_stack((np.cos(t), np.sin(t)))
    lower = np.column_stack((1.0 - np.cos(t), 0.5 - np.sin(t)))
    x = np.where(labels[:, None] == 1.0, lower, upper) - (0.5, 0.25)
    x = 3.5 * x + noise * rng.standard_normal((n, 2))
    return _fold_into_box(x), labels


def _sine(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    """y = 0.75·sin(x) plus up to ±0.25 of uniform noise, so y stays in [-1, 1]."""
    x = rng.uniform(-BOUND, BOUND, (n, 1))
    return x, 0.75 * np.sin(x[:, 0]) + 0.25 * noise * rng.uniform(-1.0, 1.0, n)


def _plane(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    """y = (x₁ + x₂)/12 read at a jittered position, clipped to [-1, 1]."""
    x = rng.uniform(-BOUND, BOUND, (n, 2))
    jitter = rng.uniform(-BOUND, BOUND, (n, 2)) * (noise * _PLAYGROUND_NOISE)
    return x, np.clip((x + jitter).sum(axis=1) / (2 * BOUND), -1.0, 1.0)


_BUMP_CENTRES = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
_BUMP_SIGNS = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])


def _bumps(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    """Six ±1 cones of radius 2 on a 3 × 2 grid; each point takes the strongest one."""
    x = rng.uniform(-BOUND, BOUND, (n, 2))
    jitter = rng.uniform(-BOUND, BOUND, (n, 2)) * (noise * _PLAYGROUND_NOISE)
    dist = np.linalg.norm((x + jitter)[:, None, :] - _BUMP_CENTRES, axis=2)  # n × 6
    heights = _BUMP_SIGNS * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    strongest = np.abs(heights).argmax(axis=1)
    return x, heights[np.arange(n), strongest]


_GENERATORS: dict[str, _Generator] = {
    "xor": _xor,
    "circle": _circle,
    "gauss": _gauss,
    "spiral": _spiral,
    "moons": _moons,
    "sine": _sine,
    "plane": _plane,
    "bumps": _bumps,
}

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "xor",
            CLASSIFICATION,
            2,
            "Points in four quadrants labelled by the sign of x₁·x₂; no single line separates "
            "them.",
        ),
        DatasetSpec(
            "circle",
            CLASSIFICATION,
            2,
            "A disc of one class inside a ring of the other, which needs a curved boundary.",
        ),
        DatasetSpec(
            "gauss",
            CLASSIFICATION,
            2,
            "Two Gaussian blobs that a single line separates; noise makes them overlap.",
        ),
        DatasetSpec(
            "spiral",
            CLASSIFICATION,
            2,
            "Two interleaved spiral arms, the hardest pattern, needing several layers.",
        ),
        DatasetSpec(
            "moons",
            CLASSIFICATION,
            2,
            "Two interlocking half circles that a slightly bent boundary separates.",
        ),
        DatasetSpec(
            "sine",
            REGRESSION,
            1,
            "One input x in [-6, 6] with target 0.75·sin(x), a curve to fit with a 1-D net.",
        ),
        DatasetSpec(
            "plane",
            REGRESSION,
            2,
            "A tilted plane y = (x₁ + x₂)/12 that a network without hidden layers can fit.",
        ),
        DatasetSpec(
            "bumps",
            REGRESSION,
            2,
            "Six positive and negative bumps on a grid, a surface that needs hidden units.",
        ),
    )
}
assert DATASETS.keys() == _GENERATORS.keys()


# --- argument checks ------------------------------------------------------------------------


def _show(value: object) -> str:
    """Print numbers plainly (2.0, not np.float64(2.0)) and anything else with repr."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return str(int(value)) if isinstance(value, Integral) else str(float(value))
    return repr(value)


def _check_int(value: object, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or not lo <= int(value) <= hi:
        raise SpecError(
            f"dataset.{name}", f"must be an integer in [{lo}, {hi}], got {_show(value)}"
        )
    return int(value)


def _check_real(value: object, name: str, lo: float, hi: float) -> float:
    # NaN fails the comparison, so it is rejected here too.
    if isinstance(value, bool) or not isinstance(value, Real) or not lo <= float(value) <= hi:
        raise SpecError(f"dataset.{name}", f"must be in [{lo:g}, {hi:g}], got {_show(value)}")
    return float(value)


def _test_count(n_samples: int, test_fraction: float) -> int:
    """round(n·f) test rows, but always at least one training row."""
    return min(round(n_samples * test_fraction), n_samples - 1)


# --- public API -----------------------------------------------------------------------------


def make_dataset(
    name: str,
    n_samples: int = 200,
    noise: float = 0.0,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> Dataset:
    """Build built-in dataset ``name``: n_samples points, shuffled, the last round(n·f) for test.

    The test set never takes every point (at least one training row stays). Raises
    SpecError (a ValueError) naming the offending parameter and its allowed range.
    """
    if not isinstance(name, str) or name not in _GENERATORS:
        raise SpecError("dataset.name", f"must be one of {', '.join(DATASETS)}, got {_show(name)}")
    n = _check_int(n_samples, "n_samples", MIN_SAMPLES, MAX_SAMPLES)
    noise = _check_real(noise, "noise", MIN_NOISE, MAX_NOISE)
    test_fraction = _check_real(
        test_fraction, "test_fraction", MIN_TEST_FRACTION, MAX_TEST_FRACTION
    )
    seed = _check_int(seed, "seed", 0, MAX_SEED)

    rng = np.random.default_rng(seed)
    x, y = _GENERATORS[name](rng, n, noise)
    order = rng.permutation(n)  # drawn last, so the split does not depend on noise
    x, y = x[order], y[order].reshape(n, 1)
    n_train = n - _test_count(n, test_fraction)
    return Dataset(
        name=name,
        kind=DATASETS[name].kind,
        x=x[:n_train],
        y=y[:n_train],
        test_x=x[n_train:],
        test_y=y[n_train:],
    )


def _as_matrix(value: ArrayLike, field: str) -> Array:
    """User data as a finite 2-D float64 array, or a SpecError saying where it is wrong."""
    loc = f"dataset.{field}"
    try:
        raw = np.asarray(value)
    except ValueError:  # ragged nested lists
        raise SpecError(loc, "must be a rectangular 2-D array (rows of equal length)") from None
    if raw.dtype.kind not in "biuf":
        raise SpecError(loc, f"must hold real numbers, got values of type {raw.dtype}")
    if raw.ndim != 2:
        raise SpecError(loc, f"must be 2-D (rows × columns), got shape {raw.shape}")
    if raw.shape[1] == 0:
        raise SpecError(loc, "must have at least one column")
    arr = raw.astype(np.float64)
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        row, col = (int(i) for i in bad[0])
        raise SpecError(loc, f"row {row}, column {col} is {arr[row, col]}; values must be finite")
    return arr


def custom_dataset(
    x: ArrayLike,
    y: ArrayLike,
    test_x: ArrayLike | None = None,
    test_y: ArrayLike | None = None,
) -> Dataset:
    """Wrap user arrays as dataset "custom" after checking them.

    The kind is classification when every target (train and test) is 0 or 1, else
    regression; regression targets are used as given, not rescaled. One-hot rows
    with two columns are stored as a single 0/1 column, the same form the
    built-ins use (``labels_to_targets`` restores them).
    """
    xs = _as_matrix(x, "x")
    ys = _as_matrix(y, "y")
    if len(xs) == 0:
        raise SpecError("dataset.x", "must have at least one row")
    if len(ys) != len(xs):
        raise SpecError("dataset.y", f"has {len(ys)} rows but x has {len(xs)}; need one per row")
    if (test_x is None) != (test_y is None):
        missing = "test_y" if test_y is None else "test_x"
        raise SpecError(f"dataset.{missing}", "test_x and test_y must be given together")
    if test_x is None or test_y is None:
        txs, tys = np.empty((0, xs.shape[1])), np.empty((0, ys.shape[1]))
    else:
        txs = _as_matrix(test_x, "test_x")
        tys = _as_matrix(test_y, "test_y")
        if txs.shape[1] != xs.shape[1]:
            raise SpecError("dataset.test_x", f"has {txs.shape[1]} columns but x has {xs.shape[1]}")
        if tys.shape[1] != ys.shape[1]:
            raise SpecError("dataset.test_y", f"has {tys.shape[1]} columns but y has {ys.shape[1]}")
        if len(tys) != len(txs):
            raise SpecError(
                "dataset.test_y", f"has {len(tys)} rows but test_x has {len(txs)}; need one per row"
            )

    is_binary = bool(np.isin(ys, (0.0, 1.0)).all() and np.isin(tys, (0.0, 1.0)).all())
    kind = CLASSIFICATION if is_binary else REGRESSION
    if is_binary and ys.shape[1] == 2 and (ys.sum(1) == 1).all() and (tys.sum(1) == 1).all():
        ys, tys = ys[:, 1:], tys[:, 1:]
    return Dataset(name="custom", kind=kind, x=xs, y=ys, test_x=txs, test_y=tys)


def labels_to_targets(y: ArrayLike, n_out: int, kind: str | None = None) -> Array:
    """Targets shaped for a network with ``n_out`` outputs.

    A 0/1 label column serves a 1-output (sigmoid) net as is and becomes one-hot
    columns [1 − y, y] for a 2-output (softmax) net; any other y needs exactly
    y's width in outputs. ``kind`` defaults to classification when every value is
    0 or 1. The result may share memory with ``y``.
    """
    targets = np.asarray(y, dtype=np.float64)
    if targets.ndim != 2:
        raise SpecError("dataset.y", f"must be 2-D (rows × columns), got shape {targets.shape}")
    if kind is None:
        kind = CLASSIFICATION if np.isin(targets, (0.0, 1.0)).all() else REGRESSION
    width = targets.shape[1]
    if kind == CLASSIFICATION:
        if not np.isin(targets, (0.0, 1.0)).all():
            raise SpecError("dataset.y", "classification labels must be 0 or 1")
        if n_out == width:
            return targets
        if width == 1 and n_out == 2:
            return np.hstack((1.0 - targets, targets))
        allowed = "1 (sigmoid) or 2 (softmax)" if width == 1 else str(width)
        raise SpecError(
            "network.layers",
            f"the output layer has {n_out} neurons; these classification labels need {allowed}",
        )
    if kind == REGRESSION:
        if n_out == width:
            return targets
        raise SpecError(
            "network.layers",
            f"the output layer has {n_out} neurons; regression targets with {width} "
            f"column{'s' if width != 1 else ''} need {width}",
        )
    raise SpecError("dataset.kind", f"must be {CLASSIFICATION!r} or {REGRESSION!r}, got {kind!r}")
