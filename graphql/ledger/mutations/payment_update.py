"""paymentUpdate: correct a payment's reference."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.ledger.mutations.base import ON_DOCUMENT, payment_of
from crm.graphql.ledger.types import Payment
from crm.platform.permissions.engine import Access
from crm.tenants.ledger import payments


class PaymentUpdate(CrmMutation):
    class Meta:
        description = "Correct a payment's reference (amount and date are fixed once recorded)."
        error_codes = ON_DOCUMENT

    class Arguments:
        id = graphene.ID(required=True)
        payment_reference = graphene.String()

    payment = graphene.Field(Payment)

    @classmethod
    def perform(
        cls,
        _info: graphene.ResolveInfo,
        access: Access,
        id: str,
        payment_reference: str | None = None,
    ) -> dict[str, Any]:
        payment = payments.payment_update(
            access, payment_of(access, id), reference=payment_reference
        )
        return {"payment": payments.get_payment(access, payment.pk)}
