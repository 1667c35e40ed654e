"""Groups (the SaaS customers) and their business units, each BU a django-tenants tenant.

The BU directory (every BU of every group, with its home region) is known to every cell, so
that a request for a BU served elsewhere can be answered with WRONG_REGION; the BU's schema
exists only in its home region's cell.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from crm.platform.core.money import CurrencyCodeField
from crm.platform.core.placement import shared_model


@shared_model(personal_data=False)
class Group(models.Model):  # type: ignore[django-manager-missing]
    """A manufacturing group: one customer of this SaaS, with its HQ and business units."""

    code = models.SlugField(unique=True, max_length=40)
    name = models.CharField(max_length=200)
    currency = CurrencyCodeField(help_text=_("Group (reporting) currency."))
    default_language = models.CharField(max_length=10, default="en")
    home_region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Where the group's master data is authoritative."),
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class BusinessUnitKind(models.TextChoices):
    HEADQUARTERS = "HQ", _("Group headquarters")
    BUSINESS_LINE = "LINE", _("Domestic business line")
    SUBSIDIARY = "SUB", _("Overseas subsidiary")


@shared_model(personal_data=False)
class BusinessUnit(TenantMixin):
    """A business unit of a group: the tenant, with its own schema in its home region."""

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="business_units")
    code = models.SlugField(max_length=20)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=4, choices=BusinessUnitKind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    language = models.CharField(max_length=10)
    # Where a translated text is missing in the request's language: these, in order.
    fallback_languages = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    currency = CurrencyCodeField(help_text=_("Functional currency."))
    time_zone = models.CharField(max_length=64)

    # Schemas are created only by provisioning, and only in the BU's home cell.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["group", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="bu_code_unique_in_group"),
        ]

    def __str__(self) -> str:
        return self.handle

    @property
    def handle(self) -> str:
        """The BU's name in the X-Business-Unit header: `<group code>.<BU code>`."""
        return f"{self.group.code}.{self.code}"

    def today(self) -> datetime.date:
        """The current date where the business unit is."""
        return timezone.now().astimezone(ZoneInfo(self.time_zone)).date()

    @staticmethod
    def schema_name_for(group_code: str, bu_code: str) -> str:
        return f"bu_{group_code}_{bu_code}".replace("-", "_").lower()


@shared_model(personal_data=False)
class Domain(DomainMixin):
    """A host name that selects a business unit, e.g. `de.lumina.localhost`."""
