"""Engine benchmark: one training update (forward, backward, SGD) per path, and PyTorch.

Columns: ``train_step``, the numpy reference, which also builds the full trace a taught
step shows (every z, a, δ and gradient); the compiled kernel (app/engine/kernel.py) on
a 500-point dataset, minibatches from a Batcher; ``trainer``, whichever of the two the
kernel's size rule picks — what REST and Play train with; and a torch autograd step.

Times are medians of short rounds (a few ms each) in which the three steps take
turns, so all see the same drift in machine load, and the table reports the ratio
torch/numpy measured side by side, because absolute times on a shared machine
drift between runs. PyTorch is optional (``pip install torch``).
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from app.engine import kernel
from app.engine.initializers import initialize
from app.engine.kernel import Trainer, uses_kernel
from app.engine.network import Network
from app.engine.optimizers import SGD
from app.engine.training import Batcher, train_step

CASES = [
    ([2, 4, 2, 1], 10),  # TensorFlow Playground's default
    ([2, 8, 8, 1], 1),
    ([2, 8, 8, 1], 32),
    ([2, 8, 8, 1], 256),
    ([2, 32, 32, 32, 32, 1], 32),
    ([2, 32, 32, 32, 32, 1], 256),
]
ACTIVATIONS = ("tanh", "relu")
KERNEL_UPDATES = 20  # updates per timed call of the kernel: its call costs a few µs


def _network(layers: list[int], hidden: str) -> Network:
    net = Network(layers, [hidden] * (len(layers) - 2) + ["sigmoid"], "bce")
    initialize(net, "xavier", 0)
    return net


def _numpy_step(layers: list[int], batch: int, hidden: str) -> Callable[[], None]:
    net = _network(layers, hidden)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, layers[0]))
    y = (rng.uniform(size=(batch, 1)) > 0.5).astype(np.float64)
    opt, state = SGD(0.01), dict[str, np.ndarray]()

    def step() -> None:
        train_step(net, opt, state, x, y)

    return step


def _trainer_steps(
    layers: list[int], batch: int, hidden: str, compiled: bool | None
) -> Callable[[], None]:
    """``KERNEL_UPDATES`` updates per call by the training kernel (or, with ``compiled``
    None, by whichever path its size rule picks) over 500 points."""
    net = _network(layers, hidden)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, layers[0]))
    y = (rng.uniform(size=(500, 1)) > 0.5).astype(np.float64)
    trainer, batcher = Trainer(net, SGD(0.01), x, y, batch, compiled=compiled), Batcher()
    state: dict[str, np.ndarray] = {}

    def steps() -> None:
        trainer.run(batcher, state, KERNEL_UPDATES)

    return steps


def _torch_step(layers: list[int], batch: int, hidden: str) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[hidden]
    mods: list[Any] = []
    for n_in, n_out in itertools.pairwise(layers):
        mods += [torch.nn.Linear(n_in, n_out, dtype=torch.float64), act()]
    model = torch.nn.Sequential(*mods[:-1])
    loss_fn = torch.nn.BCEWithLogitsLoss()  # sigmoid + bce, as the numpy network
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, layers[0], dtype=torch.float64, generator=gen)
    y = (torch.rand(batch, 1, dtype=torch.float64, generator=gen) > 0.5).double()

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def _calls_per_round(fn: Callable[[], None], seconds: float = 0.004) -> int:
    """How many calls of ``fn`` take about ``seconds`` (after a warm-up)."""
    for _ in range(20):
        fn()
    t0 = time.perf_counter()
    for _ in range(10):
        fn()
    return max(1, round(seconds / ((time.perf_counter() - t0) / 10)))


def _interleaved(fns: list[Callable[[], None]], seconds: float) -> list[float]:
    """Median seconds per call of each function, timed in short rounds (a few ms each)
    that take turns, in a rotating order, for ``seconds`` in all: every function sees
    the same drift in machine load, so their ratios stay fair on a shared machine."""
    counts = [_calls_per_round(fn) for fn in fns]
    rounds: list[list[float]] = [[] for _ in fns]
    end = time.perf_counter() + seconds
    turn = 0
    while time.perf_counter() < end or turn < 3 * len(fns):
        for k in range(len(fns)):
            i = (turn + k) % len(fns)
            fn, n = fns[i], counts[i]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            rounds[i].append((time.perf_counter() - t0) / n)
        turn += 1
    return [statistics.median(r) for r in rounds]


def run(seconds: float = 0.5) -> list[dict[str, Any]]:
    kernel.warm_up()
    rows = []
    with threadpool_limits(1):
        for hidden in ACTIVATIONS:
            for layers, batch in CASES:
                fns = [
                    _numpy_step(layers, batch, hidden),
                    _trainer_steps(layers, batch, hidden, True),
                    _trainer_steps(layers, batch, hidden, None),
                ]
                torch_fn = _torch_step(layers, batch, hidden)
                times = _interleaved(fns + ([torch_fn] if torch_fn else []), 3 * seconds)
                np_us = times[0] * 1e6
                kernel_us, trainer_us = (t * 1e6 / KERNEL_UPDATES for t in times[1:3])
                torch_us = times[3] * 1e6 if torch_fn else None
                rows.append(
                    {
                        "network": "-".join(map(str, layers)),
                        "hidden": hidden,
                        "batch": batch,
                        "numpy_us": round(np_us, 1),
                        "kernel_us": round(kernel_us, 2),
                        "trainer_us": round(trainer_us, 2),
                        "path": "kernel" if uses_kernel(layers, batch) else "BLAS",
                        "torch_us": round(torch_us, 1) if torch_us else None,
                        "speedup": round(torch_us / np_us, 2) if torch_us else None,
                        "trainer_speedup": round(torch_us / trainer_us, 2) if torch_us else None,
                    }
                )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
