"""What automation knows about each record type: its model, owner, the fields conditions may
name (and how each reads in Python and filters in SQL), the timestamps a time-based rule may
count from, the fields SET_FIELD may set, and a short label for notifications.

Contracts (issue #7, `crm.tenants.contracts`): their stage is the status (negotiation,
in_approval, approved, signed, cancelled); signing is the stage change the default rule
`contract-signed` listens to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _

from crm.tenants.automation.models import RecordType

# How a condition field compares: text without case; numbers; yes/no; dates and times; lists.
TEXT, INT, DECIMAL, BOOL, DATETIME, DATE, ARRAY = (
    "text",
    "int",
    "decimal",
    "bool",
    "datetime",
    "date",
    "array",
)


@dataclass(frozen=True)
class ConditionField:
    name: str
    kind: str
    # The model attribute read in Python and the ORM path filtered in SQL (default: the name).
    attr: str = ""
    path: str = ""
    read: Callable[[Any], Any] | None = None

    @property
    def attribute(self) -> str:
        return self.attr or self.name

    @property
    def lookup(self) -> str:
        return self.path or self.attribute

    def value(self, record: Any) -> Any:
        if self.read is not None:
            return self.read(record)
        return getattr(record, self.attribute, None)


@dataclass(frozen=True)
class SettableField:
    """A field SET_FIELD may set: `kind` checks the value; `mode` "set" or "add" (to a list)."""

    name: str
    kind: str
    mode: str = "set"
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordKind:
    name: str
    model_label: str  # "" when the model has not arrived yet (contract, #7)
    owner_attr: str = ""
    fields: tuple[ConditionField, ...] = ()
    since: tuple[str, ...] = ()
    settable: tuple[SettableField, ...] = ()
    label: Callable[[Any], str] = field(default=lambda record: f"#{record.pk}")
    stages: bool = False

    @property
    def available(self) -> bool:
        return bool(self.model_label)

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    def field(self, name: str) -> ConditionField | None:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        return None

    @property
    def field_names(self) -> tuple[str, ...]:
        names = tuple(f.name for f in self.fields)
        return (*names, "custom.*") if self.fields else names

    def settable_field(self, name: str) -> SettableField | None:
        for candidate in self.settable:
            if candidate.name == name:
                return candidate
        return None

    def owner_of(self, record: Any) -> int | None:
        owner: int | None = getattr(record, self.owner_attr, None) if self.owner_attr else None
        return owner

    def facts(self, record: Any) -> dict[str, Any]:
        """The record as conditions read it: {field name: value}, and its custom values."""
        values = {f.name: f.value(record) for f in self.fields}
        values["custom"] = getattr(record, "custom", None) or {}
        return values


def _campaign_code(lead: Any) -> str:
    campaign = lead.campaign if lead.campaign_id else None
    return campaign.code if campaign is not None else ""


def _lead_label(lead: Any) -> str:
    return lead.company_name or _("Lead %(id)s") % {"id": lead.pk}


def _account_label(account: Any) -> str:
    return str(account.local_name or account.local_code)


def _created_updated() -> tuple[ConditionField, ...]:
    return (ConditionField("created_at", DATETIME), ConditionField("updated_at", DATETIME))


def _owner(attr: str = "owner_id") -> ConditionField:
    return ConditionField("owner", INT, attr=attr)


KINDS: dict[str, RecordKind] = {
    RecordType.LEAD: RecordKind(
        name=RecordType.LEAD,
        model_label="leads.Lead",
        owner_attr="owner_id",
        fields=(
            ConditionField("status", TEXT),
            ConditionField("overdue", BOOL),
            _owner(),
            ConditionField("team", INT, attr="team_id"),
            ConditionField("company_name", TEXT),
            ConditionField("country", TEXT),
            ConditionField("region", TEXT),
            ConditionField("industry", TEXT),
            ConditionField("product_line", TEXT),
            ConditionField("channel", TEXT),
            ConditionField("tags", ARRAY),
            ConditionField("campaign", TEXT, path="campaign__code", read=_campaign_code),
            *_created_updated(),
            ConditionField("first_contacted_at", DATETIME),
            ConditionField("last_activity_at", DATETIME),
        ),
        since=("created_at", "updated_at", "first_contacted_at", "last_activity_at"),
        settable=(
            SettableField("overdue", BOOL),
            SettableField("tags", TEXT, mode="add"),
            SettableField("industry", TEXT),
            SettableField("product_line", TEXT),
        ),
        label=_lead_label,
    ),
    RecordType.ACCOUNT: RecordKind(
        name=RecordType.ACCOUNT,
        model_label="localcustomers.LocalCustomer",
        owner_attr="sales_owner_id",
        fields=(
            _owner("sales_owner_id"),
            ConditionField("local_code", TEXT),
            ConditionField("local_name", TEXT),
            ConditionField("classification", TEXT),
            ConditionField("payment_terms", TEXT),
            *_created_updated(),
            ConditionField("last_follow_up_at", DATETIME),
        ),
        since=("created_at", "updated_at", "last_follow_up_at"),
        settable=(SettableField("classification", TEXT, choices=("", "A", "B", "C", "D")),),
        label=_account_label,
    ),
    RecordType.CONTACT: RecordKind(
        name=RecordType.CONTACT,
        model_label="contacts.Contact",
        owner_attr="owner_id",
        fields=(
            _owner(),
            ConditionField("account", INT, attr="account_id"),
            ConditionField("buying_role", TEXT),
            ConditionField("job_title", TEXT),
            ConditionField("language", TEXT),
            ConditionField("consent_email", BOOL),
            ConditionField("consent_phone", BOOL),
            *_created_updated(),
        ),
        since=("created_at", "updated_at"),
        label=lambda contact: _("Contact %(id)s") % {"id": contact.pk},
    ),
    RecordType.OPPORTUNITY: RecordKind(
        name=RecordType.OPPORTUNITY,
        model_label="opportunities.Opportunity",
        owner_attr="owner_id",
        fields=(
            _owner(),
            ConditionField("account", INT, attr="account_id"),
            ConditionField("name", TEXT),
            ConditionField("stage", TEXT, attr="stage_code"),
            ConditionField("status", TEXT),
            ConditionField("deal_class", TEXT),
            ConditionField("grade", TEXT),
            ConditionField("amount", DECIMAL),
            ConditionField("currency", TEXT),
            ConditionField("expected_close", DATE),
            ConditionField("score", INT),
            ConditionField("probability", INT),
            *_created_updated(),
            ConditionField("stage_entered_at", DATETIME),
            ConditionField("last_activity_at", DATETIME),
        ),
        since=("created_at", "updated_at", "stage_entered_at", "last_activity_at"),
        settable=(
            SettableField("grade", TEXT, choices=("", "A", "B", "C", "D")),
            SettableField("deal_class", TEXT),
        ),
        label=lambda deal: deal.name,
        stages=True,
    ),
    RecordType.TASK: RecordKind(
        name=RecordType.TASK,
        model_label="contacts.Task",
        owner_attr="owner_id",
        fields=(
            _owner(),
            ConditionField("title", TEXT),
            ConditionField("status", TEXT),
            ConditionField("due_at", DATETIME),
            ConditionField("created_at", DATETIME),
            ConditionField("completed_at", DATETIME),
        ),
        since=("created_at", "due_at"),
        label=lambda task: task.title,
    ),
    RecordType.CONTRACT: RecordKind(
        name=RecordType.CONTRACT,
        model_label="contracts.Contract",
        owner_attr="owner_id",
        fields=(
            _owner(),
            ConditionField("account", INT, attr="account_id"),
            ConditionField("number", TEXT),
            ConditionField("status", TEXT),
            ConditionField("currency", TEXT),
            ConditionField("total", DECIMAL, attr="total_amount"),
            ConditionField("amount_group", DECIMAL),
            ConditionField("discount", DECIMAL),
            ConditionField("signed_on", DATE),
            *_created_updated(),
        ),
        since=("created_at", "updated_at"),
        label=lambda contract: contract.number,
        stages=True,
    ),
}


def kind_of(record_type: str) -> RecordKind:
    return KINDS[record_type]
