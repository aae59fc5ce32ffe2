"""Working days skip weekends and England's bank holidays."""

from __future__ import annotations

import datetime as dt

import numpy as np

from workload_sim.model.calendar import WorkCalendar


def test_christmas_and_new_year_are_not_working_days():
    cal = WorkCalendar(dt.date(2026, 12, 21), 10)
    dates = [d.astype(dt.date) for d in cal.dates]
    assert dt.date(2026, 12, 25) not in dates  # Christmas (Friday)
    assert dt.date(2026, 12, 28) not in dates  # Boxing Day substitute (Monday)
    assert dt.date(2027, 1, 1) not in dates  # New Year's Day
    assert all(d.weekday() < 5 for d in dates)
    assert cal.date_of(0) == dt.date(2026, 12, 21)
    assert cal.date_of(4) == dt.date(2026, 12, 29)


def test_a_year_has_about_253_working_days():
    cal = WorkCalendar(dt.date(2026, 1, 1), 400)
    in_2026 = (cal.dates < np.datetime64("2027-01-01")).sum()
    assert in_2026 == 365 - 104 - 8  # weekends and England's 8 bank holidays
    assert cal.working_days_between(dt.date(2026, 1, 1), dt.date(2027, 1, 1)) == in_2026


def test_weekday_and_month_indices():
    cal = WorkCalendar(dt.date(2026, 4, 1), 30)
    for d, wd, m in zip(cal.dates, cal.weekdays, cal.months, strict=True):
        day = d.astype(dt.date)
        assert day.weekday() == wd and day.month - 1 == m
