"""An epoch's minibatch order, compiled: ``np.random.default_rng([seed, epoch]).permutation(n)``
bit for bit.

``Batcher.order`` (training.py) draws each epoch's order from a fresh Generator; building
it (SeedSequence, then PCG64) costs about 9 µs in Python, more than the 25 updates of a
Playground epoch take in the kernel. So the kernel draws the order itself, inside its
loop, by the three steps numpy takes (numpy 2.x: random/bit_generator.pyx, _pcg64.pyx,
src/pcg64/pcg64.h, src/distributions/distributions.c, _generator.pyx):

1. ``SeedSequence([seed, epoch])``: each int becomes its 32-bit words, low word first (one
   word below 2**32), hashed into a pool of four words; ``generate_state(4, uint64)``
   hashes the pool out again into eight words, paired low-first into four uint64.
2. ``PCG64``: those are the 128-bit initial state (words 0, 1 = high, low) and stream
   (words 2, 3), set as PCG's ``srandom`` does; each draw steps the 128-bit LCG and
   returns its XSL-RR output. ``next_uint32`` returns a draw's low half and keeps its
   high half for the next call.
3. ``permutation(n)``: arange(n) shuffled from the end (Fisher–Yates), index i swapped with
   ``random_interval(i)``: a masked draw in [0, i], retried while above i, from
   ``next_uint32`` while i fits in 32 bits (always, here) and ``next_uint64`` beyond.

numba has no 128-bit integer: the state is a (high, low) pair of uint64 and the multiply
goes by 64-bit halves. Every value is an explicit uint64 (numba turns uint64 mixed with a
signed int into int64 or float). tests/test_kernel_rng.py holds all of it to numpy.
"""

from __future__ import annotations

import numpy as np
from numba import njit

U0, U1 = np.uint64(0), np.uint64(1)
M32 = np.uint64(0xFFFFFFFF)
# SeedSequence's 32-bit hash constants (its arithmetic is mod 2**32: masked with M32)
INIT_A, MULT_A = np.uint64(0x43B0D7E5), np.uint64(0x931E8875)
INIT_B, MULT_B = np.uint64(0x8B51F9DD), np.uint64(0x58F38DED)
MIX_L, MIX_R = np.uint64(0xCA01F9DD), np.uint64(0x4973F715)
POOL = 4  # SeedSequence's default pool size, in 32-bit words
# PCG64's 128-bit LCG multiplier, high and low halves
MUL_HI, MUL_LO = np.uint64(2549297995355413924), np.uint64(4865540595714422341)

# The generator is a tuple of uint64, (state high, state low, stream high, stream low,
# whether next_uint32 keeps a high half, that half), passed and returned by value: LLVM
# inlines the small draws and keeps it in registers (an order of 250 takes ~2 µs; in an
# array, with its loads, stores and a call's refcounting, it took 4).
jit = njit(nogil=True, cache=True)


@jit
def _hashmix(value, const):
    """SeedSequence's hashmix: (the hashed value, the next hash constant)."""
    value = (value ^ const) & M32
    const = (const * MULT_A) & M32
    value = (value * const) & M32
    return value ^ (value >> 16), const


@jit
def _mix(x, y):
    """SeedSequence's mix of two pool words."""
    r = (MIX_L * x - MIX_R * y) & M32
    return r ^ (r >> 16)


@jit
def _put_words(value, words, count):
    """Appends a non-negative int's 32-bit words (low first; one for 0) at words[count]."""
    v = np.uint64(value)
    words[count] = v & M32
    if v >> 32:
        words[count + 1] = v >> 32
        return count + 2
    return count + 1


@jit
def _mul_hi(x, y):
    """The high 64 bits of the 128-bit product x·y, from 32-bit pieces."""
    x0, x1, y0, y1 = x & M32, x >> 32, y & M32, y >> 32
    w0 = x0 * y0
    t = x1 * y0 + (w0 >> 32)
    w1 = (t & M32) + x0 * y1
    return x1 * y1 + (t >> 32) + (w1 >> 32)


@jit
def _stepped(hi, lo, inc_hi, inc_lo):
    """state · MUL + inc mod 2**128 (PCG64's LCG step) as (high, low)."""
    # the low halves' product in full; the cross terms only matter mod 2**64
    p_hi = _mul_hi(lo, MUL_LO) + hi * MUL_LO + lo * MUL_HI
    new_lo = lo * MUL_LO + inc_lo
    return p_hi + inc_hi + (U1 if new_lo < inc_lo else U0), new_lo


@jit
def next_uint64(g):
    """PCG64's draw: (value, generator). A step, then the XSL-RR output of the new state:
    high ^ low, rotated right by the top 6 bits."""
    hi, lo, inc_hi, inc_lo, has_half, half = g
    hi, lo = _stepped(hi, lo, inc_hi, inc_lo)
    v, rot = hi ^ lo, hi >> 58
    return (v >> rot) | (v << ((np.uint64(64) - rot) & np.uint64(63))), (
        hi, lo, inc_hi, inc_lo, has_half, half,
    )  # fmt: skip


@jit
def _next_uint32(g):
    """A draw's low half, keeping its high half for the next call, which returns it."""
    if g[4]:
        return g[5], (g[0], g[1], g[2], g[3], U0, U0)
    v, g = next_uint64(g)
    return v & M32, (g[0], g[1], g[2], g[3], U1, v >> 32)


@jit
def seeded(seed, epoch):
    """The generator ``PCG64(SeedSequence([seed, epoch]))``; seed and epoch ≥ 0 (int64)."""
    words = np.zeros(POOL, dtype=np.uint64)  # at most 2 + 2 words: never more than the pool
    count = _put_words(epoch, words, _put_words(seed, words, 0))
    pool = np.zeros(POOL, dtype=np.uint64)
    const = INIT_A
    for i in range(POOL):  # the entropy, then hashed zeros, into the pool
        pool[i], const = _hashmix(words[i] if i < count else U0, const)
    for src in range(POOL):  # every word into every other, so late words reach early ones
        for dst in range(POOL):
            if src != dst:
                h, const = _hashmix(pool[src], const)
                pool[dst] = _mix(pool[dst], h)
    # generate_state(4, uint64): eight 32-bit words, paired low word first
    state = np.zeros(4, dtype=np.uint64)
    const = INIT_B
    for i in range(2 * POOL):
        v = (pool[i % POOL] ^ const) & M32
        const = (const * MULT_B) & M32
        v = (v * const) & M32
        v ^= v >> 16
        state[i // 2] |= v << (32 * (i % 2))
    # PCG's srandom: inc = 2·stream + 1; state = inc (one step from 0), + initial state, step
    inc_hi = (state[2] << 1) | (state[3] >> 63)
    inc_lo = (state[3] << 1) | U1
    lo = inc_lo + state[1]
    hi = inc_hi + state[0] + (U1 if lo < state[1] else U0)
    hi, lo = _stepped(hi, lo, inc_hi, inc_lo)
    return hi, lo, inc_hi, inc_lo, U0, U0


@jit
def interval(g, limit):
    """numpy's random_interval, (value, generator): uniform in [0, limit] by a masked draw,
    retried while > limit; 32-bit draws while limit fits in 32 bits."""
    top = np.uint64(limit)
    if top == U0:
        return U0, g
    mask = top | (top >> 1)  # the smallest all-ones mask ≥ top
    mask |= mask >> 2
    mask |= mask >> 4
    mask |= mask >> 8
    mask |= mask >> 16
    mask |= mask >> 32
    if top <= M32:
        value, g = _next_uint32(g)
        while (value & mask) > top:
            value, g = _next_uint32(g)
    else:
        value, g = next_uint64(g)
        while (value & mask) > top:
            value, g = next_uint64(g)
    return value & mask, g


@jit
def epoch_order(seed, epoch, order):
    """Fills ``order`` with ``default_rng([seed, epoch]).permutation(len(order))``."""
    n = order.shape[0]
    for i in range(n):
        order[i] = i
    g = seeded(seed, epoch)
    for i in range(n - 1, 0, -1):
        j, g = interval(g, i)
        k = np.int64(j)
        order[i], order[k] = order[k], order[i]


@jit
def bounded_draws(seed, epoch, top, out):
    """``out`` filled with successive ``interval(top)`` draws of that generator: what
    ``RandomState(PCG64([seed, epoch])).randint(0, top + 1, len(out), np.uint64)`` draws
    (the same masked rejection), so tests can reach the 64-bit branch."""
    g = seeded(seed, epoch)
    for k in range(out.shape[0]):
        out[k], g = interval(g, top)
