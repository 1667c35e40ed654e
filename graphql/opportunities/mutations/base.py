"""What the deal mutations share: the deal by its global id, the reason of the move."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.opportunities import services
from crm.tenants.opportunities.models import Opportunity

# Codes every mutation on one deal can answer.
ON_DEAL = (ErrorCode.MALFORMED_ID, ErrorCode.NOT_FOUND)


class DealMutation(CrmMutation):
    """A mutation whose `reason` also goes into the deal's trail (OpportunityEvent.reason)."""

    class Meta:
        abstract = True

    @classmethod
    def mutate(cls, _root: None, info: graphene.ResolveInfo, **arguments: Any) -> CrmMutation:
        info.context._deal_reason = str(arguments.get("reason") or "")[:500]
        return super().mutate(_root, info, **arguments)


def reason_of(info: graphene.ResolveInfo) -> str:
    return str(getattr(info.context, "_deal_reason", "") or "")


def deal_of(access: Access, global_id: str) -> Opportunity:
    return services.get_deal(access, pk_of("Opportunity", global_id))


class DealProductInput(graphene.InputObjectType):
    material = graphene.ID(required=True, description="The material's global id.")
    quantity = graphene.Decimal(description="Positive, at most 3 decimal places; 1 by default.")


def products_of(entries: list[dict[str, Any]] | None) -> dict[int, Any]:
    products: dict[int, Any] = {}
    for index, entry in enumerate(entries or []):
        pk = pk_of("Material", entry["material"], field=f"products.{index}.material")
        quantity = entry.get("quantity")
        products[pk] = quantity if quantity is not None else 1
    return products
