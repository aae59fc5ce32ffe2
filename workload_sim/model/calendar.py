"""Working days <-> calendar dates.

The simulation clock counts working days: day ``d`` is the ``d``-th working day
on or after the start date, skipping weekends and public holidays of the chosen
country/subdivision (England by default), taken from the maintained
``holidays`` library. Country ``none`` means no public holidays (textbook
validation cases, where every working day must be alike).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
import numpy as np


@lru_cache(maxsize=32)
def _holiday_dates(country: str, subdivision: str | None, first_year: int, last_year: int):
    if country.lower() == "none":
        return ()
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

    @property
    def working_days_per_year(self) -> int:
        """Working days in the year from the start date (weekends and holidays out)."""
        start = self.start
        try:
            end = start.replace(year=start.year + 1)
        except ValueError:  # 29 February
            end = start.replace(year=start.year + 1, day=28)
        return self.working_days_between(start, end)

    def leave_years(self) -> list[tuple[int, int]]:
        """(first working day, working days) of each year from the start date in the run.

        Leave is booked per year as staff take it (from an anniversary), so a year's
        blocks fall within that year's own working days, whatever its holidays.
        """
        starts = []
        k = 0
        while True:
            try:
                anniversary = self.start.replace(year=self.start.year + k)
            except ValueError:  # 29 February
                anniversary = self.start.replace(year=self.start.year + k, day=28)
            i = int(np.searchsorted(self.dates, np.datetime64(anniversary, "D")))
            if i >= self.n_days:
                break
            starts.append(i)
            k += 1
        ends = starts[1:] + [None]
        out = []
        for i, j in zip(starts, ends, strict=True):
            length = (j - i) if j is not None else self._year_length_from(i)
            out.append((i, length))
        return out

    def _year_length_from(self, i: int) -> int:
        """Working days of the (possibly unfinished) year starting at working day ``i``."""
        begin = self.dates[i].astype(dt.date)
        try:
            end = begin.replace(year=begin.year + 1)
        except ValueError:
            end = begin.replace(year=begin.year + 1, day=28)
        return self.working_days_between(begin, end)

    def date_of(self, day: float) -> dt.date:
        """The calendar date of (fractional) working day ``day``."""
        i = min(max(int(day), 0), self.n_days - 1)
        return self.dates[i].astype(dt.date)

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days from ``a`` (inclusive) to ``b`` (exclusive)."""
        return int(np.busday_count(a, b, holidays=self.holidays))
