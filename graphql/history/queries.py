"""`history`: every change of a governed record, who made it, from where and why, field by field.

Rows come from django-pghistory's event tables, written by database triggers, so nothing that
changes a record escapes them. A caller sees the history of records they may view, and only the
changes of fields they may read; an entry whose every change is hidden is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import graphene
from pghistory.models import Events

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.permissions import caller
from crm.i18n.languages import SUPPORTED
from crm.masterdata.access import EXCHANGE_RATE, MATERIAL, PRICE_LIST
from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.models import Customer
from crm.masterdata.models import ExchangeRate, Material, PriceList
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.registry import ObjectType
from crm.platform.permissions.vocabulary import FieldMode

MAX_ENTRIES = 100


@dataclass(frozen=True)
class Tracked:
    object_type: ObjectType
    model: type[Any]
    kind: str  # the global id's type
    # Event columns -> the policy field that governs them; columns not named are not shown.
    fields: dict[str, str]
    # Events of related rows shown in this record's history (price-list items of a list).
    related: bool = False


def _governed(object_type: ObjectType, **columns: str) -> dict[str, str]:
    """The type's governed fields, each its own column (and one per language, `name_de`, for
    translated ones), plus columns named differently."""
    languages = [code.replace("-", "_") for code in SUPPORTED]
    return {
        **{name: name for name in object_type.field_names},
        **{f"{name}_{code}": name for name in object_type.field_names for code in languages},
        **columns,
    }


TRACKED = {
    "material": Tracked(MATERIAL, Material, "Material", _governed(MATERIAL)),
    "price_list": Tracked(
        PRICE_LIST,
        PriceList,
        "PriceList",
        # The coverage is three columns; items' rows show their material and amount.
        _governed(
            PRICE_LIST,
            scope="coverage",
            region="coverage",
            business_unit="coverage",
            material="items",
            amount="items",
        ),
        related=True,
    ),
    "customer": Tracked(CUSTOMER, Customer, "Customer", _governed(CUSTOMER)),
    "exchange_rate": Tracked(EXCHANGE_RATE, ExchangeRate, "ExchangeRate", _governed(EXCHANGE_RATE)),
}
HistoryObjectType = graphene.Enum(
    "HistoryObjectType",
    [(name.upper(), name) for name in TRACKED],
    description="Types with history.",
)


class FieldChange(graphene.ObjectType):
    field = graphene.String(required=True)
    before = graphene.String(description="Null when the value was empty or the row is new.")
    after = graphene.String(description="Null when the value was emptied or the row deleted.")


class HistoryEntry(graphene.ObjectType):
    at = graphene.DateTime(required=True)
    action = graphene.String(required=True, description="insert, update or delete")
    row = graphene.String(required=True, description="The changed table, e.g. price list item.")
    actor = graphene.String(description="Who, as shown at the time; null outside the API.")
    business_unit = graphene.String(description="The BU the change was made from.")
    operation = graphene.String(description="The mutation that made it.")
    reason = graphene.String(description="Why, as given with the change.")
    changes = graphene.List(graphene.NonNull(FieldChange), required=True)


def _column(field: str) -> str:
    """Event columns of foreign keys end in _id; translated names keep their base field."""
    return field[:-3] if field.endswith("_id") else field


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def entries(access: Access, tracked: Tracked, record: Any, first: int) -> list[HistoryEntry]:
    permissions = access.on_record(tracked.object_type, record)
    events = Events.objects.references(record) if tracked.related else Events.objects.tracks(record)
    found = []
    for event in events.order_by("-pgh_created_at", "-pgh_id")[:first]:
        if event.pgh_diff is not None:
            pairs = {name: tuple(values) for name, values in event.pgh_diff.items()}
        elif event.pgh_label == "delete":
            pairs = {name: (value, None) for name, value in event.pgh_data.items()}
        else:
            pairs = {name: (None, value) for name, value in event.pgh_data.items()}
        changes = [
            FieldChange(field=_column(name), before=_text(before), after=_text(after))
            for name, (before, after) in sorted(pairs.items())
            if _column(name) in tracked.fields
            and permissions.mode(tracked.fields[_column(name)]) >= FieldMode.READ
        ]
        if not changes:
            continue
        context = event.pgh_context or {}
        model = event.pgh_model.split(".")[-1].removesuffix("Event")
        found.append(
            HistoryEntry(
                at=event.pgh_created_at,
                action=event.pgh_label,
                row=model,
                actor=context.get("actor"),
                business_unit=context.get("business_unit"),
                operation=context.get("operation"),
                reason=context.get("reason") or None,
                changes=changes,
            )
        )
    return found


class HistoryQueries(graphene.ObjectType):
    history = graphene.List(
        graphene.NonNull(HistoryEntry),
        required=True,
        object_type=graphene.Argument(HistoryObjectType, required=True),
        id=graphene.ID(required=True),
        first=graphene.Int(default_value=20, description=f"At most {MAX_ENTRIES}."),
        description="A record's changes, newest first, with the fields you may read.",
    )

    @staticmethod
    def resolve_history(
        _root: None, info: graphene.ResolveInfo, object_type: Any, id: str, first: int = 20
    ) -> list[HistoryEntry]:
        tracked = TRACKED[str(getattr(object_type, "value", object_type))]
        try:
            access = caller(info)
            if not 0 < first <= MAX_ENTRIES:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT, field="first", reason=f"1 to {MAX_ENTRIES}"
                )
            records = tracked.model.objects.filter(group_id=access.business_unit.group_id)
            record = (
                access.visible(tracked.object_type, records)
                .filter(pk=pk_of(tracked.kind, id))
                .first()
            )
            if record is None:
                raise CrmError(
                    ErrorCode.NOT_FOUND, field="id", object=tracked.object_type.name, id=id
                )
        except CrmError as error:
            raise graphql_error(error) from error
        return entries(access, tracked, record, first)
