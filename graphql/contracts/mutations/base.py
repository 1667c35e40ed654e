"""What the contract mutations share: the contract by its global id, payment-term inputs."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.ids import pk_of
from crm.platform.core.errors import ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contracts import services
from crm.tenants.contracts.models import Contract

ON_CONTRACT = (ErrorCode.MALFORMED_ID, ErrorCode.NOT_FOUND, ErrorCode.RECORD_CLOSED)


def contract_of(access: Access, global_id: str) -> Contract:
    return services.get_contract(access, pk_of("Contract", global_id))


def payload(access: Access, contract: Contract) -> dict[str, Any]:
    return {"contract": services.get_contract(access, contract.pk)}


class PaymentShareInput(graphene.InputObjectType):
    percent = graphene.Decimal(required=True, description="Of the total; the shares add to 100.")
    days = graphene.Int(required=True, description="Due this many days after signing.")


def shares_of(entries: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if entries is None:
        return None
    return [{"percent": str(entry["percent"]), "days": entry["days"]} for entry in entries]
