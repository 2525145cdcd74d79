"""Input feature transforms, as in TensorFlow Playground, chosen per network.

A network does not see a dataset's raw inputs (x₁, x₂) directly but the
features picked for it, e.g. x₁² and x₂² make the circle linearly separable. The
names ("x1", "x1_sq", …) are a stable API; each ``Feature`` carries its display
label, its LaTeX and the raw input columns it reads, so the page can explain the
input layer and the API can reject a feature the data cannot provide.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from app.engine.errors import SpecError

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Feature:
    """One input transform: ``fn`` maps raw inputs (N × d) to one column (N,)."""

    name: str
    label: str  # plain-text display, e.g. "x₁²"
    latex: str  # e.g. "x_1^2"
    needs: tuple[int, ...]  # raw input columns read, 0-based
    fn: Callable[[Array], Array]


# Every feature is one of these ops on its ``needs`` columns (i, or i and j). Keeping
# the op explicit lets apply_features compute all columns at once instead of calling
# fn per feature.
_IDENTITY, _PRODUCT, _SIN = "identity", "product", "sin"


def _make_fn(op: str, i: int, j: int) -> Callable[[Array], Array]:
    def fn(x_raw: Array) -> Array:
        x = np.asarray(x_raw, dtype=np.float64)
        if op == _PRODUCT:
            return x[:, i] * x[:, j]
        if op == _SIN:
            return np.sin(x[:, i])
        return x[:, i].copy()

    return fn


_TABLE: tuple[tuple[str, str, str, str, tuple[int, ...]], ...] = (
    # name, label, latex, op, needs
    ("x1", "x₁", "x_1", _IDENTITY, (0,)),
    ("x2", "x₂", "x_2", _IDENTITY, (1,)),
    ("x1_sq", "x₁²", "x_1^2", _PRODUCT, (0,)),
    ("x2_sq", "x₂²", "x_2^2", _PRODUCT, (1,)),
    ("x1_x2", "x₁x₂", "x_1 x_2", _PRODUCT, (0, 1)),
    ("sin_x1", "sin(x₁)", r"\sin(x_1)", _SIN, (0,)),
    ("sin_x2", "sin(x₂)", r"\sin(x_2)", _SIN, (1,)),
)

# A square is the product of a column with itself: j = needs[-1] = i.
_OPS: dict[str, tuple[str, int, int]] = {
    name: (op, needs[0], needs[-1]) for name, _, _, op, needs in _TABLE
}

FEATURES: dict[str, Feature] = {
    name: Feature(name, label, latex, needs, _make_fn(*_OPS[name]))
    for name, label, latex, _, needs in _TABLE
}


def _check_names(names: Sequence[str], loc: str) -> list[str]:
    if isinstance(names, str):
        raise SpecError(loc, f"must be a list of feature names, not the string {names!r}")
    names = list(names)
    if not names:
        raise SpecError(loc, "choose at least one feature")
    seen: set[str] = set()
    for k, name in enumerate(names):
        if not isinstance(name, str) or name not in FEATURES:
            raise SpecError(
                f"{loc}[{k}]", f"unknown feature {name!r}; choose from {', '.join(FEATURES)}"
            )
        if name in seen:
            raise SpecError(f"{loc}[{k}]", f"feature {name!r} is listed twice")
        seen.add(name)
    return names


def apply_features(
    x_raw: ArrayLike,
    names: Sequence[str],
    *,
    dataset_name: str | None = None,
    loc: str = "features",
) -> Array:
    """The N × len(names) float64 input matrix, columns in the order of ``names``.

    Raises SpecError (a ValueError) at ``loc[k]`` for an unknown or repeated name,
    or a feature that reads a column the data lacks; ``dataset_name`` only makes
    that message clearer.
    """
    names = _check_names(names, loc)
    x = np.asarray(x_raw, dtype=np.float64)
    if x.ndim != 2:
        raise SpecError("x", f"must be 2-D (rows × columns), got shape {x.shape}")
    dim = x.shape[1]
    for k, name in enumerate(names):
        want = max(FEATURES[name].needs) + 1
        if want > dim:
            data = f"dataset {dataset_name!r}" if dataset_name else "the data"
            raise SpecError(
                f"{loc}[{k}]", f"feature {name!r} needs {want}-D input; {data} is {dim}-D"
            )

    ops = [_OPS[name] for name in names]
    out = x[:, [i for _, i, _ in ops]]  # fancy indexing copies: every first column
    products = [k for k, (op, _, _) in enumerate(ops) if op == _PRODUCT]
    if products:
        out[:, products] *= x[:, [ops[k][2] for k in products]]
    sines = [k for k, (op, _, _) in enumerate(ops) if op == _SIN]
    if sines:
        out[:, sines] = np.sin(out[:, sines])
    return out


def default_features(input_dim: int) -> list[str]:
    """The raw inputs themselves: ["x1", "x2"] for 2-D (or wider) data, ["x1"] for 1-D."""
    if input_dim < 1:
        raise SpecError("input_dim", f"must be ≥ 1, got {input_dim}")
    return ["x1", "x2"] if input_dim >= 2 else ["x1"]
