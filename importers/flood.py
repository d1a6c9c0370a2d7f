"""ActivityWatch's ``flood`` transform (aw-core 0.5.18), for ``--flood``.

ActivityWatch's dashboards do not sum recorded durations: they first "flood"
each bucket, filling gaps of at most ``pulsetime`` seconds (5 by default)
that heartbeats leave between events. Reimplemented here on integer
microseconds so the result does not depend on aw-core being installed.

The steps, as aw-core 0.5.18 has them:

1. Sort by (start, duration).
2. For each consecutive pair (e1, e2), gap = e2.start - e1.end:
   - gap 0: nothing.
   - gap < 0 and equal data: merge into e1 (span the union), e2 becomes empty.
   - gap < -0.1 s and different data: left overlapping (step 3 resolves it).
   - -0.1 s < gap <= pulsetime, equal data: the longer of the two (e1 on a
     tie) absorbs the other and the gap; the other becomes empty.
   - -0.1 s < gap <= pulsetime, different data: both meet at the middle of
     the gap (e1 ends, e2 starts at e1.end + gap / 2).
3. Drop empty events; walk the rest in order: an event overlapping the one
   kept before it extends it if their data is equal, else cuts it short at its
   own start (dropping it if nothing is left); the later event wins.

Like aw-core, timestamps are truncated to the millisecond whenever one is
set (durations are not), so the results agree to the microsecond.
"""

from __future__ import annotations

NEGATIVE_GAP_TRIM_US = 100_000  # aw-core's negative_gap_trim_thres, 0.1 s


def _ms(t: int) -> int:
    # aw-core's Event truncates every timestamp it is given to the millisecond
    # (durations are kept to the microsecond); the results differ without it.
    return t - t % 1000


def flood(events, pulsetime_s: float = 5.0) -> list[tuple]:
    """Flood (start_us, duration_us, key, payload) events.

    ``key`` stands for the event's data (equal keys: equal data); ``payload``
    rides along unchanged with the event it belongs to. Returns new tuples of
    the same shape, in time order, none of them empty.
    """
    pulsetime = round(pulsetime_s * 1_000_000)
    evs = sorted(([_ms(s), d, k, p] for s, d, k, p in events), key=lambda e: (e[0], e[1]))
    for e1, e2 in zip(evs, evs[1:]):
        gap = e2[0] - (e1[0] + e1[1])
        if gap == 0:
            continue
        if gap < 0 and e1[2] == e2[2]:
            start, end = min(e1[0], e2[0]), max(e1[0] + e1[1], e2[0] + e2[1])
            e1[0], e1[1] = _ms(start), end - start
            e2[0], e2[1] = _ms(end), 0
        elif -NEGATIVE_GAP_TRIM_US < gap <= pulsetime:
            e2_end = e2[0] + e2[1]
            if e1[2] == e2[2]:
                if e1[1] >= e2[1]:
                    e1[1] = e2_end - e1[0]
                    e2[0], e2[1] = _ms(e2_end), 0
                else:
                    e2[0], e2[1] = e1[0], e2_end - e1[0]
                    e1[1] = 0
            else:
                # aw-core divides a timedelta by 2, which rounds half to even
                # on microseconds: so does round().
                midpoint = e1[0] + e1[1] + round(gap / 2)
                e1[1] = midpoint - e1[0]
                e2[0], e2[1] = _ms(midpoint), e2_end - midpoint
    return _normalize(e for e in evs if e[1] > 0)


def _normalize(events) -> list[tuple]:
    kept: list[list] = []
    for event in events:
        while kept and kept[-1][0] + kept[-1][1] > event[0]:
            previous = kept[-1]
            if previous[2] == event[2]:
                previous[1] = max(previous[0] + previous[1], event[0] + event[1]) - previous[0]
                break
            previous[1] = event[0] - previous[0]
            if previous[1] <= 0:
                kept.pop()
                continue
            kept.append(event)
            break
        else:
            kept.append(event)
    return [tuple(e) for e in kept]
