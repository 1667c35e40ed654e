"""Custom field values: validated against the BU's definitions, stored in a record's `custom`.

The services of leads, accounts, contacts and opportunities call:

    record.custom = clean_custom("lead", values, current=record.custom)
    missing = missing_required("opportunity", record, stage="negotiation", stages=reached)

`values` is {code: value or None}; None (or "" or []) removes the value. A value of an unknown
or inactive field, or one that does not fit its definition, is refused with INVALID_ARGUMENT
naming the field (`customFields.<code>`), and nothing is written. Values of fields that were
deactivated stay in `current` untouched (kept, no longer shown nor accepted).

Stored forms (canonical, so that equality filters by JSONB containment match):
- TEXT: the trimmed string (at most `max_length`, and never more than TEXT_CAP characters);
- NUMBER: a decimal string without exponent or trailing zeros ("12.5", "-3", "1000"), at most
  4 decimal places, below 10^15 in magnitude;
- MONEY: {"amount": "12.50", "currency": "EUR"} (a valid stored amount, see `valid_amount`);
- DATE: ISO 8601 "YYYY-MM-DD";
- CHOICE: the option's code; MULTI_CHOICE: a list of codes, without repeats, in the options'
  order.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import AMOUNT_RULE, valid_amount
from crm.platform.core.money import currency as known_currency
from crm.tenants.customfields.models import FieldDefinition, FieldKind, FieldRequirement

TEXT_CAP = 2000
NUMBER_DECIMALS = 4
NUMBER_LIMIT = Decimal(10) ** 15
MAX_CHOICES = 100
NUMBER_RULE = "a decimal number below 10^15 in magnitude, at most 4 decimal places"

# The order a lead moves through (INVALID is off the path: nothing is required "from" it
# except what is required from NEW).
LEAD_STAGE_ORDER = ("NEW", "CONTACTED", "QUALIFIED", "CONVERTED")


def definitions(record_type: str) -> dict[str, FieldDefinition]:
    """The active definitions of a record type, by code, in display order (one query)."""
    return {
        definition.code: definition
        for definition in FieldDefinition.objects.filter(record_type=record_type, active=True)
    }


def _invalid(code: str, reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field=f"customFields.{code}", reason=reason)


def canonical_number(number: Decimal) -> str:
    """ "12.50" -> "12.5", "1E+3" -> "1000", "-0" -> "0": one text per value."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse_number(code: str, value: Any) -> Decimal:
    """A finite decimal from a string or an integer (never a float: it is not exact)."""
    if isinstance(value, (float, bool)) or not isinstance(value, (str, int, Decimal)):
        raise _invalid(code, "a decimal number written as a string or an integer")
    text = str(value).strip()
    if len(text) > 40:
        raise _invalid(code, NUMBER_RULE)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise _invalid(code, "a decimal number") from None
    if not number.is_finite():
        raise _invalid(code, "a finite decimal number")
    if number and not -30 <= number.adjusted() <= 18:  # no 1E+999999 spelled out later
        raise _invalid(code, NUMBER_RULE)
    return number


def _number(code: str, value: Any) -> Decimal:
    number = parse_number(code, value)
    exponent = number.normalize().as_tuple().exponent
    if abs(number) >= NUMBER_LIMIT or (isinstance(exponent, int) and exponent < -NUMBER_DECIMALS):
        raise _invalid(code, NUMBER_RULE)
    return number


def _bounded(definition: FieldDefinition, number: Decimal) -> None:
    if definition.minimum is not None and number < definition.minimum:
        raise _invalid(definition.code, f"at least {canonical_number(definition.minimum)}")
    if definition.maximum is not None and number > definition.maximum:
        raise _invalid(definition.code, f"at most {canonical_number(definition.maximum)}")


def option_codes(definition: FieldDefinition) -> list[str]:
    return [str(option.get("code")) for option in definition.options or []]


def option_label(option: Mapping[str, Any], chain: Iterable[str]) -> str:
    """An option's label along a language chain, else in any language, else its code."""
    labels: Mapping[str, str] = option.get("labels") or {}
    for language in chain:
        if labels.get(language):
            return labels[language]
    return next((text for text in labels.values() if text), str(option.get("code")))


def parse_date(code: str, value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise _invalid(code, "a date (YYYY-MM-DD)")
    if isinstance(value, datetime.date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise _invalid(code, "a date (YYYY-MM-DD)")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise _invalid(code, "a date (YYYY-MM-DD)") from None


def _text(definition: FieldDefinition, value: Any) -> str:
    code = definition.code
    if not isinstance(value, str):
        raise _invalid(code, "text")
    text = value.strip()
    if "\x00" in text:
        raise _invalid(code, "text without NUL characters")
    limit = min(definition.max_length or TEXT_CAP, TEXT_CAP)
    if len(text) > limit:
        raise _invalid(code, f"at most {limit} characters")
    if definition.pattern and not re.fullmatch(definition.pattern, text):
        raise _invalid(code, f"must match {definition.pattern}")
    return text


def _money(definition: FieldDefinition, value: Any) -> dict[str, str]:
    code = definition.code
    if not isinstance(value, Mapping):
        raise _invalid(code, "an amount with a currency")
    amount = Decimal(canonical_number(parse_number(code, value.get("amount"))))
    currency_code = str(value.get("currency") or definition.currency or "").strip().upper()
    known_currency(currency_code, field=f"customFields.{code}")
    if definition.currency and currency_code != definition.currency:
        raise _invalid(code, f"in {definition.currency}")
    if not valid_amount(amount):
        raise _invalid(code, AMOUNT_RULE)
    _bounded(definition, amount)
    return {"amount": canonical_number(amount), "currency": currency_code}


def _choices(definition: FieldDefinition, value: Any) -> Any:
    code = definition.code
    options = option_codes(definition)
    listed = ", ".join(options)
    if definition.kind == FieldKind.CHOICE:
        if isinstance(value, (list, tuple)) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str) or value not in options:
            raise _invalid(code, f"one of {listed}")
        return value
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise _invalid(code, f"a list of {listed}")
    chosen = list(value)
    if len(chosen) > MAX_CHOICES or not all(isinstance(item, str) for item in chosen):
        raise _invalid(code, f"a list of {listed}")
    if any(item not in options for item in chosen):
        raise _invalid(code, f"each one of {listed}")
    return [option for option in options if option in chosen]


def clean_value(definition: FieldDefinition, value: Any) -> Any:
    """The stored form of `value` for `definition`, or INVALID_ARGUMENT (UNKNOWN_CURRENCY for
    money in a currency that does not exist)."""
    kind = definition.kind
    if kind == FieldKind.TEXT:
        return _text(definition, value)
    if kind == FieldKind.NUMBER:
        number = _number(definition.code, value)
        _bounded(definition, number)
        return canonical_number(number)
    if kind == FieldKind.MONEY:
        return _money(definition, value)
    if kind == FieldKind.DATE:
        day = parse_date(definition.code, value)
        if definition.min_date and day < definition.min_date:
            raise _invalid(definition.code, f"on or after {definition.min_date.isoformat()}")
        if definition.max_date and day > definition.max_date:
            raise _invalid(definition.code, f"on or before {definition.max_date.isoformat()}")
        return day.isoformat()
    return _choices(definition, value)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def clean_custom(
    record_type: str, values: Mapping[str, Any] | None, *, current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """`current` with `values` applied, each validated against its active definition."""
    result = dict(current or {})
    if not values:
        return result
    known = definitions(record_type)
    for code, value in values.items():
        definition = known.get(code)
        if definition is None:
            raise _invalid(code, "no such custom field")
        if _is_empty(value):
            result.pop(code, None)
        else:
            result[code] = clean_value(definition, value)
    return result


# -- required fields ---------------------------------------------------------------------------

# The built-in fields a BU may require, per record type: API (policy) name -> model attribute.
# Only fields the model itself leaves optional are listed.
REQUIRABLE: dict[str, dict[str, str]] = {
    "lead": {
        "first_name": "first_name",
        "last_name": "last_name",
        "email": "email",
        "phone": "phone",
        "company_name": "company_name",
        "country": "country",
        "region": "region",
        "industry": "industry",
        "products": "product_ids",
        "product_line": "product_line",
        "message": "message",
        "source": "source_id",
        "campaign": "campaign_id",
    },
    "contact": {
        "account": "account_id",
        "first_name": "first_name",
        "first_name_latin": "first_name_latin",
        "last_name_latin": "last_name_latin",
        "job_title": "job_title",
        "buying_role": "buying_role",
        "email": "email",
        "phone": "phone",
        "mobile": "mobile",
        "language": "language",
    },
    "opportunity": {
        "amount": "amount",
        "expected_close": "expected_close",
        "primary_contact": "primary_contact_id",
        "grade": "grade",
        "deal_class": "deal_class",
    },
    "local_customer": {
        "local_name": "local_name",
        "classification": "classification",
        "payment_terms": "payment_terms",
        "sales_owner": "sales_owner_id",
        "notes": "notes",
    },
}


def _current_stage(record_type: str, record: Any) -> str:
    if record_type == "opportunity":
        return str(getattr(record, "stage_code", "") or "")
    if record_type == "lead":
        return str(getattr(record, "status", "") or "")
    return ""


def _stages_through(record_type: str, record: Any, stage: str) -> list[str]:
    """The stages up to and including `stage` on the record's path, when the caller gave none:
    a lead's status order; an opportunity's pipeline order (one query)."""
    if not stage:
        return []
    if record_type == "lead":
        order = list(LEAD_STAGE_ORDER)
        return order[: order.index(stage) + 1] if stage in order else [stage]
    if record_type == "opportunity" and getattr(record, "pipeline_id", None):
        from crm.tenants.opportunities.models import Stage

        codes = list(
            Stage.objects.filter(pipeline_id=record.pipeline_id)
            .order_by("position")
            .values_list("code", flat=True)
        )
        return codes[: codes.index(stage) + 1] if stage in codes else [stage]
    return [stage]


def missing_required(
    record_type: str, record: Any, *, stage: str = "", stages: Iterable[str] = ()
) -> list[str]:
    """The fields `record` lacks to be in `stage`, in a stable order: first the built-in fields
    the BU requires (by their API name in snake_case, e.g. "expected_close", "source"), then
    the custom ones (as "customFields.<code>", in the definitions' order).

    A requirement without a stage holds always. One "from stage X" holds in X and in every
    stage after X: `stages` are the stage codes the record has reached, i.e. those of its path
    (the pipeline's order for a deal, NEW > CONTACTED > QUALIFIED > CONVERTED for a lead) up to
    and including `stage`. `stage` defaults to the record's own (a deal's stage code, a lead's
    status); without `stages`, they are derived from that order (for a deal, from its
    pipeline: one query). Inactive custom fields are never required.
    """
    stage = stage or _current_stage(record_type, record)
    given = list(stages)
    reached = {"", stage, *(given or _stages_through(record_type, record, stage))}
    attributes = REQUIRABLE.get(record_type, {})
    missing: list[str] = []
    for requirement in FieldRequirement.objects.filter(record_type=record_type).order_by("field"):
        attribute = attributes.get(requirement.field, requirement.field)
        if (
            requirement.from_stage in reached
            and requirement.field not in missing
            and _is_empty(getattr(record, attribute, None))
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
