"""Typing bursts: key classes, press times and hold times, vectorized.

Calibrated to the 136M-keystrokes study (Dhakal et al., CHI 2018; subset
figures in ../shared/data/README.md): mean inter-key interval (IKI) 245.6 ms,
mean hold 119.7 ms, rollover 0.216, backspace 5.21 % of keystrokes, 51.5 WPM.

- IKIs are log-normal around the worker's median, scaled per burst (some
  text flows, some does not) with occasional hesitations (a heavy tail, as in
  real typing), and kept under 2 s: a longer pause ends the burst.
- Holds are log-normal around the worker's mean. Rollover (a key pressed
  before the previous one is released) then follows from fast IKIs meeting
  long holds, plus shift, which stays down until its letter is pressed.
- Backspaces come in runs after a mistake: a pause to notice it, then quick
  repeats. Their rate is set so they make up the worker's backspace share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from store.schema import KEY_CLASSES

K = {name: i for i, name in enumerate(KEY_CLASSES)}
# Key classes of the keys typed on purpose, per kind of text (backspace and
# shift are added afterwards). Order: letter digit punctuation space enter
# tab navigation function other.
_BASE = ("letter", "digit", "punctuation", "space", "enter", "tab", "navigation", "function", "other")
MIXES = {
    "prose": (0.805, 0.010, 0.025, 0.150, 0.006, 0.000, 0.004, 0.000, 0.000),
    "chat":  (0.790, 0.012, 0.028, 0.158, 0.010, 0.000, 0.002, 0.000, 0.000),
    "code":  (0.660, 0.030, 0.130, 0.130, 0.022, 0.010, 0.016, 0.001, 0.001),
    "shell": (0.640, 0.030, 0.140, 0.150, 0.025, 0.012, 0.003, 0.000, 0.000),
    "sheet": (0.250, 0.460, 0.090, 0.040, 0.080, 0.060, 0.020, 0.000, 0.000),
}
MIX_NAMES = tuple(MIXES)
_CUM = np.cumsum(np.array(list(MIXES.values())), axis=1)
_CUM /= _CUM[:, -1:]
_CUM_FLAT = (_CUM + np.arange(len(MIXES))[:, None]).ravel()  # row r lives in (r, r + 1]
_BASE_CODES = np.array([K[c] for c in _BASE], dtype=np.int8)

MAX_IKI_S = 1.9          # the query's burst ends at a pause over 2 s
HESITATE_P = 0.06        # share of intervals with a moment of thought
RUN_CONTINUE_P = 0.4     # a backspace run goes on with this chance per key
BURST_SIGMA = 0.43       # spread of speed between bursts (log scale)
HOLD_SIGMA = 0.32


@dataclass
class Typed:
    """Keys of K bursts in burst order; offsets are seconds from the burst's first press."""

    burst: np.ndarray    # (n,) which burst
    offset: np.ndarray   # (n,) press time within the burst
    hold: np.ndarray     # (n,) seconds held
    key_class: np.ndarray  # (n,) int8 index into KEY_CLASSES
    length: np.ndarray   # (K,) keys per burst
    duration: np.ndarray  # (K,) first press to last release


def seg_cumsum(x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sums restarting for each run of ``counts`` items."""
    c = np.concatenate(([0.0], np.cumsum(x)))
    starts = np.cumsum(counts) - counts
    return c[1:] - np.repeat(c[starts], counts)


def base_lengths(rng, mean_keys: np.ndarray) -> np.ndarray:
    """Keys typed on purpose per burst: log-normal, from single keys to long paragraphs."""
    sigma = 0.8
    spread = np.exp(sigma * rng.standard_normal(len(mean_keys)) - sigma**2 / 2)
    return np.maximum(1, np.rint(mean_keys * spread)).astype(np.int64)


def type_bursts(rng, w, mix: np.ndarray, base_len: np.ndarray) -> Typed:
    """Generate bursts of ``base_len`` intended keys in text kinds ``mix`` for worker ``w``."""
    n_base = int(base_len.sum())
    if n_base == 0:
        empty = np.zeros(0)
        return Typed(empty.astype(np.int64), empty, empty, empty.astype(np.int8), empty.astype(np.int64), empty)
    owner = np.repeat(np.arange(len(base_len)), base_len)
    cls = _BASE_CODES[np.searchsorted(_CUM_FLAT, mix[owner] + rng.random(n_base)) % len(_BASE)]
    # Shift before some letters; a backspace run after some keys. The error
    # rate is solved so backspaces end up as w.backspace of all keystrokes.
    shifted = (cls == K["letter"]) & (rng.random(n_base) < w.shift)
    run_mean = 1 / (1 - RUN_CONTINUE_P)
    error_p = w.backspace * (1 + shifted.mean()) / (run_mean * (1 - w.backspace))
    runs = np.where(rng.random(n_base) < error_p, rng.geometric(1 - RUN_CONTINUE_P, n_base), 0)
    per = shifted + 1 + runs
    src = np.repeat(np.arange(n_base), per)
    pos = np.arange(len(src)) - np.repeat(np.cumsum(per) - per, per)
    pre = shifted[src]
    is_shift = pre & (pos == 0)
    is_back = pos > pre
    key_class = np.where(is_shift, K["modifier"], np.where(is_back, K["backspace"], cls[src])).astype(np.int8)
    kburst = owner[src]
    length = np.bincount(kburst, minlength=len(base_len))

    n = len(src)
    factor = np.exp(BURST_SIGMA * rng.standard_normal(len(base_len)) - BURST_SIGMA**2 / 2)
    iki = w.iki_ms / 1000 * factor[kburst] * np.exp(w.iki_sigma * rng.standard_normal(n))
    iki = np.where(rng.random(n) < HESITATE_P, iki * rng.uniform(1.8, 4.0, n), iki)
    after_shift = np.concatenate(([False], is_shift[:-1]))
    first_back = is_back & (pos == pre + 1)
    iki = np.where(after_shift, iki * 0.55, iki)       # shift and its letter go together
    iki = np.where(first_back, iki * 1.5, iki)         # noticing the mistake
    iki = np.where(is_back & ~first_back, iki * 0.7, iki)  # then quick repeats
    first = np.concatenate(([0], np.cumsum(length)[:-1]))
    iki = np.clip(iki, 0.025, MAX_IKI_S)
    iki[first] = 0.0
    offset = seg_cumsum(iki, length)

    # Holds shorten a little when a burst flows (keys are struck, not pressed).
    hold_median = w.hold_ms / 1000 * np.exp(-HOLD_SIGMA**2 / 2) * np.sqrt(factor)[kburst]
    hold = hold_median * np.exp(HOLD_SIGMA * rng.standard_normal(n))
    next_iki = np.concatenate((iki[1:], [0.0]))
    # Shift stays down until just after its letter is pressed; a repeated
    # backspace is the same key, released before it can be pressed again.
    hold = np.where(is_shift, next_iki + rng.uniform(0.03, 0.11, n), hold)
    repeat = np.concatenate((is_back[1:] & is_back[:-1] & (kburst[1:] == kburst[:-1]), [False]))
    hold = np.where(repeat, np.minimum(hold, next_iki * rng.uniform(0.5, 0.9, n)), hold)
    hold = np.maximum(hold, 0.008)
    duration = np.maximum.reduceat(offset + hold, first)
    return Typed(kburst, offset, hold, key_class, length, duration)
