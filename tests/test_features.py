"""Feature transforms give hand-checked values, keep the requested order and reject bad lists."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from app.engine.features import FEATURES, apply_features, default_features

PI = np.pi
# Rows (x₁, x₂) = (2, -3) and (-0.5, 4) for the polynomial features ...
X_POLY = np.array([[2.0, -3.0], [-0.5, 4.0]])
# ... and (π/2, -π/6), (π, 0) for the sines, whose values are known exactly.
X_TRIG = np.array([[PI / 2, -PI / 6], [PI, 0.0]])


@pytest.mark.parametrize(
    ("name", "x", "expected"),
    [
        ("x1", X_POLY, [2.0, -0.5]),
        ("x2", X_POLY, [-3.0, 4.0]),
        ("x1_sq", X_POLY, [4.0, 0.25]),
        ("x2_sq", X_POLY, [9.0, 16.0]),
        ("x1_x2", X_POLY, [-6.0, -2.0]),
        ("sin_x1", X_TRIG, [1.0, 0.0]),
        ("sin_x2", X_TRIG, [-0.5, 0.0]),
    ],
)
def test_feature_values(name: str, x: np.ndarray, expected: list[float]) -> None:
    np.testing.assert_allclose(FEATURES[name].fn(x), expected, atol=1e-12)
    out = apply_features(x, [name])
    assert out.shape == (2, 1) and out.dtype == np.float64
    np.testing.assert_allclose(out[:, 0], expected, atol=1e-12)


@pytest.mark.parametrize(
    ("name", "label", "latex", "needs"),
    [
        ("x1", "x₁", "x_1", (0,)),
        ("x2", "x₂", "x_2", (1,)),
        ("x1_sq", "x₁²", "x_1^2", (0,)),
        ("x2_sq", "x₂²", "x_2^2", (1,)),
        ("x1_x2", "x₁x₂", "x_1 x_2", (0, 1)),
        ("sin_x1", "sin(x₁)", r"\sin(x_1)", (0,)),
        ("sin_x2", "sin(x₂)", r"\sin(x_2)", (1,)),
    ],
)
def test_registry(name: str, label: str, latex: str, needs: tuple[int, ...]) -> None:
    feature = FEATURES[name]
    assert (feature.name, feature.label, feature.latex, feature.needs) == (
        name,
        label,
        latex,
        needs,
    )


def test_registry_is_complete() -> None:
    assert list(FEATURES) == ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]


@pytest.mark.parametrize(
    "names",
    [
        ["x1", "x2"],
        ["x2", "x1"],
        ["sin_x2", "x1_x2", "x1"],
        ["x2_sq", "sin_x1", "x1_sq", "x2"],
        list(reversed(FEATURES)),
    ],
)
def test_order_preserved(names: list[str]) -> None:
    x = np.random.default_rng(0).uniform(-6, 6, (5, 2))
    before = x.copy()
    out = apply_features(x, names)
    expected = np.column_stack([FEATURES[n].fn(x) for n in names])
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(x, before)  # input untouched


def test_one_dimensional_input() -> None:
    x = np.array([[1], [-2]])  # ints are accepted and converted
    np.testing.assert_allclose(
        apply_features(x, ["x1_sq", "x1", "sin_x1"])[:, :2], [[1, 1], [4, -2]]
    )


@pytest.mark.parametrize(
    ("x", "names", "kwargs", "text"),
    [
        (X_POLY, [], {}, "features: choose at least one feature"),
        (X_POLY, "x1", {}, "not the string 'x1'"),
        (X_POLY, ["x1", "x3"], {}, "features[1]: unknown feature 'x3'"),
        (X_POLY, [7], {}, "unknown feature 7"),
        (X_POLY, ["x1", "x2", "x1"], {}, "features[2]: feature 'x1' is listed twice"),
        (
            np.zeros((3, 1)),
            ["x1", "x2"],
            {"dataset_name": "sine"},
            "feature 'x2' needs 2-D input; dataset 'sine' is 1-D",
        ),
        (np.zeros((3, 1)), ["x1_x2"], {}, "feature 'x1_x2' needs 2-D input; the data is 1-D"),
        (np.zeros((3, 1)), ["sin_x2"], {"loc": "network.features"}, "network.features[0]"),
        (np.zeros(3), ["x1"], {}, "x: must be 2-D"),
    ],
)
def test_apply_features_rejects(
    x: np.ndarray, names: Any, kwargs: dict[str, Any], text: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(text)):
        apply_features(x, names, **kwargs)


@pytest.mark.parametrize(
    ("input_dim", "expected"), [(1, ["x1"]), (2, ["x1", "x2"]), (3, ["x1", "x2"])]
)
def test_default_features(input_dim: int, expected: list[str]) -> None:
    assert default_features(input_dim) == expected


def test_default_features_rejects_zero() -> None:
    with pytest.raises(ValueError, match="input_dim"):
        default_features(0)
