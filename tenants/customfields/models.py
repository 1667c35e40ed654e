"""Fields a business unit adds to its records without code, and the fields it requires.

A definition names the record type (lead, account, contact, opportunity), a code, a kind (text,
number, money, date, choice, multi-choice), translated labels, validation, and from which stage
it is required. Values live in the record's `custom` JSONB column under the code: text as a
string, number as a decimal string, money as {"amount": "12.50", "currency": "EUR"}, date as
ISO 8601, choice as the option's code, multi-choice as a list of codes. A GIN index
(jsonb_path_ops) on each `custom` column serves equality and containment filters; a number or
date field marked `filterable` also gets an expression index in the BU's schema for range
filters (see indexes.py). Services: services.py (values, required fields), configuration.py
(definitions and required built-ins), filters.py (queries).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import tenant_model


class FieldKind(models.TextChoices):
    TEXT = "TEXT", _("Text")
    NUMBER = "NUMBER", _("Number")
    MONEY = "MONEY", _("Money")
    DATE = "DATE", _("Date")
    CHOICE = "CHOICE", _("Choice")
    MULTI_CHOICE = "MULTI_CHOICE", _("Multiple choice")


class CustomRecordType(models.TextChoices):
    LEAD = "lead", _("Lead")
    ACCOUNT = "local_customer", _("Account")
    CONTACT = "contact", _("Contact")
    OPPORTUNITY = "opportunity", _("Opportunity")


@tenant_model(personal_data=False)
class FieldDefinition(models.Model):
    record_type = models.CharField(max_length=20, choices=CustomRecordType.choices)
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=200)
    help_text = models.CharField(max_length=500, blank=True, default="")
    kind = models.CharField(max_length=12, choices=FieldKind.choices)
    # Choice options: [{"code": "OEM", "labels": {"en": "OEM", "de": "OEM", ...}}, ...]
    options = models.JSONField(default=list, blank=True)
    # Validation: text max_length and pattern; number/money min and max; date min and max.
    max_length = models.PositiveIntegerField(null=True, blank=True)
    pattern = models.CharField(max_length=300, blank=True, default="")
    minimum = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)
    maximum = models.DecimalField(max_digits=19, decimal_places=4, null=True, blank=True)
    min_date = models.DateField(null=True, blank=True)
    max_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="", help_text=_("Money: fixed"))
    # Required always (""), or from this stage on (for opportunities: a stage code; for leads:
    # a lead status).
    required = models.BooleanField(default=False)
    required_from_stage = models.CharField(max_length=40, blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    # Range filters (min/max) on a number or date field use an expression index in the BU's
    # schema, built when the definition is marked filterable and dropped when it no longer is.
    filterable = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record_type", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "code"], name="custom_field_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type}.{self.code}"


@tenant_model(personal_data=False)
class FieldRequirement(models.Model):
    """A built-in field the BU requires (e.g. a lead's `country`), always or from a stage."""

    record_type = models.CharField(max_length=20, choices=CustomRecordType.choices)
    field = models.CharField(max_length=60)
    from_stage = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["record_type", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "field", "from_stage"], name="field_requirement_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_type}.{self.field}"
