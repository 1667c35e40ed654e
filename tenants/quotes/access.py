"""Quotes, their lines and the BU's tax rates under the policy.

A quote's stage is its status. Its owner is the deal's owner, and the deal's account team
reaches it as the owner does (as they reach the deal). Lines have no stage of their own: who
may edit them is the `quote_line` type's rules (back-end support prepares them), and a line
can change only while its quote is a current draft. `margin` (and a line's `unit_cost`) is
the field the default policy shows to HQ, the BU's managers and finance only.

Personal fields (reads are audited): the note (free text to the customer, often naming the
person it is for) and the approval trail (its comments).
"""

from __future__ import annotations

from typing import Any

from crm.platform.permissions.registry import GovernedField, ObjectType, register
from crm.tenants.quotes import models


def deal_team_user_ids(record: Any) -> frozenset[int]:
    """The account team of the quote's deal (prefetched `opportunity__team` in lists)."""
    if record.pk is None or record.opportunity_id is None:
        return frozenset()
    return frozenset(member.user_id for member in record.opportunity.team.all())


QUOTE_FIELDS = (
    "number",
    "version",
    "status",
    "opportunity",
    "account",
    "owner",
    "currency",
    "language",
    "quote_date",
    "valid_until",
    "header_discount",
    "net_total",
    "tax_total",
    "gross_total",
    "margin",
    "max_discount",
    "approved_discount",
    "lines",
    "approvals",
    "versions",
    "note",
    "document",
)

QUOTE_PERSONAL = frozenset({"note", "approvals"})

QUOTE = register(
    ObjectType(
        name="quote",
        model=models.Quote,
        graphql_type="Quote",
        fields=tuple(GovernedField(name, personal=name in QUOTE_PERSONAL) for name in QUOTE_FIELDS),
        stages=models.QUOTE_STAGES,
        stage_field="status",
        group_field=None,
        owner_field="owner",
        members_lookup="opportunity__team__user",
        members_of=deal_team_user_ids,
    )
)

QUOTE_LINE_FIELDS = (
    "material",
    "quantity",
    "unit_price",
    "price_source",
    "discount",
    "net",
    "tax",
    "gross",
    "unit_cost",
    "margin",
)

QUOTE_LINE = register(
    ObjectType(
        name="quote_line",
        model=models.QuoteLine,
        graphql_type="QuoteLineItem",
        fields=tuple(GovernedField(name) for name in QUOTE_LINE_FIELDS),
        group_field=None,
    )
)

TAX_RATE = register(
    ObjectType(
        name="tax_rate",
        model=models.TaxRate,
        graphql_type="TaxRate",
        fields=tuple(
            GovernedField(name)
            for name in (
                "code",
                "name",
                "rate",
                "material_category",
                "is_default",
                "valid_from",
                "valid_to",
            )
        ),
        group_field=None,
    )
)
