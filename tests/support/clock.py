"""Dates for tests, all derived from one clock, so that no test depends on today's date.

The gateway and the simulators judge a pickup or a delivery window against the time they
run at; every date a test books with is therefore placed relative to that same clock,
never written out (a written date passes by and turns the suite red).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7))
"""Jakarta time, the carriers' own."""


def now() -> datetime:
    return datetime.now(UTC)


def days_ahead(days: int, hour: int, tz: timezone = WIB) -> datetime:
    """``hour`` o'clock in ``tz``, ``days`` days after today there."""
    today = now().astimezone(tz).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


def stamp(moment: datetime) -> str:
    """As the API prints a DateTime: ISO 8601 with the offset."""
    return moment.isoformat()
