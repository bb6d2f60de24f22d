"""Each point's arrival window (``required_start_datetime`` .. ``required_finish_datetime``).

Borzo checks that a window starts before it ends (``start_after_end``), that no point is
earlier than the one before it (``earlier_than_previous_point``) and that nothing sent is
in the past (``cannot_be_past``); a point sent with one end only gets the other from
Borzo's own defaults, which count from the moment the order is made, and can clash with
the end we sent. So both ends of every window go together, and every drop-off window
starts once the pick-up's has ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# The document's examples: the pick-up window opens 30 minutes after the order is made,
# every window lasts 30 minutes, and the next point's opens an hour after the pick-up's.
PICKUP_LEAD = timedelta(minutes=30)
WINDOW = timedelta(minutes=30)
BETWEEN_POINTS = timedelta(hours=1)
# What a window we move must leave for the request to reach Borzo while still in the future.
MARGIN = timedelta(minutes=1)


class WindowRefused(ValueError):
    """``deliver_by`` leaves no time after the pick-up."""


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    finish: datetime


def _pickup(start: datetime, deliver_by: datetime | None) -> Window:
    if deliver_by is not None and deliver_by <= start:
        raise WindowRefused("must be later than the pick-up")
    length = WINDOW if deliver_by is None else min(WINDOW, (deliver_by - start) / 2)
    return Window(start, start + length)


def route_windows(
    pickup_at: datetime | None, deliver_by: datetime | None, drops: int, now: datetime
) -> list[Window] | None:
    """The windows of a new order: the pick-up's, then ``drops`` drop-offs in route order.

    None when neither time is given: Borzo's defaults are then consistent by themselves.
    Without ``pickup_at`` the pick-up opens ``PICKUP_LEAD`` from ``now``; every drop-off may
    be reached from the pick-up's end until ``deliver_by``, or, without it, an hour apart.
    """
    if pickup_at is None and deliver_by is None:
        return None
    start = pickup_at if pickup_at is not None else now + PICKUP_LEAD
    pickup = _pickup(start, deliver_by)
    if deliver_by is not None:
        return [pickup, *(Window(pickup.finish, deliver_by) for _ in range(drops))]
    later = (start + BETWEEN_POINTS * n for n in range(1, drops + 1))
    return [pickup, *(Window(opens, opens + WINDOW) for opens in later)]


def edited_windows(
    current: Sequence[Window | None],
    target: int,
    pickup_at: datetime | None,
    deliver_by: datetime | None,
    now: datetime,
) -> dict[int, Window]:
    """The windows an edit must send, by point index: only those it changes.

    ``current`` holds each point's window as Borzo has it (None where unknown), the
    pick-up first; ``target`` is the destination's index. A new pick-up or deadline moves
    the drop-offs that would otherwise start before the pick-up ends or before the point
    ahead of them; a moved window starts no earlier than ``now`` plus a margin.
    """
    windows = list(current)
    changed: set[int] = set()
    if deliver_by is not None:
        old = windows[target]
        opens = old.start if old is not None else now + MARGIN
        windows[target] = Window(opens, deliver_by)
        changed.add(target)
    if pickup_at is not None:
        windows[0] = _pickup(pickup_at, deliver_by)
        changed.add(0)
    floor = windows[0].finish if windows[0] is not None else None
    for index in range(1, len(windows)):
        window = windows[index]
        if window is None:
            continue
        start = window.start
        if floor is not None and start < floor:
            start = floor
        if index in changed or start != window.start:
            start = max(start, now + MARGIN)
        finish = window.finish
        if finish <= start:
            if index == target and deliver_by is not None:
                raise WindowRefused("must be later than the pick-up and the stops before it")
            finish = start + WINDOW
        if (start, finish) != (window.start, window.finish):
            windows[index] = Window(start, finish)
            changed.add(index)
        floor = start
    return {index: window for index in sorted(changed) if (window := windows[index]) is not None}
