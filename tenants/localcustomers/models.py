"""The BU's extension of a golden customer: its local code, local name, payment terms, owner.

It lives in the business unit's schema and refers to the golden record by id (the golden record
is in the shared schema, and may be homed in another cell's replica). Golden records are never
deleted, only merged, so a reference never dangles; a merge redirects it to the survivor.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import tenant_model


class AccountClass(models.TextChoices):
    """The BU's own ABC classification of its accounts."""

    A = "A", _("A: key account")
    B = "B", _("B: development account")
    C = "C", _("C: standard account")
    D = "D", _("D: occasional")


@tenant_model(personal_data=False)
class LocalCustomer(models.Model):
    """The BU account: the BU's view of a golden customer (GraphQL type `Account`)."""

    customer_id = models.BigIntegerField(help_text="Golden customer (shared schema) id.")
    local_code = models.CharField(max_length=40)
    local_name = models.CharField(max_length=300, blank=True, default="")
    payment_terms = models.CharField(max_length=100, blank=True, default="")
    sales_owner_id = models.BigIntegerField(null=True, blank=True)
    # Local codes of records merged into this one, so old documents still find it.
    former_codes = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    classification = models.CharField(
        max_length=1, choices=AccountClass.choices, blank=True, default=""
    )
    notes = models.TextField(blank=True, default="")
    # The last call, visit, e-mail or meeting with the customer (any contact, any deal).
    last_follow_up_at = models.DateTimeField(null=True, blank=True)
    custom = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["local_code"]
        constraints = [
            models.UniqueConstraint(fields=["local_code"], name="local_customer_code_unique"),
            models.UniqueConstraint(fields=["customer_id"], name="one_local_view_per_customer"),
        ]
        indexes = [
            models.Index(fields=["sales_owner_id"], name="account_owner"),
            models.Index(fields=["last_follow_up_at"], name="account_follow_up"),
            GinIndex(fields=["custom"], name="account_custom", opclasses=["jsonb_path_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.local_code} -> {self.customer_id}"
