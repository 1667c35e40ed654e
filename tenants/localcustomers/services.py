"""Keeping a BU's own record of a golden customer: local code (unique in the BU), name, terms."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.models import Customer
from crm.masterdata.customers.services import group_customers
from crm.platform.accounts.models import Membership, User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.automation import events
from crm.tenants.customfields.services import clean_custom, missing_required
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import AccountClass, LocalCustomer


def local_customer_set(
    *,
    access: Access,
    customer_id: int,
    local_code: str,
    local_name: str = "",
    payment_terms: str = "",
) -> LocalCustomer:
    """Create or update this BU's record of a golden customer it may view."""
    fields = ["local_code", "local_name", "payment_terms"]
    customer = access.visible(CUSTOMER, group_customers(access)).filter(pk=customer_id).first()
    if customer is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="customer", object=CUSTOMER.name, id=customer_id)
    code = local_code.strip()
    if not code or len(code) > 40:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="localCode", reason="1 to 40 characters")
    with transaction.atomic():
        record = LocalCustomer.objects.select_for_update().filter(customer_id=customer.pk).first()
        if record is None:
            access.require(Action.CREATE, LOCAL_CUSTOMER, fields)
            record = LocalCustomer(customer_id=customer.pk)
        else:
            access.require(Action.EDIT, record, fields)
        if LocalCustomer.objects.filter(local_code=code).exclude(pk=record.pk).exists():
            raise CrmError(
                ErrorCode.ALREADY_EXISTS, field="localCode", object="local customer", value=code
            )
        record.local_code = code
        record.local_name = local_name.strip()[:300]
        record.payment_terms = payment_terms.strip()[:100]
        record.save()
    return record


# -- the BU account (issue #5) -----------------------------------------------------------------

ACCOUNT_FIELDS = ("local_code", "local_name", "payment_terms", "classification", "notes")
MAX_NOTES = 10_000


def valid_assignee(access: Access, user_id: int, *, object: str, field: str = "owner") -> User:
    """An active user holding a role in this business unit, or INVALID_ASSIGNEE."""
    user = User.objects.filter(pk=user_id, group_id=access.business_unit.group_id).first()
    if user is None or not user.is_active:
        raise CrmError(
            ErrorCode.INVALID_ASSIGNEE,
            field=field,
            object=object,
            user=user_id,
            reason=str(_("not an active user of this group")),
        )
    if not Membership.objects.filter(user=user, business_unit=access.business_unit).exists():
        raise CrmError(
            ErrorCode.INVALID_ASSIGNEE,
            field=field,
            object=object,
            user=user.username,
            reason=str(_("holds no role in this business unit")),
        )
    return user


def _visible_customer(access: Access, customer_id: int) -> Customer:
    customer = access.visible(CUSTOMER, group_customers(access)).filter(pk=customer_id).first()
    if customer is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="customer", object=CUSTOMER.name, id=customer_id)
    return customer


def _clean_code(local_code: str) -> str:
    code = local_code.strip()
    if not code or len(code) > 40:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="localCode", reason="1 to 40 characters")
    return code


def _free_code(customer: Customer) -> str:
    """A local code for a new account: the golden code, suffixed if the BU uses it already."""
    base = customer.code[:34]
    taken = set(
        LocalCustomer.objects.filter(local_code__startswith=base).values_list(
            "local_code", flat=True
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _code_unused(code: str, record: LocalCustomer) -> None:
    if LocalCustomer.objects.filter(local_code=code).exclude(pk=record.pk).exists():
        raise CrmError(
            ErrorCode.ALREADY_EXISTS, field="localCode", object="local customer", value=code
        )


def _apply(record: LocalCustomer, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set the account's own fields given in `values` (validated); the changes made."""
    changes: dict[str, tuple[Any, Any]] = {}
    cleaned: dict[str, Any] = {}
    if "local_code" in values:
        cleaned["local_code"] = _clean_code(str(values["local_code"] or ""))
        _code_unused(cleaned["local_code"], record)
    for name, argument, limit in (
        ("local_name", "localName", 300),
        ("payment_terms", "paymentTerms", 100),
    ):
        if name in values:
            text = str(values[name] or "").strip()
            if len(text) > limit:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field=argument,
                    reason=f"at most {limit} characters",
                )
            cleaned[name] = text
    if "classification" in values:
        value = str(values["classification"] or "")
        if value and value not in AccountClass.values:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT,
                field="classification",
                reason=f"one of {', '.join(AccountClass.values)}",
            )
        cleaned["classification"] = value
    if "notes" in values:
        notes = str(values["notes"] or "")
        if len(notes) > MAX_NOTES:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="notes", reason=f"at most {MAX_NOTES} characters"
            )
        cleaned["notes"] = notes
    if "custom" in values:
        cleaned["custom"] = clean_custom("local_customer", values["custom"], current=record.custom)
    for name, value in cleaned.items():
        old = getattr(record, name)
        if old != value:
            changes[name] = (old, value)
            setattr(record, name, value)
    return changes


def _require_configured(record: LocalCustomer) -> None:
    """REQUIRED_FIELD_MISSING for the first field the BU requires on its accounts (built-in or
    custom) that `record` lacks."""
    missing = missing_required("local_customer", record)
    if missing:
        name = missing[0]
        head, *rest = name.split("_")
        field = name if "." in name else head + "".join(part.capitalize() for part in rest)
        raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field=field, object="account")


def _governed(values: dict[str, Any]) -> list[str]:
    return [("custom_fields" if name == "custom" else name) for name in values]


def account_create(
    access: Access, *, customer_id: int, values: dict[str, Any], owner_id: int | None = None
) -> LocalCustomer:
    """This BU's account for a golden customer it may view (one per customer): ALREADY_EXISTS
    if the BU has one. Without a local code, the golden code is used (suffixed if taken). The
    owner is the caller unless another is given (Action.ASSIGN, an active user of the BU)."""
    customer = _visible_customer(access, customer_id)
    access.require(Action.CREATE, LOCAL_CUSTOMER, _governed(values))
    with transaction.atomic():
        if LocalCustomer.objects.filter(customer_id=customer.pk).exists():
            raise CrmError(
                ErrorCode.ALREADY_EXISTS,
                field="customer",
                object="account",
                value=customer.code,
            )
        record = LocalCustomer(customer_id=customer.pk)
        given = dict(values)
        if not str(given.get("local_code") or "").strip():
            given["local_code"] = _free_code(customer)
        _apply(record, given)
        record.sales_owner_id = _owner_for_new(access, owner_id)
        access.require(Action.CREATE, record)
        _require_configured(record)
        record.save()
        events.record_created(access, "local_customer", record)
    return record


def _owner_for_new(access: Access, owner_id: int | None) -> int | None:
    if owner_id is None or owner_id == access.principal.user_id:
        return access.principal.user_id
    access.require(Action.ASSIGN, LOCAL_CUSTOMER)
    return valid_assignee(access, owner_id, object="account").pk


def account_for_customer(
    access: Access, *, customer_id: int, local_code: str | None = None, owner_id: int | None = None
) -> LocalCustomer:
    """The BU account of a golden customer the caller may view: the existing one (as it is), or
    a new one with `local_code` (generated when not given) and `owner_id` (default: the caller).
    For lead conversion: call it inside the conversion's transaction."""
    customer = _visible_customer(access, customer_id)
    existing = LocalCustomer.objects.filter(customer_id=customer.pk).first()
    if existing is not None:
        if not access.visible(
            LOCAL_CUSTOMER, LocalCustomer.objects.filter(pk=existing.pk)
        ).exists():
            raise access.denied(Action.VIEW, LOCAL_CUSTOMER, str(existing.pk))
        return existing
    values = {"local_code": local_code} if local_code else {}
    return account_create(access, customer_id=customer.pk, values=values, owner_id=owner_id)


def visible_account(access: Access, account_id: int, *, field: str = "id") -> LocalCustomer:
    """An account of this BU the caller may view, or NOT_FOUND."""
    record = access.visible(LOCAL_CUSTOMER, LocalCustomer.objects.filter(pk=account_id)).first()
    if record is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object="account", id=account_id)
    return record


def account_update(access: Access, *, account_id: int, values: dict[str, Any]) -> LocalCustomer:
    """Change the fields given (each writable for the caller)."""
    with transaction.atomic():
        record = visible_account(access, account_id)
        record = LocalCustomer.objects.select_for_update().get(pk=record.pk)
        access.require(Action.EDIT, record, _governed(values))
        changes = _apply(record, values)
        if changes:
            _require_configured(record)
            record.updated_at = timezone.now()
            record.save()
            events.fields_changed(
                access,
                "local_customer",
                record,
                {("custom_fields" if k == "custom" else k): v for k, v in changes.items()},
                occurrence=f"update:{record.updated_at.isoformat()}",
            )
    return record


def account_assign(access: Access, *, account_id: int, owner_id: int) -> LocalCustomer:
    """Give the account to another owner (Action.ASSIGN): an active user with a role here."""
    with transaction.atomic():
        record = visible_account(access, account_id)
        record = LocalCustomer.objects.select_for_update().get(pk=record.pk)
        access.require(Action.ASSIGN, record)
        owner = valid_assignee(access, owner_id, object="account")
        old = record.sales_owner_id
        if old != owner.pk:
            record.sales_owner_id = owner.pk
            record.updated_at = timezone.now()
            record.save(update_fields=["sales_owner_id", "updated_at"])
            events.fields_changed(
                access,
                "local_customer",
                record,
                {"sales_owner": (old, owner.pk)},
                occurrence=f"assign:{record.updated_at.isoformat()}",
            )
    return record
