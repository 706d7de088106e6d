"""Working days count weekends and holidays out and 调休 weekends in."""
import datetime as dt

from knowledge.loader import load_catalogue
from knowledge.store import _calendar_rows
from knowledge.workdays import WorkCalendar
from tests.conftest import KB_PATH


def demo_calendar() -> WorkCalendar:
    cat = load_catalogue(KB_PATH)
    special = {}
    for _year, (doc, _) in cat.years.items():
        special.update({day: is_work for day, is_work, _ in _calendar_rows(doc)})
    return WorkCalendar(special, frozenset(cat.years))


def test_national_day_week_is_skipped_and_tiaoxiu_saturday_counts():
    cal = demo_calendar()
    assert not cal.is_workday(dt.date(2026, 10, 5))
    assert cal.is_workday(dt.date(2026, 10, 10))  # a Saturday, worked for 国庆
    assert cal.is_workday(dt.date(2026, 9, 20))  # a Sunday, worked for 国庆
    # Accepted on Wed 30 Sep: day 1 is Thu 8 Oct; Sat 10 Oct is the 3rd working day.
    assert cal.add_workdays(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert cal.add_workdays(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    assert cal.workdays_between(dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3


def test_spring_festival_2026_and_plain_weeks():
    cal = demo_calendar()
    assert not cal.is_workday(dt.date(2026, 2, 16))
    assert cal.is_workday(dt.date(2026, 2, 14))
    assert cal.add_workdays(dt.date(2026, 3, 2), 5) == dt.date(2026, 3, 9)  # Mon + 5 → next Mon
    assert cal.add_workdays(dt.date(2026, 3, 2), 0) == dt.date(2026, 3, 2)
    assert cal.covers(dt.date(2027, 6, 1)) and not cal.covers(dt.date(2028, 1, 3))
