"""How a data subject is named in a request: an e-mail address or a phone number, normalized.

E-mail addresses compare without case. Phone numbers compare by their digits in international
form (`+49 (89) 123-45`, `0049 89 12345` and `+498912345` are the same number). A number
written nationally (`089 12345`) cannot be told apart from one of another country without a
numbering-plan library, so a request must give the number internationally, and records that
hold a national form are only found through an e-mail address or a linked record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import F, Func, Value
from django.utils.translation import gettext_lazy as _

from crm.platform.core.errors import CrmError, ErrorCode

_PHONE_NOISE = re.compile(r"[\s\-./()]+")
_INTERNATIONAL = re.compile(r"\+[0-9]{5,17}")
MAX_EMAIL = 254


class IdentifierType(models.TextChoices):
    EMAIL = "EMAIL", _("E-mail address")
    PHONE = "PHONE", _("Phone number")


@dataclass(frozen=True)
class Identifier:
    type: IdentifierType
    value: str


def email_identifier(text: str, *, field: str = "email") -> Identifier:
    value = str(text or "").strip().lower()
    if not value or len(value) > MAX_EMAIL:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason="an e-mail address")
    try:
        validate_email(value)
    except ValidationError:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=field, reason="an e-mail address"
        ) from None
    return Identifier(IdentifierType.EMAIL, value)


def phone_digits(text: str) -> str:
    """`+49 (89) 123-45` -> `+498912345`; a leading 00 becomes +."""
    value = _PHONE_NOISE.sub("", str(text or "").strip())
    if value.startswith("00"):
        value = "+" + value[2:]
    return value


def phone_identifier(text: str, *, field: str = "phone") -> Identifier:
    value = phone_digits(text)
    if not _INTERNATIONAL.fullmatch(value):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field=field,
            reason="a phone number in international form (+ or 00, then 5 to 17 digits)",
        )
    return Identifier(IdentifierType.PHONE, value)


def identifier_of(*, email: str | None = None, phone: str | None = None) -> Identifier:
    """Exactly one of `email` and `phone`, checked and normalized."""
    given = [name for name, value in (("email", email), ("phone", phone)) if value]
    if len(given) != 1:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="email", reason="give either an e-mail or a phone"
        )
    return email_identifier(email or "") if email else phone_identifier(phone or "")


def digits_of(column: str) -> Func:
    """SQL: a phone column in the same normalized form as `phone_digits`."""
    stripped = Func(
        F(column),
        Value(r"[^0-9+]"),
        Value(""),
        Value("g"),
        function="regexp_replace",
        output_field=models.CharField(),
    )
    return Func(
        stripped,
        Value("^00"),
        Value("+"),
        function="regexp_replace",
        output_field=models.CharField(),
    )
