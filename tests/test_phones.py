"""Phone numbers: validated with `phonenumbers`, stored in E.164, refused with a plain message."""

from __future__ import annotations

import pytest

from frontdesk.phones import PLAIN_ERROR, PhoneError, is_phone, to_e164


@pytest.mark.parametrize(("raw", "e164"), [
    ("+1 415 555 0100", "+14155550100"),
    ("(415) 555-0142", "+14155550142"),
    ("415.555.0142", "+14155550142"),
    ("+44 20 7946 0958", "+442079460958"),
    ("+15550104001", "+15550104001"),  # the fictional +1 555 range of demos and tests
])
def test_accepted_and_normalised(raw: str, e164: str) -> None:
    assert to_e164(raw) == e164


@pytest.mark.parametrize("raw", ["555-0100", "0000000000", "12", "", "   ", "call me", "+1 415 555", "1" * 41,
                                 "+999 1234567"])
def test_refused_with_a_plain_message(raw: str) -> None:
    with pytest.raises(PhoneError) as err:
        to_e164(raw)
    assert str(err.value) == PLAIN_ERROR
    assert not is_phone(raw)


def test_region_reads_national_numbers() -> None:
    assert to_e164("020 7946 0958", "GB") == "+442079460958"
