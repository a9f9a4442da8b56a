"""Phone numbers with `phonenumbers` (Google's libphonenumber): parse, validate, store as E.164.

A number without `+country` is read in `PHONE_REGION` (default US). Accepted are numbers
libphonenumber calls valid, plus the North American `+1 555 ...` range that demos, tests and the
outside contract checks use (area code 555 is not assigned, so libphonenumber calls it invalid,
but it is the conventional fictional range and must keep working).
"""

from __future__ import annotations

import phonenumbers

PLAIN_ERROR = "Please enter a phone number we can text, like +1 415 555 0100."


class PhoneError(ValueError):
    """Not a phone number a text could reach; the message is plain, fit to show a caller."""


def _fictional_nanp(number: phonenumbers.PhoneNumber) -> bool:
    national = str(number.national_number)
    return number.country_code == 1 and len(national) == 10 and national.startswith("555")


def to_e164(raw: str, region: str = "US") -> str:
    """`raw` as an E.164 string (`+14155550100`); `PhoneError` with a plain message when it is not one."""
    text = (raw or "").strip()
    if not text or len(text) > 40:
        raise PhoneError(PLAIN_ERROR)
    try:
        number = phonenumbers.parse(text, (region or "US").upper())
    except phonenumbers.NumberParseException:
        raise PhoneError(PLAIN_ERROR) from None
    if not (phonenumbers.is_valid_number(number) or _fictional_nanp(number)):
        raise PhoneError(PLAIN_ERROR)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_phone(raw: str, region: str = "US") -> bool:
    """True when `raw` parses as a phone number `to_e164` accepts."""
    try:
        to_e164(raw, region)
    except PhoneError:
        return False
    return True
