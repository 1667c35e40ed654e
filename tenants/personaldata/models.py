"""Consent per purpose for the BU's contacts and leads, with full history; the anonymization ledger.

A consent is given or withdrawn for one purpose (marketing e-mail, phone, profiling) at a time,
from a source (a web form, an import, a sales rep, an integration, the person's own request).
`ConsentEvent` rows are the history and are never changed (only their free-text evidence is
cleared when the person's data is erased). `ConsentState` is the current answer per record and
purpose, kept in the same transaction as each event, so filters such as "contacts who agreed to
marketing e-mail" are one indexed join instead of a search for each record's latest event.

`Anonymization` lists the records whose personal data was erased (by a data-subject request or
by a retention policy): erasure and retention skip what is listed, which makes both idempotent.
It holds ids only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.platform.core.placement import tenant_model


class Purpose(models.TextChoices):
    MARKETING_EMAIL = "MARKETING_EMAIL", _("Marketing e-mail")
    PHONE = "PHONE", _("Phone calls")
    PROFILING = "PROFILING", _("Profiling and scoring")


class ConsentSource(models.TextChoices):
    WEB_FORM = "WEB_FORM", _("Web form")
    IMPORT = "IMPORT", _("Import")
    SALES_REP = "SALES_REP", _("Sales representative")
    INTEGRATION = "INTEGRATION", _("Integration")
    SUBJECT_REQUEST = "SUBJECT_REQUEST", _("The person's own request")
    LEAD_CONVERSION = "LEAD_CONVERSION", _("Carried over from the lead")
    ERASURE = "ERASURE", _("Withdrawn by erasure")


class SubjectType(models.TextChoices):
    CONTACT = "contact", _("Contact")
    LEAD = "lead", _("Lead")


def _one_subject() -> Q:
    return Q(contact__isnull=False, lead__isnull=True) | Q(contact__isnull=True, lead__isnull=False)


@tenant_model(personal_data=True)
class ConsentEvent(models.Model):
    """One grant or withdrawal, as it happened. Append-only."""

    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=ConsentSource.choices)
    # When the person gave or withdrew it (a form's time, an imported date), and when it was
    # recorded here.
    at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=200, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What proves it: the form's address, the wording's version, the import file. Free text, so
    # it is cleared when the person's data is erased.
    evidence = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=_one_subject(), name="consent_one_subject")]
        indexes = [
            models.Index(fields=["contact", "purpose", "at"], name="consent_event_contact"),
            models.Index(fields=["lead", "purpose", "at"], name="consent_event_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {'granted' if self.granted else 'withdrawn'}"


@tenant_model(personal_data=True)
class ConsentState(models.Model):
    """The current consent of one record for one purpose: its latest event (by `at`)."""

    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=ConsentSource.choices)
    at = models.DateTimeField()
    event = models.ForeignKey(ConsentEvent, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["purpose", "id"]
        constraints = [
            models.CheckConstraint(condition=_one_subject(), name="consent_state_one_subject"),
            models.UniqueConstraint(
                fields=["contact", "purpose"],
                condition=Q(contact__isnull=False),
                name="consent_state_contact_purpose",
            ),
            models.UniqueConstraint(
                fields=["lead", "purpose"],
                condition=Q(lead__isnull=False),
                name="consent_state_lead_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {'granted' if self.granted else 'withdrawn'}"


class AnonymizationReason(models.TextChoices):
    REQUEST = "REQUEST", _("Erasure requested by the person")
    RETENTION = "RETENTION", _("Retention period ended")


@tenant_model(personal_data=False)
class Anonymization(models.Model):
    """A record whose personal data was erased: which, when, why (ids only)."""

    record_type = models.CharField(max_length=20)
    record_id = models.BigIntegerField()
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=10, choices=AnonymizationReason.choices)
    # The data-subject request or retention run (shared schema ids) that erased it.
    reference = models.CharField(max_length=60, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "record_id"], name="anonymized_once"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id}"
