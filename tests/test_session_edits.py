"""The edits a session makes on itself (no HTTP): one parameter, points, settings, a
restored history. The routers only call these; tests/api checks the answers around them."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from app.engine.errors import SpecError
from app.engine.training import METRICS_FIELDS
from app.presets import DEFAULT_REQUEST
from app.sessions import compute, specs
from app.sessions.session import Session


def _session() -> Session:
    return Session.create("s", specs.CreateSession.model_validate(copy.deepcopy(DEFAULT_REQUEST)))


def test_set_parameter_sets_exactly_one_weight_or_bias() -> None:
    s = _session()
    before = s.network.params.copy()
    s.set_parameter(2, "weight", 1, 3, 0.25)
    assert s.network.weights[1][1, 3] == 0.25
    s.set_parameter(1, "bias", 0, 0, -1.5)
    assert s.network.biases is not None and s.network.biases[0][0] == -1.5
    assert int((s.network.params != before).sum()) == 2


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ((4, "weight", 0, 0), "layer: must be between 1 and 3, got 4"),
        ((1, "weight", 4, 0), "row: layer 1 has 4 neurons (rows 0…3)"),
        ((1, "weight", 0, 2), "column: layer 0 has 2 neurons (columns 0…1)"),
    ],
)
def test_set_parameter_names_what_is_out_of_range(
    edit: tuple[int, str, int, int], message: str
) -> None:
    s = _session()
    before = s.network.params.copy()
    with pytest.raises(SpecError) as err:
        s.set_parameter(*edit, 1.0)
    assert str(err.value) == message
    np.testing.assert_array_equal(s.network.params, before)


def test_points_are_added_and_removed_per_split_and_the_inputs_follow() -> None:
    s = _session()
    n_train, n_test = len(s.data.x), len(s.data.test_x)
    s.add_point([0.5, -0.25], [1.0], "test", max_samples=1000)
    assert len(s.data.test_x) == n_test + 1 and len(s.inputs("test")[0]) == n_test + 1
    np.testing.assert_array_equal(s.data.test_x[-1], [0.5, -0.25])
    s.remove_point("train", 0)
    assert len(s.data.x) == n_train - 1 and len(s.inputs("train")[0]) == n_train - 1
    with pytest.raises(SpecError, match="classification labels must be 0 or 1"):
        s.add_point([0.0, 0.0], [0.5], "train", max_samples=1000)
    with pytest.raises(SpecError, match="already holds the limit of 200 points"):
        s.add_point([0.0, 0.0], [1.0], "train", max_samples=200)
    with pytest.raises(SpecError, match="out of range: the test set has"):
        s.remove_point("test", n_test + 1)


def test_a_new_optimizer_starts_without_the_old_ones_memory() -> None:
    s = _session()
    s.update_training({"optimizer": "momentum"})
    compute.run_steps(s, 2, False)
    assert set(s.opt_state) == {"velocity"}
    s.update_training({"learning_rate": 0.5})  # same optimiser: memory kept
    assert s.opt_state and s.training.learning_rate == 0.5
    s.update_training({"optimizer": "adam"})
    assert s.opt_state == {} and s.training.optimizer == "adam"


def test_a_restored_history_becomes_the_sessions_records_and_snapshots() -> None:
    s = _session()
    _, metrics, _ = compute.run_steps(s, 3, False)
    columns = {name: [getattr(m, name) for m in metrics] for name in METRICS_FIELDS}
    history = specs.History.model_validate(
        {"metrics": columns,
         "snapshots": [{"step": 3, "weights": [w.tolist() for w in s.network.weights],
                        "biases": [b.tolist() for b in s.network.biases or []]}]}
    )  # fmt: skip
    fresh = _session()
    fresh.step = 3  # an import restores the state (its step) before the history
    restored, restored_snapshots = fresh.restore_history(history)
    assert restored == metrics and fresh.metrics == metrics[-1]
    [(step, params)] = restored_snapshots
    assert step == 3
    np.testing.assert_array_equal(params, s.network.params)
