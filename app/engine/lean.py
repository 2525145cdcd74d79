"""Many updates in a row without traces: the loop behind play mode.

``train_step`` builds a full ``Trace`` (every z, a, δ and a ``LayerTrace`` per
layer) because one REST step shows all of it. Play mode shows none of that for
the updates between two frames, so this loop does exactly the same arithmetic
— the same floating-point operations in the same order, so the parameters,
optimiser state and minibatch position afterwards are bit-for-bit those of
calling ``train_step`` once per update — while skipping the objects, the
per-step gradient buffer and views, the per-step metrics and the loss itself
where a bound proves it finite. Each numpy call costs a microsecond or two at
these sizes, about what the arithmetic does, so the loop is written to make few.

The per-step safety checks are kept: a step whose minibatch loss or new
parameters would be non-finite is not applied, and the loop stops there.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from app.engine.activations import MODERATE_SQUARES, Array, sigmoid_moderate
from app.engine.network import LayerTrace, Network, Trace, ones_vector
from app.engine.optimizers import Optimizer, State
from app.engine.training import Batcher, Regularization, all_finite


@dataclass
class LeanRun:
    """What ``LeanTrainer.run`` did: updates applied, and whether it stopped on a refused one."""

    applied: int
    diverged: bool


class LeanTrainer:
    """Updates ``net`` on minibatches of (x, y) drawn by a ``Batcher``.

    Build one per chunk of work (it is cheap) or keep it while the network's
    architecture, data and settings stay the same; it holds no state that a
    stored session would need (that is ``net.params``, the optimiser state and
    the batcher's position).
    """

    def __init__(
        self,
        net: Network,
        optimizer: Optimizer,
        x: Array,
        y: Array,
        batch_size: int,
        regularization: Regularization | None = None,
    ) -> None:
        self.net = net
        self.optimizer = optimizer
        # C-contiguous, as the fancy-indexed minibatches of train_step are
        self.x, self.y = np.ascontiguousarray(x), np.ascontiguousarray(y)
        self.n = len(x)
        self.batch_size = batch_size
        # Regularization.gradient is None without a penalty; skip the call then.
        self._reg = (
            regularization
            if regularization is not None
            and regularization.kind != "none"
            and regularization.strength != 0.0
            else None
        )
        self._bce = net.loss_name == "bce"  # (whose output layer is always sigmoid)
        self._epoch_key: tuple[int, int] = (-1, -1)
        self._epoch_x, self._epoch_y = x[:0], y[:0]
        # One gradient buffer for the whole run, with its per-layer views made once. Every
        # element is overwritten by each backward pass (weights and biases by a product).
        self._grad = np.empty(net.n_params)
        grad_w, grad_b = net.views(self._grad)
        L = len(net.weights)
        self._grad_w = grad_w
        self._deltas: list[Array] = [np.empty((0, 0))] * L
        self._x = x[:0]
        # the forward pass's a^0 … a^{L-1} and z^1 … z^L, by index (lists made once)
        self._acts: list[Array] = [self._x] * L
        self._zs: list[Array] = [self._x] * L
        self._hidden = [(WT, sigma) for WT, _, sigma in net.forward_steps[:-1]]
        self._output = (net.forward_steps[-1][0], net.forward_steps[-1][2])
        self._bias_batch = -1  # the batch size the bias rows below are laid out for
        self._bias_index = np.empty(0, dtype=np.intp)
        self._bias_buffer = np.empty(0)
        self._bias_rows: list[Array | None] = [None] * L
        self._backward = [
            (
                grad_w[l],
                grad_b[l] if grad_b is not None else None,
                net.weights[l],
                net.sigmas[l - 1] if l > 0 else None,
            )
            for l in range(L - 1, -1, -1)
        ]

    def _layout_bias_rows(self, batch: int) -> None:
        """Lay out b^l repeated on ``batch`` rows, per layer, in one buffer that a single
        ``take`` from ``params`` refreshes (see ``step``)."""
        net = self.net
        blocks = [np.arange(p.b_start, p.end) for p in net.layout]
        self._bias_index = np.concatenate([np.tile(block, batch) for block in blocks])
        self._bias_buffer = np.empty(len(self._bias_index))
        rows: list[Array | None] = []
        offset = 0
        for block in blocks:
            size = batch * len(block)
            rows.append(self._bias_buffer[offset : offset + size].reshape(batch, len(block)))
            offset += size
        self._bias_rows, self._bias_batch = rows, batch

    def _loss_finite(self, z: Array, a: Array, y: Array, batch: int) -> bool:
        """Whether the minibatch loss C is finite (train_step refuses the step if not).

        C itself is never shown for these updates, so where a cheap bound proves it
        finite it is not computed: a bce term is at most 2|z| + ln 2 (targets lie in
        [0, 1]), so with |z| ≤ 1e300 a sum of fewer than 10⁷ of them cannot overflow.
        Otherwise, and for the other losses, C is computed as ``Network.backward`` does.
        """
        net = self.net
        if self._bce and z.size < 10_000_000:
            bound = max(z.max(), -z.min())
            if bound <= 1e300:  # (False for NaN)
                return True
        losses = net.loss.per_sample(z, a, y, net.sigmas[-1])
        return math.isfinite(float(np.add.reduce(losses)) / batch)

    def last_trace(self) -> Trace:
        """The last update's minibatch x, δ^l and ∂C/∂W^l as a ``Trace`` (z, a, per-sample
        losses left empty): enough for ``gradient_norms``/``evaluate``. Valid until the
        next update."""
        empty = np.empty((0, 0))
        layers = [
            LayerTrace(empty, empty, d, gw, None)
            for d, gw in zip(self._deltas, self._grad_w, strict=True)
        ]
        return Trace(self._x, float("nan"), np.empty(0), layers, self._grad)

    def _next_batch(self, batcher: Batcher) -> tuple[Array, Array]:
        """The rows ``batcher.next_indices`` would pick, advancing it the same way.

        Within an epoch the minibatch is a slice of the epoch's permuted copy of the
        data (gathered once per epoch) instead of a fancy-indexed copy per step: the
        same rows in the same C-contiguous layout, so the same arithmetic follows.
        """
        n, size = self.n, self.batch_size
        if size >= n:  # every sample, in order (x[arange(n)] is a copy of x: same numbers)
            batcher.epoch += 1
            return self.x, self.y
        cursor = batcher.cursor
        if cursor >= n:
            batcher.epoch, cursor = batcher.epoch + 1, 0
        end = cursor + size
        if end <= n:
            if self._epoch_key != (batcher.seed, batcher.epoch):
                perm = batcher.order(n)
                self._epoch_x, self._epoch_y = self.x[perm], self.y[perm]
                self._epoch_key = (batcher.seed, batcher.epoch)
            batcher.cursor = end
            return self._epoch_x[cursor:end], self._epoch_y[cursor:end]
        batcher.cursor = cursor
        idx = batcher.next_indices(n, size)  # across an epoch boundary
        return self.x[idx], self.y[idx]

    def step(self, batcher: Batcher, opt_state: State) -> tuple[bool, State]:
        """One update; (applied, optimiser state after it). A refused step leaves the
        parameters, the state and the batcher's position as they were."""
        net = self.net
        position = (batcher.epoch, batcher.cursor)
        x, y = self._next_batch(batcher)
        batch = x.shape[0]

        # forward: z^l = a^{l-1} Wᵀ + b, a^l = σ_l(z^l)  (as Network.forward)
        if net.bias:
            # z += b adds b to one row at a time; adding b already repeated on every row is
            # the same sums in half the time at play's batch sizes. One take refreshes the
            # rows of every layer from params ("clip": valid indices, no buffered copy).
            if batch != self._bias_batch:
                self._layout_bias_rows(batch)
            net.params.take(self._bias_index, None, self._bias_buffer, "clip")
        acts, zs, bias_rows = self._acts, self._zs, self._bias_rows
        a = x
        l = 0
        for WT, sigma in self._hidden:
            acts[l] = a
            z = a.dot(WT)
            if (rows := bias_rows[l]) is not None:
                z += rows
            zs[l] = z
            a = sigma.value(z)
            l += 1
        acts[l] = a
        WT, sigma_out = self._output
        z = a.dot(WT)
        if (rows := bias_rows[l]) is not None:
            z += rows
        zs[l] = z
        if self._bce and np.vdot(z, z) < MODERATE_SQUARES:
            # Every |z| < 709: there Sigmoid.value is this plain formula, and each bce term
            # is below 2·709 + ln 2, so C is finite without computing it (it is never shown).
            a = sigmoid_moderate(z)
            loss_finite = True
        else:
            a = sigma_out.value(z)
            loss_finite = self._loss_finite(z, a, y, batch)

        # backward (as Network.backward)
        delta = net.loss.output_delta(z, a, y, sigma_out)
        deltas = self._deltas
        ones = ones_vector(batch)
        for gw, gb, W, sigma_prev in self._backward:
            deltas[l] = delta
            a_prev = acts[l]
            np.dot(delta.T, a_prev, out=gw)
            if gb is not None:
                np.dot(ones, delta, out=gb)
            if sigma_prev is not None:
                delta = sigma_prev.vjp(zs[l - 1], a_prev, delta.dot(W))
            l -= 1
        self._x = x
        grad = self._grad
        if batch > 1:  # (× 1.0 changes no bit)
            grad *= 1.0 / batch

        # update (as train_step)
        if self._reg is not None:
            reg = self._reg.gradient(net.params, net.weight_mask)
            if reg is not None:
                grad = grad + reg
        delta_params, new_state = self.optimizer.propose(grad, opt_state)
        new_params = net.params + delta_params
        if not (loss_finite and all_finite(new_params)):
            batcher.epoch, batcher.cursor = position
            return False, opt_state
        net.params[:] = new_params
        return True, new_state

    def run(
        self,
        batcher: Batcher,
        opt_state: State,
        steps: int,
        deadline: float | None = None,
    ) -> tuple[LeanRun, State]:
        """Up to ``steps`` updates, stopping early at a refused one or, if given, once
        ``time.perf_counter()`` passes ``deadline`` (at least one update is made)."""
        applied = 0
        state = opt_state
        clock = time.perf_counter
        while applied < steps:
            ok, state = self.step(batcher, state)
            if not ok:
                return LeanRun(applied, True), state
            applied += 1
            if deadline is not None and clock() >= deadline:
                break
        return LeanRun(applied, False), state
