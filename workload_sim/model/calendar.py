"""Working days <-> calendar dates.

The simulation clock counts working days: day ``d`` is the ``d``-th working day
on or after the start date, skipping weekends and public holidays of the chosen
country/subdivision (England by default), taken from the maintained
``holidays`` library.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
import numpy as np


@lru_cache(maxsize=32)
def _holiday_dates(country: str, subdivision: str | None, first_year: int, last_year: int):
    years = range(first_year, last_year + 1)
    table = holidays.country_holidays(country, subdiv=subdivision, years=years)
    return tuple(sorted(np.datetime64(d, "D") for d in table))


@lru_cache(maxsize=32)
def _working_days(start: dt.date, n_days: int, country: str, subdivision: str | None):
    # Working days run ~253 a year; 2 extra years of holidays covers any horizon asked.
    last_year = start.year + n_days // 240 + 2
    hols = np.array(
        _holiday_dates(country, subdivision, start.year, last_year), dtype="datetime64[D]"
    )
    dates = np.busday_offset(
        np.datetime64(start, "D"), np.arange(n_days), roll="forward", holidays=hols
    )
    # numpy weekday: 1970-01-01 was a Thursday (3 with Monday=0).
    weekdays = ((dates.astype("int64") + 3) % 7).astype(np.int8)
    months = (dates.astype("datetime64[M]").astype("int64") % 12).astype(np.int8)
    years_elapsed = (dates - dates[0]).astype("int64") / 365.25
    arrays = (hols, dates, weekdays, months, years_elapsed)
    for a in arrays:
        a.flags.writeable = False  # shared between runs through the cache
    return arrays


class WorkCalendar:
    """Maps working-day indices of one run to dates, weekdays and months."""

    def __init__(
        self, start: dt.date, n_days: int, country: str = "GB", subdivision: str | None = "ENG"
    ) -> None:
        if n_days < 1:
            raise ValueError("a calendar needs at least one working day")
        self.start = start
        self.n_days = n_days
        (self.holidays, self.dates, self.weekdays, self.months, self.years_elapsed) = _working_days(
            start, n_days, country, subdivision
        )

    def date_of(self, day: float) -> dt.date:
        """The calendar date of (fractional) working day ``day``."""
        i = min(max(int(day), 0), self.n_days - 1)
        return self.dates[i].astype(dt.date)

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days from ``a`` (inclusive) to ``b`` (exclusive)."""
        return int(np.busday_count(a, b, holidays=self.holidays))
