"""Built-in datasets are seeded, well-shaped and validated; custom data is checked."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

from app.engine.datasets import (
    BOUND,
    DATASETS,
    MAX_SAMPLES,
    Dataset,
    custom_dataset,
    labels_to_targets,
    make_dataset,
)

NAMES = list(DATASETS)
CLASSIFIERS = [n for n, s in DATASETS.items() if s.kind == "classification"]
REGRESSORS = [n for n, s in DATASETS.items() if s.kind == "regression"]


def _all_arrays(d: Dataset) -> tuple[np.ndarray, ...]:
    return d.x, d.y, d.test_x, d.test_y


def test_catalog() -> None:
    assert set(CLASSIFIERS) == {"xor", "circle", "gauss", "spiral", "moons"}
    assert set(REGRESSORS) == {"sine", "plane", "bumps"}
    for name, spec in DATASETS.items():
        assert spec.name == name
        assert spec.input_dim == (1 if name == "sine" else 2)
        assert spec.description.endswith(".") and spec.description.count(". ") == 0
        assert spec.n_samples_range == (1, MAX_SAMPLES)
        assert spec.noise_range == (0.0, 1.0)
        assert spec.test_fraction_range == (0.0, 0.9)


@pytest.mark.parametrize("name", NAMES)
def test_reproducible_by_seed(name: str) -> None:
    a = make_dataset(name, n_samples=50, noise=0.3, seed=7)
    b = make_dataset(name, n_samples=50, noise=0.3, seed=7)
    c = make_dataset(name, n_samples=50, noise=0.3, seed=8)
    for u, v in zip(_all_arrays(a), _all_arrays(b), strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("n_samples", "test_fraction", "n_test"),
    [
        (200, 0.2, 40),
        (10, 0.25, 2),  # round(2.5) = 2
        (3, 0.5, 2),  # round(1.5) = 2
        (100, 0.9, 90),
        (7, 0.0, 0),
        (1, 0.0, 0),
        (1, 0.9, 0),  # round(0.9) = 1, but one training row always stays
        (2, 0.9, 1),
    ],
)
def test_shapes(name: str, n_samples: int, test_fraction: float, n_test: int) -> None:
    d = make_dataset(name, n_samples=n_samples, test_fraction=test_fraction)
    dim = DATASETS[name].input_dim
    assert d.name == name and d.kind == DATASETS[name].kind and d.input_dim == dim
    assert d.x.shape == (n_samples - n_test, dim) and d.y.shape == (n_samples - n_test, 1)
    assert d.test_x.shape == (n_test, dim) and d.test_y.shape == (n_test, 1)
    for arr in _all_arrays(d):
        assert arr.dtype == np.float64 and not arr.flags.writeable


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("noise", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_values_in_range(name: str, noise: float, seed: int) -> None:
    d = make_dataset(name, n_samples=200, noise=noise, seed=seed)
    x = np.vstack((d.x, d.test_x))
    y = np.vstack((d.y, d.test_y))
    assert np.isfinite(x).all() and np.abs(x).max() <= BOUND
    assert np.isfinite(y).all()
    if d.kind == "classification":
        assert set(np.unique(y)) <= {0.0, 1.0}
    else:
        assert np.abs(y).max() <= 1.0


@pytest.mark.parametrize("name", CLASSIFIERS)
@pytest.mark.parametrize("noise", [0.0, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_both_classes_present(name: str, noise: float, seed: int) -> None:
    d = make_dataset(name, n_samples=20, noise=noise, seed=seed)
    assert set(np.unique(d.y)) == {0.0, 1.0}


@pytest.mark.parametrize("name", NAMES)
def test_noise_changes_data(name: str) -> None:
    calm = make_dataset(name, noise=0.0, seed=3)
    noisy = make_dataset(name, noise=1.0, seed=3)
    assert not (np.array_equal(calm.x, noisy.x) and np.array_equal(calm.y, noisy.y))


def test_noise_free_targets_follow_the_formula() -> None:
    sine = make_dataset("sine", noise=0.0, test_fraction=0.0)
    np.testing.assert_allclose(sine.y[:, 0], 0.75 * np.sin(sine.x[:, 0]))
    plane = make_dataset("plane", noise=0.0, test_fraction=0.0)
    np.testing.assert_allclose(plane.y[:, 0], plane.x.sum(axis=1) / 12)
    xor = make_dataset("xor", noise=0.0, test_fraction=0.0)
    np.testing.assert_array_equal(xor.y[:, 0], xor.x[:, 0] * xor.x[:, 1] >= 0)


@pytest.mark.parametrize(
    ("kwargs", "param", "text"),
    [
        ({"name": "nope"}, "name", "xor"),
        ({"n_samples": 0}, "n_samples", "[1, 10000], got 0"),
        ({"n_samples": MAX_SAMPLES + 1}, "n_samples", "got 10001"),
        ({"n_samples": 2.5}, "n_samples", "integer"),
        ({"n_samples": True}, "n_samples", "integer"),
        ({"noise": -0.1}, "noise", "[0, 1], got -0.1"),
        ({"noise": 2.0}, "noise", "[0, 1], got 2.0"),
        ({"noise": math.nan}, "noise", "[0, 1]"),
        ({"noise": "0.5"}, "noise", "[0, 1]"),
        ({"test_fraction": 0.95}, "test_fraction", "[0, 0.9], got 0.95"),
        ({"test_fraction": -0.1}, "test_fraction", "[0, 0.9]"),
        ({"seed": -1}, "seed", "got -1"),
        ({"seed": 2**32}, "seed", "integer"),
    ],
)
def test_invalid_params(kwargs: dict[str, Any], param: str, text: str) -> None:
    args: dict[str, Any] = {"name": "gauss", **kwargs}
    with pytest.raises(ValueError, match=re.escape(f"dataset.{param}")) as err:
        make_dataset(**args)
    assert text in str(err.value)


# --- custom_dataset -------------------------------------------------------------------------

X3 = [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"x": [1.0, 2.0, 3.0], "y": [[0], [1], [0]]}, "dataset.x: must be 2-D"),
        ({"x": X3, "y": [[0], [1]]}, "dataset.y: has 2 rows but x has 3"),
        (
            {"x": [[0, 1], [math.nan, 2], [3, 4]], "y": [[0], [1], [0]]},
            "dataset.x: row 1, column 0",
        ),
        ({"x": X3, "y": [[0.5], [1], [math.inf]]}, "dataset.y: row 2, column 0 is inf"),
        ({"x": [[0, 1], [2]], "y": [[0], [1]]}, "dataset.x: must be a rectangular"),
        ({"x": [["a", "b"]], "y": [[0]]}, "dataset.x: must hold real numbers"),
        ({"x": np.empty((0, 2)), "y": np.empty((0, 1))}, "dataset.x: must have at least one row"),
        ({"x": X3, "y": np.empty((3, 0))}, "dataset.y: must have at least one column"),
        ({"x": X3, "y": [[0], [1], [0]], "test_x": [[0, 0]]}, "dataset.test_y"),
        ({"x": X3, "y": [[0], [1], [0]], "test_y": [[0]]}, "dataset.test_x"),
        (
            {"x": X3, "y": [[0], [1], [0]], "test_x": [[0, 0, 0]], "test_y": [[0]]},
            "dataset.test_x: has 3 columns but x has 2",
        ),
        (
            {"x": X3, "y": [[0], [1], [0]], "test_x": [[0, 0]], "test_y": [[0, 1]]},
            "dataset.test_y: has 2 columns but y has 1",
        ),
        (
            {"x": X3, "y": [[0], [1], [0]], "test_x": [[0, 0]], "test_y": [[0], [1]]},
            "dataset.test_y: has 2 rows but test_x has 1",
        ),
        (
            {"x": X3, "y": [[0], [1], [0]], "test_x": [[0, 0]], "test_y": [[math.nan]]},
            "dataset.test_y: row 0, column 0 is nan",
        ),
    ],
)
def test_custom_dataset_rejects(kwargs: dict[str, Any], text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(text)):
        custom_dataset(**kwargs)


@pytest.mark.parametrize(
    ("y", "test_y", "kind", "stored_y"),
    [
        ([[0], [1], [1]], None, "classification", [[0], [1], [1]]),
        ([[True], [False], [True]], None, "classification", [[1], [0], [1]]),
        ([[1, 0], [0, 1], [0, 1]], None, "classification", [[0], [1], [1]]),  # one-hot → labels
        (
            [[1, 0, 0], [0, 0, 1], [0, 1, 0]],
            None,
            "classification",
            [[1, 0, 0], [0, 0, 1], [0, 1, 0]],
        ),
        ([[0.5], [-2.0], [1.0]], None, "regression", [[0.5], [-2.0], [1.0]]),
        ([[0], [1], [1]], [[0.5]], "regression", [[0], [1], [1]]),  # test targets count too
    ],
)
def test_custom_dataset_kind(
    y: list[list[float]], test_y: list[list[float]] | None, kind: str, stored_y: list[list[float]]
) -> None:
    test_x = None if test_y is None else [[9, 9]]
    d = custom_dataset(np.array(X3, dtype=int), y, test_x, test_y)
    assert d.name == "custom" and d.kind == kind and d.input_dim == 2
    assert d.x.dtype == np.float64 and d.y.dtype == np.float64
    np.testing.assert_array_equal(d.x, X3)
    np.testing.assert_array_equal(d.y, stored_y)
    assert d.test_x.shape == (0 if test_y is None else 1, 2)
    assert d.test_y.shape == (len(test_y or []), d.y.shape[1])


def test_custom_dataset_copies_input() -> None:
    x = np.array(X3)
    d = custom_dataset(x, [[0], [1], [0]])
    x[0, 0] = 42.0
    assert d.x[0, 0] == 0.0


# --- labels_to_targets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "n_out", "kind", "expected"),
    [
        ([[0], [1], [1]], 1, None, [[0], [1], [1]]),
        ([[0], [1], [1]], 2, None, [[1, 0], [0, 1], [0, 1]]),
        ([[0], [1]], 2, "classification", [[1, 0], [0, 1]]),
        ([[1, 0, 0], [0, 0, 1]], 3, None, [[1, 0, 0], [0, 0, 1]]),
        ([[0.5], [-0.25]], 1, None, [[0.5], [-0.25]]),
        ([[0.5, 1.0], [-0.25, 0.0]], 2, "regression", [[0.5, 1.0], [-0.25, 0.0]]),
        ([[0], [1]], 1, "regression", [[0], [1]]),
    ],
)
def test_labels_to_targets(
    y: list[list[float]], n_out: int, kind: str | None, expected: list[list[float]]
) -> None:
    out = labels_to_targets(np.array(y, dtype=np.float64), n_out, kind)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    ("y", "n_out", "kind", "text"),
    [
        ([[0], [1]], 3, None, "labels need 1 (sigmoid) or 2 (softmax)"),
        ([[0], [1]], 0, None, "has 0 neurons"),
        ([[1, 0, 0], [0, 1, 0]], 2, None, "need 3"),
        ([[0.5], [-0.25]], 2, None, "regression targets with 1 column need 1"),
        ([[0.5], [1.0]], 1, "classification", "must be 0 or 1"),
        ([[0.5], [1.0]], 1, "ranking", "dataset.kind"),
        ([0, 1], 1, None, "must be 2-D"),
    ],
)
def test_labels_to_targets_rejects(y: Any, n_out: int, kind: str | None, text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(text)):
        labels_to_targets(np.array(y, dtype=np.float64), n_out, kind)


def test_builtin_labels_round_trip() -> None:
    d = make_dataset("circle", n_samples=40)
    one_hot = labels_to_targets(d.y, 2, d.kind)
    np.testing.assert_array_equal(one_hot.sum(axis=1), 1.0)
    np.testing.assert_array_equal(one_hot[:, 1:], d.y)
