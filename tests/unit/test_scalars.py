import pytest

from chalicelib.api import scalars


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-11-21T17:10:32Z", "2026-11-21T17:10:32.000Z"),
        ("2026-11-21T19:10:32.123456+02:00", "2026-11-21T17:10:32.123Z"),
    ],
)
def test_datetimes_are_stored_in_utc_with_milliseconds(given: str, stored: str) -> None:
    assert scalars.parse_datetime(given) == stored


def test_stored_datetimes_sort_as_times() -> None:
    early = scalars.parse_datetime("2026-01-01T10:00:00+05:00")
    late = scalars.parse_datetime("2026-01-01T06:00:00Z")
    assert early < late


@pytest.mark.parametrize("bad", ["2026-11-21T17:10:32", "yesterday", 5])
def test_bad_datetimes_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match=r"DateTime|date-time|time zone"):
        scalars.parse_datetime(bad)


def test_dates_and_times() -> None:
    assert scalars.parse_date("1624-01-01") == "1624-01-01"
    assert scalars.parse_time("10:00:00+01:00") == "09:00:00.000Z"
    with pytest.raises(ValueError, match="date"):
        scalars.parse_date("01/01/1624")
    with pytest.raises(ValueError, match="time zone"):
        scalars.parse_time("10:00:00")


def test_emails_and_passwords() -> None:
    assert scalars.parse_email("steve@example.com") == "steve@example.com"
    for bad in ["steve", "steve@", "a b@example.com", "x" * 250 + "@example.com"]:
        with pytest.raises(ValueError, match="email"):
            scalars.parse_email(bad)
    assert scalars.parse_password("correct horse") == "correct horse"
    for bad in ["short", "x" * 257]:
        with pytest.raises(ValueError, match="password"):
            scalars.parse_password(bad)
