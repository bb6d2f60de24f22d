"""Borzo arrival windows: both ends always, every drop-off after the pick-up."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shipgraph.carriers.borzo.windows import (
    Window,
    WindowRefused,
    edited_windows,
    route_windows,
)

# The document's create-order example: made at 00:21:48, picked up from 00:51:48 to
# 01:21:48, delivered from 01:51:48 to 02:21:48 (Jakarta time).
MADE = datetime.fromisoformat("2024-12-04T00:21:48+07:00")
MINUTE = timedelta(minutes=1)


def at(clock: str) -> datetime:
    return datetime.fromisoformat(f"2024-12-04T{clock}+07:00")


def test_no_times_leave_borzo_its_own_defaults() -> None:
    assert route_windows(None, None, 2, MADE) is None


def test_a_pickup_alone_spaces_the_drops_as_the_documents_example() -> None:
    assert route_windows(at("00:51:48"), None, 2, MADE) == [
        Window(at("00:51:48"), at("01:21:48")),
        Window(at("01:51:48"), at("02:21:48")),
        Window(at("02:51:48"), at("03:21:48")),
    ]


def test_a_deadline_opens_every_drop_from_the_pickups_end() -> None:
    assert route_windows(at("00:51:48"), at("02:21:48"), 2, MADE) == [
        Window(at("00:51:48"), at("01:21:48")),
        Window(at("01:21:48"), at("02:21:48")),
        Window(at("01:21:48"), at("02:21:48")),
    ]


def test_without_a_pickup_it_opens_thirty_minutes_from_now() -> None:
    windows = route_windows(None, at("02:21:48"), 1, MADE)
    assert windows == [
        Window(at("00:51:48"), at("01:21:48")),
        Window(at("01:21:48"), at("02:21:48")),
    ]


def test_a_tight_deadline_shares_the_time_between_pickup_and_drop() -> None:
    assert route_windows(at("01:00:00"), at("01:20:00"), 1, MADE) == [
        Window(at("01:00:00"), at("01:10:00")),
        Window(at("01:10:00"), at("01:20:00")),
    ]


@pytest.mark.parametrize(
    ("pickup", "deadline"), [(None, at("00:40:00")), (at("01:00:00"), at("01:00:00"))]
)
def test_a_deadline_before_the_pickup_opens_is_refused(
    pickup: datetime | None, deadline: datetime
) -> None:
    with pytest.raises(WindowRefused):
        route_windows(pickup, deadline, 1, MADE)


CURRENT = [
    Window(at("00:51:48"), at("01:21:48")),
    Window(at("01:51:48"), at("02:21:48")),
    Window(at("02:51:48"), at("03:21:48")),
]


def test_an_edit_sends_only_the_windows_it_changes() -> None:
    assert edited_windows(CURRENT, 1, None, at("02:41:48"), MADE) == {
        1: Window(at("01:51:48"), at("02:41:48"))
    }


def test_a_later_pickup_pushes_the_drops_behind_it() -> None:
    # The third point already opens after the new pick-up: it stays as it is.
    assert edited_windows(CURRENT, 1, at("02:00:00"), None, MADE) == {
        0: Window(at("02:00:00"), at("02:30:00")),
        1: Window(at("02:30:00"), at("03:00:00")),
    }


def test_a_moved_window_never_starts_in_the_past() -> None:
    later = MADE + timedelta(hours=2)  # the pick-up and first drop windows have begun
    moved = edited_windows(CURRENT, 1, None, at("03:00:00"), later)
    assert moved == {1: Window(later + MINUTE, at("03:00:00"))}


def test_a_deadline_before_the_stops_ahead_is_refused() -> None:
    with pytest.raises(WindowRefused):
        edited_windows(CURRENT, 2, at("02:00:00"), at("02:10:00"), MADE)


def test_unknown_windows_are_left_alone() -> None:
    assert edited_windows([None, None], 1, None, at("02:00:00"), MADE) == {
        1: Window(MADE + MINUTE, at("02:00:00"))
    }
