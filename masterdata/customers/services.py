"""Writing golden customers: stewards only (by the policy), duplicates refused unless confirmed."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from modeltranslation.utils import build_localized_fieldname

from crm.i18n import languages
from crm.masterdata.customers import duplicates, identity
from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.models import (
    Classification,
    CompanySize,
    Customer,
    CustomerStatus,
    Grade,
)
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import AMOUNT_RULE, valid_amount
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible

CODE_LENGTH = 20
NAME_LENGTH = 300
# Fields written by `customer_create` / `customer_update`; `merged_into` only by a merge.
WRITABLE = (
    "code",
    "legal_name",
    "trade_name",
    "country",
    "tax_id",
    "industry",
    "size",
    "classification",
    "grade",
    "parent",
    "status",
    "credit_limit",
)
# Required on create: model field -> the argument named in the error.
REQUIRED = {"legal_name": "legalName", "country": "country"}
_CHOICES: dict[str, Any] = {
    "size": CompanySize,
    "classification": Classification,
    "grade": Grade,
}


def group_customers(access: Access) -> QuerySet[Customer]:
    return Customer.objects.filter(group_id=access.business_unit.group_id)


def _next_code(group_id: int) -> str:
    """The next generated code not already taken (a steward may have chosen one by hand)."""
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('customers_code_seq')")
            (number,) = cursor.fetchone()
        code = f"C{number:07d}"
        if not Customer.objects.filter(group_id=group_id, code=code).exists():
            return code


def apply_field(access: Access, customer: Customer, field: str, value: Any) -> None:
    """Validate one WRITABLE field's value and set it on the record (not saved)."""
    if field == "code":
        code = str(value or "").strip()
        if not code or len(code) > CODE_LENGTH:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="code", reason=f"1 to {CODE_LENGTH} characters"
            )
        customer.code = code
    elif field == "legal_name":
        name = str(value or "").strip()
        if not name or len(name) > NAME_LENGTH or not identity.normalized_name(name):
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="legalName", reason="a company name")
        customer.legal_name = name
    elif field == "trade_name":
        for language, text in dict(value).items():
            if languages.supported(language) != language:
                raise CrmError(ErrorCode.UNKNOWN_LANGUAGE, field="tradeNames", language=language)
            setattr(customer, build_localized_fieldname("trade_name", language), text[:NAME_LENGTH])
    elif field == "country":
        customer.country = identity.country_code(value)
    elif field == "tax_id":
        customer.tax_id = str(value or "")
    elif field == "industry":
        customer.industry = str(value or "").strip()[:60]
    elif field in _CHOICES:
        setattr(customer, field, _choice(field, _CHOICES[field], value))
    elif field == "parent":
        customer.parent = _parent(access, customer, value)
    elif field == "status":
        status = CustomerStatus(_choice("status", CustomerStatus, value))
        if status == CustomerStatus.MERGED:
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="status", reason="merge to merge")
        customer.status = status
    elif field == "credit_limit":
        if value is not None and not valid_amount(Decimal(value)):
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="creditLimit",
                reason=AMOUNT_RULE,
            )
        customer.credit_limit = value
    else:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason="not writable")


@functools.cache
def _values(choices: Any) -> frozenset[str]:
    return frozenset(choices.values)


def _choice(field: str, choices: Any, value: Any) -> str:
    """The choice's value; INVALID_ARGUMENT naming the choices (the API's enums check this
    already, files and tasks do not)."""
    text = str(getattr(value, "value", value)).strip().upper()
    if text == "" and field == "size":
        return text  # the one choice that may be left open
    if text not in _values(choices):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field=field, reason=f"one of {', '.join(choices.values)}"
        )
    return text


def _parent(access: Access, customer: Customer, parent_id: int | None) -> Customer | None:
    if parent_id is None:
        return None
    parent = group_customers(access).filter(pk=parent_id).first()
    if parent is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="parent", object=CUSTOMER.name, id=parent_id)
    ancestor: Customer | None = parent
    while ancestor is not None:
        if customer.pk is not None and ancestor.pk == customer.pk:
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="parent", reason="a cycle")
        ancestor = ancestor.parent
    return parent


def _check_duplicates(access: Access, customer: Customer, *, confirmed: bool) -> None:
    """DUPLICATE_SUSPECTED with the candidates (those the caller may view) unless confirmed."""
    customer.normalized_name = identity.normalized_name(customer.legal_name)
    if confirmed:
        return
    found = duplicates.candidates(
        access.visible(CUSTOMER, group_customers(access)),
        country=customer.country,
        normalized_name=customer.normalized_name,
        tax_id=customer.tax_id,
        exclude_pk=customer.pk,
    )
    if found:
        error = CrmError(ErrorCode.DUPLICATE_SUSPECTED, field="legalName", count=len(found))
        error.payload["duplicates"] = found
        raise error


def _unique_code(customer: Customer) -> None:
    others = Customer.objects.filter(group_id=customer.group_id, code=customer.code)
    if others.exclude(pk=customer.pk).exists():
        raise CrmError(
            ErrorCode.ALREADY_EXISTS, field="code", object=CUSTOMER.name, value=customer.code
        )


def customer_create(
    *, access: Access, fields: Mapping[str, Any], confirm_duplicate: bool = False
) -> Customer:
    """`fields` maps WRITABLE names to values; legal_name and country are required."""
    missing = [arg for name, arg in REQUIRED.items() if not fields.get(name)]
    if missing:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field=missing[0], reason="required")
    written = [name for name in fields if fields[name] is not None] + (
        [] if "code" in fields else ["code"]
    )
    access.require(Action.CREATE, CUSTOMER, written)
    customer = Customer(group_id=access.business_unit.group_id)
    for field in ("country", *[name for name in fields if name != "country"]):
        if fields.get(field) is not None:
            apply_field(access, customer, field, fields[field])
    customer.tax_id = identity.tax_id(customer.country, customer.tax_id)
    with transaction.atomic():
        if not customer.code:
            customer.code = _next_code(customer.group_id)
        _unique_code(customer)
        _check_duplicates(access, customer, confirmed=confirm_duplicate)
        customer.save()
    return customer


def customer_update(
    *,
    access: Access,
    customer_id: int,
    changes: Mapping[str, Any],
    confirm_duplicate: bool = False,
) -> Customer:
    with transaction.atomic():
        customer = lock_visible(access, CUSTOMER, group_customers(access), customer_id)
        access.require(Action.EDIT, customer, changes.keys())
        if customer.status == CustomerStatus.MERGED:
            # Whatever the policy says: a merged record only points at its survivor.
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="id",
                reason="the record was merged; edit the survivor",
            )
        for field in ("country", *[name for name in changes if name != "country"]):
            if field in changes:
                apply_field(access, customer, field, changes[field])
        customer.tax_id = identity.tax_id(customer.country, customer.tax_id)
        _unique_code(customer)
        if {"legal_name", "country", "tax_id"} & set(changes):
            _check_duplicates(access, customer, confirmed=confirm_duplicate)
        customer.save()
    return customer
