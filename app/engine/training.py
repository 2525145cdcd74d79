"""One SGD-family update, minibatch order, regularisation and metrics.

An update is the four steps of learning made concrete: forward, loss,
backward (``Network.backward``), then θ ← θ + Δθ with Δθ from the optimiser.
Regularisation adds λ₁ sign(W) (L1, penalty λ₁ Σ|w|) or λ₂ W (L2, penalty
½ λ₂ Σ w²) to the weights' gradient — never to the biases' — and only here,
in training: the traces the page shows are gradients of the data loss alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from app.engine.activations import Array, IndexArray
from app.engine.network import Network, Trace
from app.engine.optimizers import Optimizer, State


@dataclass(frozen=True)
class Regularization:
    kind: str = "none"  # "none" | "l1" | "l2"
    strength: float = 0.0

    def gradient(self, params: Array, weight_mask: Array) -> Array | None:
        """∂(penalty)/∂θ, or None when there is no penalty."""
        if self.kind == "none" or self.strength == 0.0:
            return None
        if self.kind == "l1":
            return self.strength * np.sign(params) * weight_mask
        return self.strength * params * weight_mask

    def penalty(self, params: Array, weight_mask: Array) -> float:
        w = params[weight_mask]
        if self.kind == "l1":
            return self.strength * float(np.abs(w).sum())
        if self.kind == "l2":
            return 0.5 * self.strength * float(w @ w)
        return 0.0


REGULARIZATIONS = ("none", "l1", "l2")


@dataclass(slots=True)
class StepResult:
    """A proposed update: the minibatch's trace, Δθ, and whether it was applied."""

    trace: Trace
    delta: Array  # Δθ in params' layout; Δθ of a diverged step is reported, not applied
    applied: bool

    @property
    def diverged(self) -> bool:
        return not self.applied


def all_finite(v: Array) -> bool:
    """Whether no element of ``v`` is NaN or ±inf.

    A finite Σv² proves it: one BLAS call (np.vdot, which unlike np.dot and np.add.reduce
    does not warn when the sum overflows), quicker than the finite Σv tested before. Only
    when it overflows or is NaN is the element-wise test needed (it is the answer then).
    """
    return math.isfinite(np.vdot(v, v)) or bool(np.isfinite(v).all())


def train_step(
    net: Network,
    optimizer: Optimizer,
    opt_state: State,
    x: Array,
    y: Array,
    regularization: Regularization | None = None,
) -> tuple[StepResult, State]:
    """One update on the minibatch (x, y); returns the result and the new optimiser state.

    A step whose loss or new parameters would be non-finite is not applied and
    the optimiser state is left as it was: the network stays usable. Overflow on
    the way there may raise numpy RuntimeWarnings; callers that expect it wrap
    their loop in one ``np.errstate`` (per step it would cost more than the step).
    """
    trace = net.backward(x, y)
    grad = trace.grad
    reg = regularization.gradient(net.params, net.weight_mask) if regularization else None
    if reg is not None:
        grad = grad + reg
    delta, new_state = optimizer.propose(grad, opt_state)
    new_params = net.params + delta
    if not (math.isfinite(trace.loss) and all_finite(new_params)):
        return StepResult(trace, delta, applied=False), opt_state
    net.params[:] = new_params
    return StepResult(trace, delta, applied=True), new_state


@dataclass
class Batcher:
    """Minibatch order: each epoch a fresh permutation drawn from ``default_rng([seed, epoch])``.

    The position (epoch, cursor) is all the state there is, so a stored session
    resumes the exact sequence of minibatches after a restart. The kernel draws the same
    orders, compiled (``kernel_rng``); this is the readable reference it is held to.
    """

    seed: int = 0
    epoch: int = 0
    cursor: int = 0
    _perm: IndexArray | None = field(default=None, repr=False, compare=False)
    _perm_key: tuple[int, int] = field(default=(-1, -1), repr=False, compare=False)

    def order(self, n: int) -> IndexArray:
        """This epoch's order of the n samples (a permutation, cached per epoch)."""
        if self._perm is None or self._perm_key != (self.epoch, n):
            perm: IndexArray = np.random.default_rng([self.seed, self.epoch]).permutation(n)
            self._perm, self._perm_key = perm, (self.epoch, n)
            return perm
        return self._perm

    def next_indices(self, n: int, batch_size: int) -> IndexArray:
        """Indices of the next minibatch of min(batch_size, n) samples out of n."""
        if batch_size >= n:
            self.epoch += 1
            return np.arange(n)
        if self.cursor >= n:
            self.epoch, self.cursor = self.epoch + 1, 0
        taken = self.order(n)[self.cursor : self.cursor + batch_size]
        self.cursor += len(taken)
        if len(taken) < batch_size:  # epoch boundary: finish with the next epoch's first ones
            self.epoch, self.cursor = self.epoch + 1, batch_size - len(taken)
            taken = np.concatenate([taken, self.order(n)[: self.cursor]])
        return taken


@dataclass(frozen=True)
class Metrics:
    """Per-step numbers for charts: losses, accuracy, per-layer gradient norms."""

    step: int
    train_loss: float
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    delta_norms: list[float]  # ‖δ^l‖ (Frobenius over the minibatch, divided by √B)
    grad_norms: list[float]  # ‖∂C/∂W^l‖ (Frobenius)


# The one list of a record's fields, in order: history columns, the restore of an export,
# the stored record and the catalog's ``metrics_fields`` all derive from it.
METRICS_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Metrics))


def accuracy(output: Array, y: Array) -> float:
    """Share of samples whose predicted class matches the target's."""
    if output.shape[1] == 1:
        right = np.count_nonzero((output[:, 0] >= 0.5) == (y[:, 0] >= 0.5))
    else:
        right = np.count_nonzero(output.argmax(axis=1) == y.argmax(axis=1))
    return float(right) / len(y) if len(y) else float("nan")  # (np.mean's answer, 3× faster)


def gradient_norms(trace: Trace) -> tuple[list[float], list[float]]:
    """‖δ^l‖ (Frobenius over the batch / √B, a per-sample size) and ‖∂C/∂W^l‖ per layer."""
    scale = 1.0 / np.sqrt(trace.x.shape[0])
    deltas = [float(np.sqrt(np.vdot(t.delta, t.delta)) * scale) for t in trace.layers]
    grads = [float(np.sqrt(np.vdot(t.grad_weights, t.grad_weights))) for t in trace.layers]
    return deltas, grads


def evaluate(
    net: Network, step: int, trace: Trace, x: Array, y: Array, n_train: int, classification: bool
) -> Metrics:
    """Loss and accuracy over the train rows (the first ``n_train``) and the test rows of
    one stacked (x, y), in a single forward pass; gradient norms from ``trace``."""
    return evaluate_with(net, step, gradient_norms(trace), x, y, n_train, classification)


def evaluate_with(
    net: Network,
    step: int,
    norms: tuple[list[float], list[float]],
    x: Array,
    y: Array,
    n_train: int,
    classification: bool,
) -> Metrics:
    """``evaluate`` with the last update's gradient norms given: (‖δ^l‖/√B, ‖∂C/∂W^l‖)."""
    fwd = net.forward(x)
    losses = net.loss.per_sample(fwd.zs[-1], fwd.output, y, net.sigmas[-1])
    train_loss = float(np.add.reduce(losses[:n_train])) / n_train
    test_loss = (
        float(np.add.reduce(losses[n_train:])) / (len(x) - n_train) if len(x) > n_train else None
    )
    train_acc = test_acc = None
    if classification:
        train_acc = accuracy(fwd.output[:n_train], y[:n_train])
        test_acc = accuracy(fwd.output[n_train:], y[n_train:]) if test_loss is not None else None
    deltas, grads = norms
    return Metrics(step, train_loss, test_loss, train_acc, test_acc, deltas, grads)
