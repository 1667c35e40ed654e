"""Which records of one business unit a retention period has run out for (run in its schema).

- UNCONVERTED_LEAD: a lead never converted whose last change, and last activity, is older than
  the cut-off (open, qualified or invalid: nobody worked it since).
- INACTIVE_CONTACT: a contact not changed and without any activity since the cut-off that is
  not the primary contact of an open deal (e.g. the deals with them were lost or won long
  ago). The lead it came from holds the same person's data and goes with it.

- QUOTE, CONTRACT, ORDER, INVOICE (with its credit notes), PAYMENT: a closed quote-to-cash
  document unchanged since the cut-off has its personal texts blanked; numbers, dates and
  amounts stay (see `crm.tenants.personaldata.documents.expired` for what "closed" means).

Records already anonymized are never selected again, so a run repeated on the same day finds
nothing new: the run is idempotent.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from crm.tenants.personaldata import documents
from crm.tenants.personaldata.models import Anonymization, SubjectType
from crm.tenants.personaldata.subjects import Found


class RetentionRecordType(models.TextChoices):
    UNCONVERTED_LEAD = "UNCONVERTED_LEAD", _("Leads never converted")
    INACTIVE_CONTACT = "INACTIVE_CONTACT", _("Contacts without activity or open deal")
    QUOTE = "QUOTE", _("Closed quotes (texts and approval comments)")
    CONTRACT = "CONTRACT", _("Signed or cancelled contracts (terms and approval comments)")
    ORDER = "ORDER", _("Delivered and invoiced, or cancelled, orders (references and notes)")
    INVOICE = "INVOICE", _("Settled or cancelled invoices and their credit notes (notes)")
    PAYMENT = "PAYMENT", _("Payments allocated in full (bank references)")


# The document kinds (crm.tenants.personaldata.documents) each document record type covers.
DOCUMENT_KINDS: dict[str, tuple[str, ...]] = {
    RetentionRecordType.QUOTE: ("quote",),
    RetentionRecordType.CONTRACT: ("contract",),
    RetentionRecordType.ORDER: ("order",),
    RetentionRecordType.INVOICE: ("invoice",),
    RetentionRecordType.PAYMENT: ("payment",),
}


def _is_anonymized(record_type: str) -> Exists:
    return Exists(Anonymization.objects.filter(record_type=record_type, record_id=OuterRef("pk")))


def expired(record_type: RetentionRecordType, cutoff: datetime.datetime) -> Found:
    """The records of `record_type` whose retention ended before `cutoff`, and their activities."""
    from crm.masterdata.sales.models import StageKind
    from crm.tenants.contacts.models import Activity, Contact
    from crm.tenants.leads.models import Lead, LeadStatus
    from crm.tenants.opportunities.models import Opportunity

    if record_type in DOCUMENT_KINDS:
        return Found(expired_documents=documents.expired(DOCUMENT_KINDS[record_type], cutoff))
    if record_type == RetentionRecordType.UNCONVERTED_LEAD:
        lead_ids = sorted(
            Lead.objects.exclude(status=LeadStatus.CONVERTED)
            .filter(created_at__lt=cutoff, updated_at__lt=cutoff)
            .filter(Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=cutoff))
            .exclude(_is_anonymized(SubjectType.LEAD))
            .values_list("pk", flat=True)
        )
        contact_ids: list[int] = []
    else:
        recent = Activity.objects.filter(contact_id=OuterRef("pk"), occurred_at__gte=cutoff)
        open_deal = Opportunity.objects.filter(
            primary_contact_id=OuterRef("pk"), status=StageKind.OPEN
        )
        contact_ids = sorted(
            Contact.objects.filter(created_at__lt=cutoff, updated_at__lt=cutoff)
            .exclude(Exists(recent))
            .exclude(Exists(open_deal))
            .exclude(_is_anonymized(SubjectType.CONTACT))
            .values_list("pk", flat=True)
        )
        lead_ids = sorted(
            Lead.objects.filter(contact_id__in=contact_ids)
            .exclude(_is_anonymized(SubjectType.LEAD))
            .values_list("pk", flat=True)
        )
    activity_ids = sorted(
        Activity.objects.filter(
            Q(contact_id__in=contact_ids) | Q(lead_id__in=lead_ids)
        ).values_list("pk", flat=True)
    )
    return Found(contact_ids=contact_ids, lead_ids=lead_ids, activity_ids=activity_ids)
