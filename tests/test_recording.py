"""Which steps of a run get a metrics record, and that each record is the step's own."""

from __future__ import annotations

import numpy as np

from app.engine.initializers import initialize
from app.engine.kernel import Trainer, evaluate_metrics
from app.engine.network import Network
from app.engine.optimizers import SGD, Momentum
from app.engine.recording import EvaluationSet, evaluation_interval, train_recorded
from app.engine.training import Batcher


def _setup(opt=None, hidden="tanh"):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    y = (x[:, :1] * x[:, 1:] > 0).astype(np.float64)
    net = Network([2, 6, 6, 1], [hidden, hidden, "sigmoid"], "bce")
    initialize(net, "he", 4)
    trainer = Trainer(net, opt or SGD(0.1), x[:40], y[:40], 8, compiled=True)
    return net, trainer, EvaluationSet(x, y, 40, True)


def test_records_at_the_start_every_e_steps_and_the_last():
    net, trainer, data = _setup()
    every = evaluation_interval(60, 8)
    assert every == 15  # ⌈2 · 60 / 8⌉
    done = train_recorded(trainer, Batcher(), {}, 40, 200, data, dense=50)
    later = [k for k in range(51, 241) if k % every == 0 or k == 240]
    assert [m.step for m in done.metrics] == [*range(41, 51), *later]
    assert done.applied == 200 and not done.refused
    assert [step for step, _ in done.params] == [m.step for m in done.metrics]
    np.testing.assert_array_equal(done.params[-1][1], net.params)


def test_each_record_is_the_evaluation_at_its_step():
    _, trainer, data = _setup()
    done = train_recorded(trainer, Batcher(), {}, 0, 80, data, dense=5)
    replay, trainer2, _ = _setup()
    batcher, state, step = Batcher(), dict[str, np.ndarray](), 0
    for record in done.metrics:
        _, state = trainer2.run(batcher, state, record.step - step)
        step = record.step
        want = evaluate_metrics(replay, step, trainer2.norms(), data.x, data.y, 40, True)
        assert record == want


def test_a_refused_step_ends_the_run_with_a_record_at_the_last_applied_one():
    net, trainer, data = _setup(Momentum(0.5, beta=0.99), "square")
    with np.errstate(all="ignore"):
        done = train_recorded(trainer, Batcher(), {}, 0, 5000, data, dense=0)
    assert done.refused and 0 < done.applied < 5000
    assert done.metrics[-1].step == done.applied
    assert np.all(np.isfinite(net.params))
