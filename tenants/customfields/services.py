"""Custom field values: validated against the BU's definitions, stored in a record's `custom`.

The services of leads, accounts, contacts and opportunities call:

    record.custom = clean_custom("lead", values, current=record.custom)
    missing = missing_required("opportunity", record, stage="negotiation")

`values` is {code: value or None}; None removes the value. A value of an unknown or inactive
field, or one that does not fit its definition, is refused with INVALID_ARGUMENT naming the
field (`customFields.<code>`), and nothing is written.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import currency as known_currency
from crm.platform.core.money import valid_amount
from crm.tenants.customfields.models import FieldDefinition, FieldKind, FieldRequirement


def definitions(record_type: str) -> dict[str, FieldDefinition]:
    """The active definitions of a record type, by code (one query)."""
    return {
        definition.code: definition
        for definition in FieldDefinition.objects.filter(record_type=record_type, active=True)
    }


def _invalid(code: str, reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field=f"customFields.{code}", reason=reason)


def _decimal(code: str, value: Any) -> Decimal:
    if isinstance(value, (float, bool)):
        raise _invalid(code, "a decimal number written as a string or an integer")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _invalid(code, "a decimal number") from None
    if not number.is_finite():
        raise _invalid(code, "a finite decimal number")
    return number


def _bounded(definition: FieldDefinition, number: Decimal) -> None:
    if definition.minimum is not None and number < definition.minimum:
        raise _invalid(definition.code, f"at least {definition.minimum}")
    if definition.maximum is not None and number > definition.maximum:
        raise _invalid(definition.code, f"at most {definition.maximum}")


def _option_codes(definition: FieldDefinition) -> list[str]:
    return [str(option.get("code")) for option in definition.options or []]


def clean_value(definition: FieldDefinition, value: Any) -> Any:
    """The stored form of `value` for `definition`, or INVALID_ARGUMENT."""
    code, kind = definition.code, definition.kind
    if kind == FieldKind.TEXT:
        if not isinstance(value, str):
            raise _invalid(code, "text")
        text = value.strip()
        if definition.max_length is not None and len(text) > definition.max_length:
            raise _invalid(code, f"at most {definition.max_length} characters")
        if definition.pattern and not re.fullmatch(definition.pattern, text):
            raise _invalid(code, f"must match {definition.pattern}")
        return text
    if kind == FieldKind.NUMBER:
        number = _decimal(code, value)
        _bounded(definition, number)
        return str(number)
    if kind == FieldKind.MONEY:
        if not isinstance(value, Mapping):
            raise _invalid(code, "an amount with a currency")
        amount = _decimal(code, value.get("amount"))
        currency_code = str(value.get("currency") or definition.currency or "").upper()
        known_currency(currency_code, field=f"customFields.{code}")
        if definition.currency and currency_code != definition.currency:
            raise _invalid(code, f"in {definition.currency}")
        if not valid_amount(amount):
            raise _invalid(code, "an amount from 0 below 10^15, at most 4 decimal places")
        _bounded(definition, amount)
        return {"amount": str(amount), "currency": currency_code}
    if kind == FieldKind.DATE:
        try:
            day = datetime.date.fromisoformat(str(value))
        except ValueError:
            raise _invalid(code, "a date (YYYY-MM-DD)") from None
        if definition.min_date and day < definition.min_date:
            raise _invalid(code, f"on or after {definition.min_date}")
        if definition.max_date and day > definition.max_date:
            raise _invalid(code, f"on or before {definition.max_date}")
        return day.isoformat()
    options = _option_codes(definition)
    if kind == FieldKind.CHOICE:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, list) or str(value) not in options:
            raise _invalid(code, f"one of {', '.join(options)}")
        return str(value)
    # multi-choice
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise _invalid(code, f"a list of {', '.join(options)}")
    chosen = [str(item) for item in value]
    unknown = [item for item in chosen if item not in options]
    if unknown:
        raise _invalid(code, f"one of {', '.join(options)}")
    return [option for option in options if option in chosen]


def clean_custom(
    record_type: str, values: Mapping[str, Any] | None, *, current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """`current` with `values` applied, each validated against its definition."""
    result = dict(current or {})
    if not values:
        return result
    known = definitions(record_type)
    for code, value in values.items():
        definition = known.get(code)
        if definition is None:
            raise _invalid(code, "no such custom field")
        if value is None or value == "" or value == []:
            result.pop(code, None)
        else:
            result[code] = clean_value(definition, value)
    return result


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def missing_required(
    record_type: str, record: Any, *, stage: str = "", stages: Iterable[str] = ()
) -> list[str]:
    """The fields `record` lacks to be in `stage`: built-in ones the BU requires (by attribute
    name) and custom ones (as `customFields.<code>`). `stages` are the stage codes up to and
    including `stage`, in order, so that "required from quote" holds in every later stage;
    without them, only requirements without a stage and those of `stage` itself count."""
    reached = {"", stage, *stages}
    missing: list[str] = []
    for requirement in FieldRequirement.objects.filter(record_type=record_type):
        if requirement.from_stage in reached and _is_empty(
            getattr(record, requirement.field, None)
        ):
            missing.append(requirement.field)
    custom = getattr(record, "custom", None) or {}
    for definition in definitions(record_type).values():
        needed = definition.required or (
            definition.required_from_stage and definition.required_from_stage in reached
        )
        if needed and _is_empty(custom.get(definition.code)):
            missing.append(f"customFields.{definition.code}")
    return missing
