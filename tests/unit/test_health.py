"""Feed health, the pure part: a failing feed's rest doubles up to the cap."""

from __future__ import annotations

from datetime import timedelta

from newsstand import schedule
from newsstand.config import HealthConfig


def test_rest_doubles_and_is_capped() -> None:
    health = HealthConfig(backoff=10, max_backoff=60)
    assert [schedule.rest(health, n) for n in (1, 2, 3, 4, 50)] == [
        timedelta(minutes=m) for m in (10, 20, 40, 60, 60)
    ]
