"""The kernel's epoch order is numpy's, bit for bit: ``default_rng([seed, epoch]).permutation(n)``.

Each step is held to the installed numpy: the seeded PCG64 state (SeedSequence, srandom),
the bounded draws (both branches of random_interval) and the permutations; then training
across many epochs in one kernel call against the reference ``Batcher``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.engine import kernel, kernel_loops, kernel_rng
from app.engine.initializers import initialize
from app.engine.kernel import Trainer
from app.engine.network import Network
from app.engine.optimizers import SGD, Adam, Momentum
from app.engine.training import Batcher
from tests.test_kernel import _close, _data, _reference

SEEDS = [0, 1, 42, 2**31, 2**32 - 1]
EPOCHS = [0, 1, 1000, 2**32 - 1, 2**32, 2**40 + 3]  # one and two 32-bit words
SIZES = [1, 2, 3, 10, 250, 1000, 4097, 100_000]


def _order(seed: int, epoch: int, n: int) -> Any:
    order = np.empty(n, dtype=np.int64)
    kernel_rng.epoch_order(seed, epoch, order)
    return order


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("epoch", EPOCHS)
def test_the_order_is_numpys_permutation(seed, epoch):
    for n in SIZES:
        want = np.random.default_rng([seed, epoch]).permutation(n)
        np.testing.assert_array_equal(_order(seed, epoch, n), want, err_msg=f"n = {n}")


def test_random_seeds_epochs_and_sizes():
    rng = np.random.default_rng(15)
    for _ in range(400):
        seed = int(rng.integers(0, 2**32))
        epoch = int(rng.integers(0, 2 ** int(rng.integers(1, 64))))  # every word count
        n = int(rng.integers(1, 3000))
        want = np.random.default_rng([seed, epoch]).permutation(n)
        np.testing.assert_array_equal(_order(seed, epoch, n), want, err_msg=f"{seed, epoch, n}")


@pytest.mark.parametrize(("seed", "epoch"), [(0, 0), (2**32 - 1, 2**63 - 1), (7, 2**32)])
def test_the_seeded_state_is_pcg64s(seed, epoch):
    """SeedSequence and PCG's srandom: the 128-bit state and stream numpy starts from."""
    hi, lo, inc_hi, inc_lo, has_half, _ = kernel_rng.seeded(seed, epoch)
    want = np.random.PCG64([seed, epoch]).state
    assert (int(hi) << 64) | int(lo) == want["state"]["state"]
    assert (int(inc_hi) << 64) | int(inc_lo) == want["state"]["inc"]
    assert not has_half and not want["has_uint32"]


# Spans of random_interval: 0 (no draw), 32-bit ones (next_uint32, its halves buffered),
# 2**32 − 1 (every 32-bit draw accepted), 64-bit ones (next_uint64), and 2**64 − 1.
TOPS = [0, 1, 5, 200, 2**31, 2**32 - 2, 2**32 - 1, 2**32, 2**32 + 1, 3 * 2**40,
        2**63, 2**63 + 12345, 2**64 - 2, 2**64 - 1]  # fmt: skip


@pytest.mark.parametrize("top", TOPS)
def test_bounded_draws_are_numpys_masked_rejection(top):
    """No order reaches the 64-bit branch (that takes n > 2**32 samples), so the draws are
    held to numpy's legacy ``RandomState.randint`` on the same PCG64: its uint64 path is
    the same masked rejection (gen_mask, then next_uint32 while the span fits in 32 bits,
    next_uint64 beyond), draw for draw. ``Generator.integers`` is not: it uses Lemire's
    method."""
    for seed, epoch in [(3, 9), (2**32 - 1, 2**40 + 3)]:
        got = np.zeros(2000, dtype=np.uint64)
        kernel_rng.bounded_draws(seed, epoch, np.uint64(top), got)
        legacy = np.random.RandomState(np.random.PCG64([seed, epoch]))
        want = legacy.randint(0, top + 1, size=2000, dtype=np.uint64)
        np.testing.assert_array_equal(got, want)
    if top == 2**64 - 1:  # no mask, no rejection: PCG64's raw output
        np.testing.assert_array_equal(got, np.random.PCG64([seed, epoch]).random_raw(2000))


@pytest.mark.parametrize(("n", "batch"), [(250, 10), (250, 7), (250, 33), (250, 249), (37, 8)])
def test_thousands_of_updates_across_epochs_follow_the_batcher(n, batch):
    """5,000 updates in one kernel call (each epoch's order drawn inside it), then more in
    pieces: the reference's θ, optimiser state and exact (epoch, cursor)."""
    rng = np.random.default_rng(n + batch)
    x, y = _data(n, 2, 1, "mse", rng)
    a = Network([2, 4, 2, 1], ["tanh", "tanh", "tanh"], "mse")
    initialize(a, "xavier", 0)
    b = a.copy()
    opt = Momentum(0.01, beta=0.9)
    _, state_a, _ = _reference(a, opt, None, x, y, ba := Batcher(3), batch, 6000)
    trainer = Trainer(b, opt, x, y, batch, compiled=True)
    bb = Batcher(3)
    run, state_b = trainer.run(bb, {}, 5000)
    for steps in (1, 7, 400, 592):  # in pieces, as Play trains frame after frame
        run, state_b = trainer.run(bb, state_b, steps)
    assert run.applied == 592 and not run.diverged
    assert (ba.epoch, ba.cursor) == (bb.epoch, bb.cursor)
    _close(b.params, a.params)
    _close(state_b["velocity"], state_a["velocity"])


def test_a_trainer_draws_the_order_of_each_batchers_seed():
    """A trainer remembers the order it drew; another seed at the same epoch is another order."""
    rng = np.random.default_rng(2)
    x, y = _data(50, 2, 1, "mse", rng)
    a = Network([2, 3, 1], ["tanh", "linear"], "mse")
    initialize(a, "he", 1)
    b = a.copy()
    trainer = Trainer(b, Adam(0.01), x, y, 6, compiled=True)
    state_a: dict[str, Any] = {}
    state_b: dict[str, Any] = {}
    for seed in (1, 2, 1):
        _, state_a, _ = _reference(a, Adam(0.01), None, x, y, Batcher(seed, 4, 20), 6, 3, state_a)
        _, state_b = trainer.run(Batcher(seed, 4, 20), state_b, 3)
        _close(b.params, a.params)


def test_a_negative_seed_or_epoch_is_refused_as_numpy_refuses_it():
    x, y = np.zeros((4, 1)), np.zeros((4, 1))
    trainer = Trainer(Network([1, 1], ["linear"], "mse"), SGD(0.1), x, y, 2, compiled=True)
    for batcher in (Batcher(-1), Batcher(0, -1)):
        with pytest.raises(ValueError, match="non-negative"):
            trainer.run(batcher, {}, 1)
        with pytest.raises(ValueError):
            batcher.order(4)


def test_the_warm_up_leaves_nothing_to_compile():
    """The order is compiled into ``train`` (a disk-cached ``train`` carries it), so after
    the warm-up a run at Playground's size crosses epochs without compiling anything."""
    kernel.warm_up()
    assert kernel.compiled()
    signatures = list(kernel_loops.train.signatures)
    x, y = _data(250, 2, 1, "mse", np.random.default_rng(0))
    net = Network([2, 4, 2, 1], ["tanh", "tanh", "tanh"], "mse")
    Trainer(net, SGD(0.03), x, y, 10, compiled=True).run(Batcher(9, 2**40), {}, 100)
    assert kernel_loops.train.signatures == signatures
