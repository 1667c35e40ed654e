"""The BU's extension of a golden customer: its local code, local name, payment terms, owner.

It lives in the business unit's schema and refers to the golden record by id (the golden record
is in the shared schema, and may be homed in another cell's replica). Golden records are never
deleted, only merged, so a reference never dangles; a merge redirects it to the survivor.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from crm.platform.core.placement import tenant_model


@tenant_model(personal_data=False)
class LocalCustomer(models.Model):
    customer_id = models.BigIntegerField(help_text="Golden customer (shared schema) id.")
    local_code = models.CharField(max_length=40)
    local_name = models.CharField(max_length=300, blank=True, default="")
    payment_terms = models.CharField(max_length=100, blank=True, default="")
    sales_owner_id = models.BigIntegerField(null=True, blank=True)
    # Local codes of records merged into this one, so old documents still find it.
    former_codes = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["local_code"]
        constraints = [
            models.UniqueConstraint(fields=["local_code"], name="local_customer_code_unique"),
            models.UniqueConstraint(fields=["customer_id"], name="one_local_view_per_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.local_code} -> {self.customer_id}"
