"""The compiled loops behind ``app.engine.kernel``: one sample at a time, scalar by scalar.

Compiled by numba (``nogil``: a training thread releases the GIL; ``cache``: compiled
once per machine, see ``kernel.py``). The arithmetic is the reference's
(``Network.backward``, the losses, ``train_step``, the optimisers) written out per
scalar; only the order of the sums differs from numpy's BLAS, so results agree with it
to about 1e−15 relative per step.

Parameters arrive as the flat vector θ with per-layer offsets (``Network.layout``):
W^l is ``p[w0[l]:b0[l]]`` row-major n_l × n_{l−1}, b^l ``p[b0[l]:b0[l]+n_l]``.
Activations, losses and optimisers are small integer codes (``kernel.py`` maps names).
Unit buffers hold every layer's values of one sample side by side: layer l's n_l values
start at ``off[l]`` (layer 0 is a^0 = x).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from app.engine.kernel_rng import epoch_order

# activation codes
SIGMOID, TANH, RELU, LEAKY_RELU, LINEAR, SOFTPLUS, SQUARE, SOFTMAX = range(8)
# loss codes
MSE, BCE, CROSS_ENTROPY = range(3)
# optimiser codes
SGD, MOMENTUM, ADAM = range(3)
# regularisation codes
NO_REG, L1, L2 = range(3)
# why a run stopped
DONE, REFUSED = 0, 1

LEAKY_SLOPE = 0.01
LN2 = math.log(2.0)
TINY = float(np.finfo(np.float64).tiny)

# Every loop: nogil, cache=True, and numpy's error model (x / 0 is ±inf or NaN as in the
# reference, not ZeroDivisionError).
jit = njit(nogil=True, cache=True, error_model="numpy")


@jit
def _logaddexp0(z: float) -> float:
    """ln(1 + e^z) as numpy's logaddexp(0, z) computes it."""
    if z == 0.0:
        return LN2
    if z > 0.0:
        return z + math.log1p(math.exp(-z))
    if z < 0.0:
        return math.log1p(math.exp(z))
    return z  # NaN


@jit
def _sigmoid(z: float) -> float:
    if z > -709.0:
        return 1.0 / (1.0 + math.exp(-z))
    if z <= -709.0:
        return 0.0
    return z  # NaN


@jit
def _value(code: int, z: float) -> float:
    """σ(z) for an element-wise activation."""
    if code == TANH:
        return math.tanh(z)
    if code == SIGMOID:
        return _sigmoid(z)
    if code == RELU:
        return z if z > 0.0 or z != z else 0.0
    if code == LEAKY_RELU:
        return z if z > 0.0 else LEAKY_SLOPE * z
    if code == SOFTPLUS:
        return _logaddexp0(z)
    if code == SQUARE:
        return z * z
    return z  # LINEAR


@jit
def _derivative(code: int, z: float, a: float) -> float:
    """σ'(z) for an element-wise activation, given a = σ(z)."""
    if code == TANH:
        return 1.0 - a * a
    if code == SIGMOID:
        return a * (1.0 - a)
    if code == RELU:
        return 1.0 if a > 0.0 else 0.0
    if code == LEAKY_RELU:
        return 1.0 if z > 0.0 else LEAKY_SLOPE
    if code == SOFTPLUS:
        return _sigmoid(z)
    if code == SQUARE:
        return 2.0 * z
    return 1.0  # LINEAR


@jit
def forward_row(layers, acts, w0, b0, bias, p, off, z, a, base):
    """z^l = W^l a^{l−1} + b^l, a^l = σ_l(z^l) for one sample whose units start at ``base``
    in z and a (its a^0 already there)."""
    L = len(layers) - 1
    for l in range(1, L + 1):
        n_in, n_out = layers[l - 1], layers[l]
        src, dst, w, code = base + off[l - 1], base + off[l], w0[l - 1], acts[l - 1]
        for j in range(n_out):
            s = 0.0
            row = w + j * n_in
            for k in range(n_in):
                s += p[row + k] * a[src + k]
            if bias:
                s += p[b0[l - 1] + j]
            z[dst + j] = s
        if code == SOFTMAX:
            top = z[dst]
            for j in range(1, n_out):
                top = max(top, z[dst + j])
            total = 0.0
            for j in range(n_out):
                e = math.exp(z[dst + j] - top)
                a[dst + j] = e
                total += e
            for j in range(n_out):
                a[dst + j] = a[dst + j] / total
        else:
            for j in range(n_out):
                a[dst + j] = _value(code, z[dst + j])


@jit
def sample_loss(loss, out_code, z, a, y, start, n_out):
    """C_b of one sample from its output layer's z and a (``losses.py``)."""
    c = 0.0
    if loss == MSE:
        for j in range(n_out):
            d = a[start + j] - y[j]
            c += d * d
        return 0.5 * c
    if loss == BCE:
        for j in range(n_out):
            zj = z[start + j]
            c += _logaddexp0(zj) - y[j] * zj
        return c
    top, total = 0.0, 0.0
    if out_code == SOFTMAX:
        top = z[start]
        for j in range(1, n_out):
            top = max(top, z[start + j])
        for j in range(n_out):
            total += math.exp(z[start + j] - top)
        total = math.log(total)
    for j in range(n_out):
        if y[j] != 0.0:
            zj = z[start + j]
            if out_code == SIGMOID:
                log_a = -_logaddexp0(-zj)
            elif out_code == SOFTMAX:
                log_a = zj - top - total
            else:
                log_a = math.log(max(a[start + j], TINY))
            c -= y[j] * log_a
    return c


@jit
def _output_delta(loss, out_code, z, a, y, start, n_out, delta):
    """δ^L = J_σ(z^L)ᵀ ∇_a C_b in the closed forms ``losses.py`` uses."""
    if loss == BCE:  # (sigmoid output)
        for j in range(n_out):
            delta[start + j] = a[start + j] - y[j]
    elif loss == CROSS_ENTROPY:
        if out_code == SOFTMAX:
            ysum = 0.0
            for j in range(n_out):
                ysum += y[j]
            for j in range(n_out):
                delta[start + j] = a[start + j] * ysum - y[j]
        else:  # sigmoid
            for j in range(n_out):
                delta[start + j] = -y[j] * (1.0 - a[start + j])
    else:  # mse: g = a − y through σ
        for j in range(n_out):
            delta[start + j] = a[start + j] - y[j]
        _vjp(out_code, z, a, delta, start, n_out)


@jit
def _vjp(code, z, a, g, start, n):
    """g ← J_σ(z)ᵀ g in place for one sample's layer: g ⊙ σ'(z), or a ⊙ (g − a·g)."""
    if code == LINEAR:
        return
    if code == SOFTMAX:
        dot = 0.0
        for j in range(n):
            dot += a[start + j] * g[start + j]
        for j in range(n):
            g[start + j] = a[start + j] * (g[start + j] - dot)
        return
    for j in range(n):
        g[start + j] = g[start + j] * _derivative(code, z[start + j], a[start + j])


@jit
def _order(seed, epoch, order, ordered):
    """Makes ``order`` epoch's order unless it already is (``ordered`` = its [seed, epoch])."""
    if ordered[0] != seed or ordered[1] != epoch:
        epoch_order(seed, epoch, order)
        ordered[0], ordered[1] = seed, epoch


@jit
def train(
    layers, acts, loss, w0, b0, bias, params,
    x, y, batch, seed, order, ordered, position,
    optimizer, hyper, state_a, state_b, reg, strength, weight_mask,
    steps, delta_out, grad_out, norms,
):  # fmt: skip
    """Up to ``steps`` updates; returns (applied, DONE or REFUSED).

    ``position`` is the Batcher's [epoch, cursor], advanced as ``Batcher.next_indices``
    does. ``order`` holds the order of the [seed, epoch] in ``ordered`` (kept between
    calls) and is drawn afresh, as ``Batcher.order`` would, on reaching another epoch.
    ``hyper`` = [η, μ or β₁, β₂, ε, t]; the optimiser state (velocity, or Adam's m and v,
    and t in ``hyper[4]``) is updated in place. A step whose minibatch loss or new θ is
    non-finite is not applied, and the run stops there. Of the last applied update,
    ``delta_out`` receives Δθ, ``grad_out`` the minibatch gradient ∂C/∂θ (before the
    penalty) and ``norms`` its ‖δ^l‖/√B and ‖∂C/∂W^l‖ (rows 0 and 1).
    """
    L = len(layers) - 1
    n = x.shape[0]
    n_params = params.shape[0]
    off = np.zeros(L + 2, dtype=np.int64)
    for l in range(L + 1):
        off[l + 1] = off[l] + layers[l]
    width = off[L + 1]
    n_out, out_start, out_code = layers[L], off[L], acts[L - 1]
    B = min(batch, n)
    z = np.zeros(B * width)
    a = np.zeros(B * width)
    d = np.zeros(B * width)
    rows = np.zeros(B, dtype=np.int64)
    grad = np.zeros(n_params)
    new = np.zeros(n_params)
    change = np.zeros(n_params)
    new_a = np.zeros(state_a.shape[0])
    new_b = np.zeros(state_b.shape[0])
    dn = np.zeros(L)
    gn = np.zeros(L)
    lr, beta1, beta2, eps = hyper[0], hyper[1], hyper[2], hyper[3]
    inv_b = 1.0 / B
    for step in range(steps):
        # the minibatch, as Batcher.next_indices picks it
        epoch, cursor = position[0], position[1]
        if batch >= n:
            for b in range(B):
                rows[b] = b
            epoch += 1
        else:
            if cursor >= n:
                epoch, cursor = epoch + 1, 0
            _order(seed, epoch, order, ordered)
            take = min(B, n - cursor)
            for b in range(take):
                rows[b] = order[cursor + b]
            cursor += take
            if take < B:
                epoch += 1
                _order(seed, epoch, order, ordered)
                for b in range(B - take):
                    rows[take + b] = order[b]
                cursor = B - take

        # forward and backward, one sample at a time
        for i in range(n_params):
            grad[i] = 0.0
        for l in range(L):
            dn[l] = 0.0
        c_sum, z_max = 0.0, 0.0
        for b in range(B):
            base = b * width  # this sample's units in z, a and d
            r = rows[b]
            for k in range(layers[0]):
                a[base + k] = x[r, k]
            forward_row(layers, acts, w0, b0, bias, params, off, z, a, base)
            yb = y[r]
            if loss == BCE:  # C is finite where every |z| ≤ 1e300 (see kernel.py)
                for j in range(n_out):
                    v = abs(z[base + out_start + j])
                    z_max = max(z_max, v) if v == v else math.inf
            else:
                c_sum += sample_loss(loss, out_code, z, a, yb, base + out_start, n_out)
            _output_delta(loss, out_code, z, a, yb, base + out_start, n_out, d)
            # ∂C/∂W^l += δ^l (a^{l−1})ᵀ and, in the same pass over W^l's rows,
            # δ^{l−1} = (W^l)ᵀ δ^l (summed over j in order), then ⊙ σ'(z^{l−1})
            for l in range(L, 0, -1):
                n_in, n_l, src, dst = layers[l - 1], layers[l], base + off[l - 1], base + off[l]
                w = w0[l - 1]
                back = l > 1
                if back:
                    for k in range(n_in):
                        d[src + k] = 0.0
                s = 0.0
                for j in range(n_l):
                    dj = d[dst + j]
                    s += dj * dj
                    row = w + j * n_in
                    for k in range(n_in):
                        grad[row + k] += dj * a[src + k]
                    if back:
                        for k in range(n_in):
                            d[src + k] += dj * params[row + k]
                    if bias:
                        grad[b0[l - 1] + j] += dj
                dn[l - 1] += s
                if back:
                    _vjp(acts[l - 2], z, a, d, src, n_in)
        if loss == BCE:
            loss_finite = z_max <= 1e300 and B * n_out < 10_000_000
            if not loss_finite:
                c_sum = 0.0
                for b in range(B):
                    start = b * width + out_start
                    c_sum += sample_loss(loss, out_code, z, a, y[rows[b]], start, n_out)
                loss_finite = math.isfinite(c_sum / B)
        else:
            loss_finite = math.isfinite(c_sum / B)
        if B > 1:
            for i in range(n_params):
                grad[i] *= inv_b

        # the norms the metrics record, of the data gradient (before regularisation)
        scale = 1.0 / math.sqrt(B)
        for l in range(L):
            s = 0.0
            for i in range(w0[l], b0[l]):
                s += grad[i] * grad[i]
            dn[l] = math.sqrt(dn[l]) * scale
            gn[l] = math.sqrt(s)
        # the optimiser's proposal for g = ∂C/∂θ + the penalty's gradient (weights only),
        # applied only if θ stays finite
        finite = loss_finite
        if optimizer == ADAM:
            t = hyper[4] + 1.0
            c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t
        for i in range(n_params):
            g = grad[i]
            if reg != NO_REG and weight_mask[i]:
                wi = params[i]
                if reg == L2:
                    g = g + strength * wi
                elif wi > 0.0:
                    g = g + strength
                elif wi < 0.0:
                    g = g - strength
            if optimizer == SGD:
                step_i = -lr * g
            elif optimizer == MOMENTUM:
                step_i = beta1 * state_a[i] - lr * g
                new_a[i] = step_i
            else:
                m = beta1 * state_a[i] + (1.0 - beta1) * g
                v = beta2 * state_b[i] + (1.0 - beta2) * g * g
                new_a[i], new_b[i] = m, v
                step_i = -lr * (m / c1) / (math.sqrt(v / c2) + eps)
            change[i] = step_i
            new[i] = params[i] + step_i
            if not math.isfinite(new[i]):
                finite = False
        if not finite:
            return step, REFUSED
        for i in range(n_params):
            params[i] = new[i]
            delta_out[i] = change[i]
            grad_out[i] = grad[i]
        for l in range(L):
            norms[0, l], norms[1, l] = dn[l], gn[l]
        if optimizer == MOMENTUM:
            state_a[:] = new_a
        elif optimizer == ADAM:
            state_a[:] = new_a
            state_b[:] = new_b
            hyper[4] = t
        position[0], position[1] = epoch, cursor
    return steps, DONE


@jit
def evaluate(layers, acts, loss, w0, b0, bias, params, x, y, n_train, out):
    """Σ C_b over the train rows (the first ``n_train``) and the test rows, and how many
    of each are classified right (``training.accuracy``): ``out`` = [train Σ, test Σ,
    train right, test right]."""
    L = len(layers) - 1
    off = np.zeros(L + 2, dtype=np.int64)
    for l in range(L + 1):
        off[l + 1] = off[l] + layers[l]
    width = off[L + 1]
    n_out, start, out_code = layers[L], off[L], acts[L - 1]
    z = np.zeros(width)
    a = np.zeros(width)
    for i in range(4):
        out[i] = 0.0
    for r in range(x.shape[0]):
        for k in range(layers[0]):
            a[k] = x[r, k]
        forward_row(layers, acts, w0, b0, bias, params, off, z, a, 0)
        yr = y[r]
        c = sample_loss(loss, out_code, z, a, yr, start, n_out)
        if n_out == 1:
            right = (a[start] >= 0.5) == (yr[0] >= 0.5)
        else:
            best, target = 0, 0
            for j in range(1, n_out):
                if a[start + j] > a[start + best]:
                    best = j
                if yr[j] > yr[target]:
                    target = j
            right = best == target
        side = 0 if r < n_train else 1
        out[side] += c
        if right:
            out[2 + side] += 1.0
