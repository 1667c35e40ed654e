"""The golden customer record: one company of the group's customers, company-level data only.

No personal data lives here (contacts are BU records, #5). Each record is scoped to its group,
carries a group-wide code, and keeps the normalized keys duplicate detection compares.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from crm.masterdata.customers import identity
from crm.platform.core.money import amount_field
from crm.platform.core.placement import shared_model


class CustomerStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("active")
    BLOCKED = "BLOCKED", _("blocked")
    INACTIVE = "INACTIVE", _("inactive")
    MERGED = "MERGED", _("merged into another record")


class CompanySize(models.TextChoices):
    MICRO = "MICRO", _("micro (under 10 people)")
    SMALL = "SMALL", _("small (10–49)")
    MEDIUM = "MEDIUM", _("medium (50–249)")
    LARGE = "LARGE", _("large (250–999)")
    ENTERPRISE = "ENTERPRISE", _("enterprise (1,000 or more)")


class Classification(models.TextChoices):
    STRATEGIC = "STRATEGIC", _("strategic")
    KEY = "KEY", _("key")
    NORMAL = "NORMAL", _("normal")


class Grade(models.TextChoices):
    A = "A", _("A")
    B = "B", _("B")
    C = "C", _("C")


# SQL functions of migration 0007 over a record's columns; queries use the same expressions.
SEARCH_TERMS = Func(
    F("search_text"),
    F("normalized_name"),
    function="customer_search_terms",
    output_field=SearchVectorField(),
)
NAME_TRIGRAMS = Func(
    F("country"),
    F("normalized_name"),
    function="customer_name_trigrams",
    output_field=SearchVectorField(),
)


@shared_model(personal_data=False)
class Customer(models.Model):  # history: tracked in translation.py, with every language
    group = models.ForeignKey("tenants.Group", on_delete=models.PROTECT, related_name="customers")
    code = models.CharField(max_length=20, help_text=_("Group-wide customer code."))
    legal_name = models.CharField(max_length=300)
    trade_name = models.CharField(max_length=300, blank=True, default="")
    normalized_name = models.CharField(max_length=300, editable=False)
    # Code, tax id, legal and trade names (every language), normalized: what search matches.
    search_text = models.TextField(editable=False, default="")
    country = models.CharField(max_length=2, help_text=_("ISO 3166-1 alpha-2."))
    tax_id = models.CharField(max_length=40, blank=True, default="")
    industry = models.CharField(max_length=60, blank=True, default="")
    size = models.CharField(max_length=10, choices=CompanySize.choices, blank=True, default="")
    classification = models.CharField(
        max_length=10, choices=Classification.choices, default=Classification.NORMAL
    )
    grade = models.CharField(max_length=1, choices=Grade.choices, default=Grade.C)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="subsidiaries"
    )
    status = models.CharField(
        max_length=8, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    # In the group currency.
    credit_limit = amount_field(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="customer_code_unique"),
            models.CheckConstraint(
                name="customer_merged_has_survivor",
                condition=Q(status="MERGED", merged_into__isnull=False)
                | (~Q(status="MERGED") & Q(merged_into__isnull=True)),
            ),
            models.CheckConstraint(name="customer_not_own_parent", condition=~Q(parent=F("pk"))),
            models.CheckConstraint(
                name="credit_limit_not_negative",
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
            ),
        ]
        indexes = [
            models.Index(fields=["group", "country", "tax_id"], name="customer_tax_id"),
            # Exact normalized names: the duplicate check of a file import, a chunk at a time.
            models.Index(fields=["group", "normalized_name"], name="customer_exact_name"),
            GinIndex(
                name="customer_name_trgm",
                fields=["normalized_name"],
                opclasses=["gin_trgm_ops"],
            ),
            # Searches read these GIN indexes with every request: a short list of pending
            # entries (128 kB, not 4 MB), as each read scans it all.
            GinIndex(
                name="customer_search_trgm",
                fields=["search_text"],
                opclasses=["gin_trgm_ops"],
                gin_pending_list_limit=128,
            ),
            # Searches give no country: the exact tax id within the group.
            models.Index(
                fields=["group", "tax_id"], name="customer_tax_id_search", condition=~Q(tax_id="")
            ),
            # Words, pairs of words and one-letter-off spellings (identity.fuzzy_keys).
            GinIndex(SEARCH_TERMS, name="customer_search_terms", gin_pending_list_limit=128),
            # Trigrams by country and name length, for the duplicate check (duplicates.py).
            GinIndex(
                NAME_TRIGRAMS,
                name="customer_name_trigrams",
                condition=~Q(status=CustomerStatus.MERGED),
                gin_pending_list_limit=128,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.legal_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """The normalized name and search text always follow the record, however it is saved."""
        self.refresh_keys()
        super().save(*args, **kwargs)

    def refresh_keys(self) -> None:
        """Recompute the normalized name and the search text (bulk writes call this)."""
        trade_names = [
            getattr(self, build_localized_fieldname("trade_name", language), "") or ""
            for language in settings.MODELTRANSLATION_LANGUAGES
        ]
        self.normalized_name = identity.normalized_name(self.legal_name)
        self.search_text = identity.search_text(
            self.code, self.tax_id, self.legal_name, self.trade_name or "", *trade_names
        )
