"""Contacts, activities and tasks of a business unit: every write checked by the policy engine.

    contact = create_contact(access, values={"last_name": "Müller", "email": "m@x.de"},
                             account=account)
    activity = log_activity(access, kind="CALL", subject="Intro call", lead=lead)
    task = create_task(access, values={"title": "Send offer", "due_at": when}, account=account)

Refusals are typed (`CrmError`) and change nothing. What logging an activity keeps up to date
(follow-up and activity times, a new lead becoming contacted) is a consequence of the activity,
not an edit of those records: it needs no edit right on them, only the right to view them.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterable
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.i18n import languages
from crm.platform.accounts.models import User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.registry import ObjectType
from crm.platform.permissions.vocabulary import Action
from crm.tenants.automation import events
from crm.tenants.automation.models import Notification
from crm.tenants.contacts.access import ACTIVITY, CONTACT, TASK
from crm.tenants.contacts.models import (
    FOLLOW_UP_KINDS,
    Activity,
    ActivityKind,
    BuyingRole,
    Contact,
    Task,
    TaskStatus,
)
from crm.tenants.customfields.services import clean_custom, missing_required
from crm.tenants.leads.access import LEAD
from crm.tenants.leads.models import Lead, LeadStatus
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.localcustomers.services import valid_assignee
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.access import OPPORTUNITY
from crm.tenants.opportunities.models import Opportunity

log = logging.getLogger(__name__)
M = TypeVar("M", bound=models.Model)

# -- shared checks -----------------------------------------------------------------------------

NAME_FIELDS = {
    "first_name": ("firstName", 100),
    "last_name": ("lastName", 100),
    "first_name_latin": ("firstNameLatin", 100),
    "last_name_latin": ("lastNameLatin", 100),
    "job_title": ("jobTitle", 200),
}
PHONE_FIELDS = {"phone": "phone", "mobile": "mobile"}
# A phone number as people write it: an optional leading +, digits and the usual separators.
PHONE = re.compile(r"\+?[0-9][0-9 ()./-]*")
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 5, 17
MAX_SUBJECT, MAX_BODY, MAX_DESCRIPTION = 300, 20_000, 10_000
# An activity may be logged a little ahead of the server's clock (clients' clocks drift).
FUTURE_TOLERANCE = datetime.timedelta(minutes=1)


def _invalid(field: str, reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=reason)


def _text(value: Any, field: str, limit: int, *, required: bool = False, object: str = "") -> str:
    text = str(value or "").strip()
    if required and not text:
        raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field=field, object=object)
    if len(text) > limit:
        raise _invalid(field, f"at most {limit} characters")
    return text


def normalized_phone(value: Any, field: str) -> str:
    """A phone number with single spaces, or INVALID_ARGUMENT (the `phonenumbers` library is
    not installed: the check is on its characters and number of digits)."""
    text = " ".join(str(value or "").split())
    if not text:
        return ""
    digits = sum(ch.isdigit() for ch in text)
    if not PHONE.fullmatch(text) or not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        raise _invalid(
            field,
            f"digits with an optional leading +, spaces, ( ) - . /; "
            f"{MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits",
        )
    if len(text) > 40:
        raise _invalid(field, "at most 40 characters")
    return text


def one_visible(
    access: Access, object_type: ObjectType, queryset: models.QuerySet[M], pk: Any, field: str
) -> M:
    """The record `pk` (an id or a loaded record) of `queryset` the caller may view, or
    NOT_FOUND (a record of another BU is not in this schema: NOT_FOUND as well)."""
    key = pk.pk if isinstance(pk, models.Model) else pk
    found = access.visible(object_type, queryset.filter(pk=key)).first()
    if found is None:
        raise CrmError(ErrorCode.NOT_FOUND, field=field, object=object_type.name, id=key)
    return found


def _owner(access: Access, object_type: ObjectType, owner_id: int | None, label: str) -> int:
    """The owner of a new record: the caller, or another user (Action.ASSIGN, in this BU)."""
    me = access.principal.user_id
    if owner_id is None or owner_id == me:
        if me is None:  # an API key owns nothing: it must name the owner
            raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field="owner", object=label)
        return me
    access.require(Action.ASSIGN, object_type)
    return valid_assignee(access, owner_id, object=label).pk


def require_configured(record_type: str, record: Any, label: str) -> None:
    """REQUIRED_FIELD_MISSING for the first field the BU requires on such records (its own
    configuration: built-in fields and custom ones) that `record` lacks."""
    missing = missing_required(record_type, record)
    if missing:
        name = missing[0]
        field = name if name.startswith("customFields.") else _camel(name)
        raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field=field, object=label)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _governed(values: Iterable[str]) -> list[str]:
    return ["custom_fields" if name == "custom" else name for name in values]


# -- contacts ----------------------------------------------------------------------------------

CONTACT_VALUES = (
    *NAME_FIELDS,
    "buying_role",
    "email",
    "phone",
    "mobile",
    "language",
    "consent_email",
    "consent_phone",
    "custom",
)


def _apply_contact(contact: Contact, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    unknown = set(values) - set(CONTACT_VALUES)
    if unknown:
        raise _invalid(sorted(unknown)[0], "not a contact field")
    cleaned: dict[str, Any] = {}
    for name, (field, limit) in NAME_FIELDS.items():
        if name in values:
            cleaned[name] = _text(
                values[name], field, limit, required=name == "last_name", object="contact"
            )
    if "buying_role" in values:
        role = str(values["buying_role"] or "")
        if role and role not in BuyingRole.values:
            raise _invalid("buyingRole", f"one of {', '.join(BuyingRole.values)}")
        cleaned["buying_role"] = role
    if "email" in values:
        email = str(values["email"] or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise _invalid("email", "an e-mail address like name@example.com") from None
            local, _at, domain = email.rpartition("@")
            email = f"{local}@{domain.lower()}"
        cleaned["email"] = email
    for name, field in PHONE_FIELDS.items():
        if name in values:
            cleaned[name] = normalized_phone(values[name], field)
    if "language" in values:
        code = str(values["language"] or "").strip()
        language = languages.supported(code) if code else ""
        if language is None:
            raise CrmError(ErrorCode.UNKNOWN_LANGUAGE, field="language", language=code)
        cleaned["language"] = language
    for name in ("consent_email", "consent_phone"):
        if name in values:
            cleaned[name] = bool(values[name])
    if "custom" in values:
        cleaned["custom"] = clean_custom("contact", values["custom"], current=contact.custom)
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in cleaned.items():
        old = getattr(contact, name)
        if old != value:
            changes[name] = (old, value)
            setattr(contact, name, value)
    return changes


def visible_contact(access: Access, contact_id: Any, *, field: str = "id") -> Contact:
    return one_visible(access, CONTACT, Contact.objects.all(), contact_id, field)


def _account(access: Access, account: Any, field: str = "account") -> LocalCustomer:
    return one_visible(access, LOCAL_CUSTOMER, LocalCustomer.objects.all(), account, field)


def create_contact(
    access: Access,
    *,
    values: dict[str, Any],
    account: LocalCustomer | int | None = None,
    lead_id: int | None = None,
    owner_id: int | None = None,
) -> Contact:
    """A contact of this BU (of `account`, one the caller may view), owned by the caller unless
    `owner_id` names another user of the BU (Action.ASSIGN). `values` are the model's field
    names (`custom` for custom fields). A last name is required."""
    fields = _governed(values)
    if account is not None:
        fields.append("account")
    access.require(Action.CREATE, CONTACT, fields)
    with transaction.atomic():
        contact = Contact(lead_id=lead_id)
        if account is not None:
            contact.account = _account(access, account)
        _apply_contact(contact, {"last_name": "", **values})
        contact.owner_id = _owner(access, CONTACT, owner_id, "contact")
        require_configured("contact", contact, "contact")
        contact.save()
        _consent_flags_recorded(access, contact, [name for name in CONSENT_FLAGS if name in values])
        events.record_created(access, "contact", contact)
    return contact


CONSENT_FLAGS = ("consent_email", "consent_phone")


def _consent_flags_recorded(access: Access, contact: Contact, names: Iterable[str]) -> None:
    """Consent flags set on the contact itself are consents too: kept in their history."""
    from crm.tenants.personaldata.consents import flags_changed

    flags = {name: bool(getattr(contact, name)) for name in names}
    if flags:
        flags_changed(access, contact.pk, flags)


def update_contact(
    access: Access,
    *,
    contact_id: int,
    values: dict[str, Any],
    account: LocalCustomer | int | None = None,
    clear_account: bool = False,
    owner_id: int | None = None,
) -> Contact:
    """Change the fields given, each writable for the caller; a new owner needs Action.ASSIGN."""
    with transaction.atomic():
        contact = visible_contact(access, contact_id)
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        fields = _governed(values)
        if account is not None or clear_account:
            fields.append("account")
        access.require(Action.EDIT, contact, fields)
        changes = _apply_contact(contact, values)
        if account is not None or clear_account:
            new_account = _account(access, account) if account is not None else None
            new_id = new_account.pk if new_account else None
            if new_id != contact.account_id:
                changes["account"] = (contact.account_id, new_id)
                contact.account = new_account
        if owner_id is not None and owner_id != contact.owner_id:
            access.require(Action.ASSIGN, contact)
            changes["owner"] = (
                contact.owner_id,
                valid_assignee(access, owner_id, object="contact").pk,
            )
            contact.owner_id = owner_id
        if changes:
            require_configured("contact", contact, "contact")
            contact.updated_at = timezone.now()
            contact.save()
            _consent_flags_recorded(access, contact, [n for n in CONSENT_FLAGS if n in changes])
            events.fields_changed(
                access,
                "contact",
                contact,
                {("custom_fields" if k == "custom" else k): v for k, v in changes.items()},
                occurrence=f"update:{contact.updated_at.isoformat()}",
            )
    return contact


def delete_contact(access: Access, *, contact_id: int) -> None:
    """Delete a contact nothing refers to. Activities, tasks and deals that name it keep the
    history with the customer: then IN_USE (erasing personal data is its own process)."""
    with transaction.atomic():
        contact = visible_contact(access, contact_id)
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        access.require(Action.DELETE, contact)
        if (
            Activity.objects.filter(contact=contact).exists()
            or Task.objects.filter(contact=contact).exists()
            or Opportunity.objects.filter(primary_contact=contact).exists()
        ):
            raise CrmError(ErrorCode.IN_USE, field="id", object="contact", id=contact.pk)
        contact.delete()


# -- activities --------------------------------------------------------------------------------

LOGGABLE_KINDS = tuple(kind for kind in ActivityKind.values if kind != ActivityKind.ENGAGEMENT)


def _when(occurred_at: datetime.datetime | None) -> datetime.datetime:
    now = timezone.now()
    if occurred_at is None:
        return now
    if timezone.is_naive(occurred_at):
        raise _invalid("occurredAt", "a date and time with its time zone")
    if occurred_at > now + FUTURE_TOLERANCE:
        raise _invalid("occurredAt", "not in the future")
    return occurred_at


def _kind(kind: str, *, by_automation: bool) -> str:
    value = str(getattr(kind, "value", kind))
    allowed = ActivityKind.values if by_automation else LOGGABLE_KINDS
    if value not in allowed:
        raise _invalid("kind", f"one of {', '.join(allowed)}")
    return value


def log_activity(
    access: Access,
    *,
    kind: str,
    subject: str,
    body: str = "",
    occurred_at: datetime.datetime | None = None,
    account: LocalCustomer | int | None = None,
    contact: Contact | int | None = None,
    lead: Lead | int | None = None,
    opportunity: Opportunity | int | None = None,
    by_automation: bool = False,
) -> Activity:
    """Log a call, visit, e-mail, meeting or note against at least one record of this BU the
    caller may view (a contact of `account` if both are given; a deal of `account` likewise).
    The account defaults to the contact's or the deal's. A follow-up (call, visit, e-mail,
    meeting) keeps "last follow-up" on the account and the last activity on the deal and the
    lead; a first one with a NEW lead makes it CONTACTED. ENGAGEMENT is for automation only."""
    value = _kind(kind, by_automation=by_automation)
    subject_text = _text(subject, "subject", MAX_SUBJECT, required=True, object="activity")
    body_text = str(body or "")
    if len(body_text) > MAX_BODY:
        raise _invalid("body", f"at most {MAX_BODY} characters")
    when = _when(occurred_at)
    if account is None and contact is None and lead is None and opportunity is None:
        raise _invalid(
            "account",
            "an activity is logged against an account, a contact, a lead or an opportunity",
        )
    fields = ["kind", "subject", "body", "occurred_at"]
    fields += [
        name
        for name, given in (
            ("account", account),
            ("contact", contact),
            ("lead", lead),
            ("opportunity", opportunity),
        )
        if given is not None
    ]
    access.require(Action.CREATE, ACTIVITY, fields)
    with transaction.atomic():
        activity = Activity(kind=value, subject=subject_text, body=body_text, occurred_at=when)
        _targets(access, activity, account, contact, lead, opportunity)
        activity.owner_id = access.principal.user_id
        access.require(Action.CREATE, activity)
        activity.save()
        events.record_created(access, "activity", activity)
        if value in FOLLOW_UP_KINDS:
            _followed_up(access, activity)
    return activity


def _targets(
    access: Access,
    activity: Activity | Task,
    account: Any,
    contact: Any,
    lead: Any,
    opportunity: Any,
) -> None:
    """Set the records an activity or a task is about, each visible, consistent together."""
    account_record = _account(access, account) if account is not None else None
    if contact is not None:
        contact_record = visible_contact(access, contact, field="contact")
        if account_record is not None and contact_record.account_id != account_record.pk:
            raise _invalid("contact", "a contact of the given account")
        activity.contact = contact_record
        if account_record is None and contact_record.account_id is not None:
            account_record = contact_record.account
    if opportunity is not None:
        deal = one_visible(
            access, OPPORTUNITY, Opportunity.objects.all(), opportunity, "opportunity"
        )
        if account_record is not None and deal.account_id != account_record.pk:
            raise _invalid("opportunity", "an opportunity of the given account")
        activity.opportunity = deal
        if account_record is None:
            account_record = deal.account
    if lead is not None:
        activity.lead = one_visible(access, LEAD, Lead.objects.all(), lead, "lead")
    activity.account = account_record


def _followed_up(access: Access, activity: Activity) -> None:
    """A follow-up was logged: the last follow-up of its account, the last activity of its deal
    and lead; a NEW lead becomes CONTACTED (its stage change told to automation)."""
    _refresh_follow_ups(
        accounts=[activity.account_id],
        opportunities=[activity.opportunity_id],
        leads=[activity.lead_id],
    )
    if activity.lead_id is None:
        return
    lead = Lead.objects.select_for_update().get(pk=activity.lead_id)
    if lead.status == LeadStatus.NEW:
        lead.status = LeadStatus.CONTACTED
        lead.first_contacted_at = activity.occurred_at
        lead.overdue = False
        lead.updated_at = timezone.now()
        lead.save(update_fields=["status", "first_contacted_at", "overdue", "updated_at"])
        events.stage_changed(
            access,
            "lead",
            lead,
            LeadStatus.NEW.value,
            LeadStatus.CONTACTED.value,
            occurrence=f"activity:{activity.pk}",
        )
    elif lead.first_contacted_at is None:
        Lead.objects.filter(pk=lead.pk).update(first_contacted_at=activity.occurred_at)


def _latest(column: str) -> Subquery:
    follow_ups = Activity.objects.filter(**{column: OuterRef("pk")}, kind__in=FOLLOW_UP_KINDS)
    return Subquery(
        follow_ups.order_by().values(column).annotate(last=Max("occurred_at")).values("last")[:1]
    )


def _refresh_follow_ups(
    *,
    accounts: Iterable[int | None] = (),
    opportunities: Iterable[int | None] = (),
    leads: Iterable[int | None] = (),
) -> None:
    """Recompute "last follow-up" (account) and the last activity (deal, lead) from the
    follow-up activities logged, so that a late-logged, edited or deleted one counts right."""
    for model, ids, column, target in (
        (LocalCustomer, accounts, "account", "last_follow_up_at"),
        (Opportunity, opportunities, "opportunity", "last_activity_at"),
        (Lead, leads, "lead", "last_activity_at"),
    ):
        keys = sorted({key for key in ids if key is not None})
        if keys:
            model.objects.filter(pk__in=keys).update(**{target: _latest(column)})


def visible_activity(access: Access, activity_id: int) -> Activity:
    return one_visible(access, ACTIVITY, Activity.objects.all(), activity_id, "id")


def update_activity(access: Access, *, activity_id: int, values: dict[str, Any]) -> Activity:
    """Change an activity's kind, subject, body or time (the caller's own, or as the policy
    says); its follow-up times are recomputed."""
    with transaction.atomic():
        activity = visible_activity(access, activity_id)
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if activity.kind == ActivityKind.ENGAGEMENT:
            raise CrmError(
                ErrorCode.RECORD_CLOSED, field="id", object="activity", status="automated"
            )
        access.require(Action.EDIT, activity, list(values))
        if "kind" in values:
            activity.kind = _kind(values["kind"], by_automation=False)
        if "subject" in values:
            activity.subject = _text(
                values["subject"], "subject", MAX_SUBJECT, required=True, object="activity"
            )
        if "body" in values:
            body = str(values["body"] or "")
            if len(body) > MAX_BODY:
                raise _invalid("body", f"at most {MAX_BODY} characters")
            activity.body = body
        if "occurred_at" in values:
            if values["occurred_at"] is None:
                raise _invalid("occurredAt", "a date and time")
            activity.occurred_at = _when(values["occurred_at"])
        activity.save()
        _refresh_follow_ups(
            accounts=[activity.account_id],
            opportunities=[activity.opportunity_id],
            leads=[activity.lead_id],
        )
    return activity


def delete_activity(access: Access, *, activity_id: int) -> None:
    """Delete an activity (the caller's own, or as the policy says); follow-ups recomputed."""
    with transaction.atomic():
        activity = visible_activity(access, activity_id)
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        access.require(Action.DELETE, activity)
        targets = (activity.account_id, activity.opportunity_id, activity.lead_id)
        activity.delete()
        _refresh_follow_ups(accounts=[targets[0]], opportunities=[targets[1]], leads=[targets[2]])


# -- tasks -------------------------------------------------------------------------------------

TASK_VALUES = ("title", "description", "due_at", "remind_at")


def _apply_task(task: Task, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    unknown = set(values) - set(TASK_VALUES)
    if unknown:
        raise _invalid(sorted(unknown)[0], "not a task field")
    cleaned: dict[str, Any] = {}
    if "title" in values:
        cleaned["title"] = _text(
            values["title"], "title", MAX_SUBJECT, required=True, object="task"
        )
    if "description" in values:
        description = str(values["description"] or "")
        if len(description) > MAX_DESCRIPTION:
            raise _invalid("description", f"at most {MAX_DESCRIPTION} characters")
        cleaned["description"] = description
    for name, field in (("due_at", "dueAt"), ("remind_at", "remindAt")):
        if name in values:
            value = values[name]
            if value is None and name == "due_at":
                raise CrmError(ErrorCode.REQUIRED_FIELD_MISSING, field=field, object="task")
            if value is not None and timezone.is_naive(value):
                raise _invalid(field, "a date and time with its time zone")
            cleaned[name] = value
    due = cleaned.get("due_at", task.due_at)
    remind = cleaned.get("remind_at", task.remind_at)
    if due is not None and remind is not None and remind > due:
        raise _invalid("remindAt", "not after the due time")
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in cleaned.items():
        old = getattr(task, name)
        if old != value:
            changes[name] = (old, value)
            setattr(task, name, value)
    if "remind_at" in changes:
        task.reminded_at = None  # a new reminder time: remind again
    return changes


def create_task(
    access: Access,
    *,
    values: dict[str, Any],
    owner_id: int | None = None,
    account: Any = None,
    contact: Any = None,
    lead: Any = None,
    opportunity: Any = None,
) -> Task:
    """A task with a due time (and an optional reminder time), owned by the caller or, with
    Action.ASSIGN, by another user of this BU; about records the caller may view."""
    fields = [name for name in values if name in TASK_VALUES]
    fields += [
        name
        for name, given in (
            ("account", account),
            ("contact", contact),
            ("lead", lead),
            ("opportunity", opportunity),
        )
        if given is not None
    ]
    access.require(Action.CREATE, TASK, fields)
    with transaction.atomic():
        task = Task()
        _apply_task(task, {"title": "", "due_at": None, **values})
        if any(target is not None for target in (account, contact, lead, opportunity)):
            _targets(access, task, account, contact, lead, opportunity)
        task.owner_id = _owner(access, TASK, owner_id, "task")
        access.require(Action.CREATE, task)
        task.save()
        events.record_created(access, "task", task)
    return task


def visible_task(access: Access, task_id: int) -> Task:
    return one_visible(access, TASK, Task.objects.all(), task_id, "id")


def _open_task(access: Access, task_id: int) -> Task:
    task = visible_task(access, task_id)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        raise CrmError(
            ErrorCode.RECORD_CLOSED, field="id", object="task", status=task.get_status_display()
        )
    return task


def update_task(
    access: Access, *, task_id: int, values: dict[str, Any], owner_id: int | None = None
) -> Task:
    """Change an open task's fields given; a new owner needs Action.ASSIGN (a user of the BU)."""
    with transaction.atomic():
        task = _open_task(access, task_id)
        access.require(Action.EDIT, task, list(values))
        changes = _apply_task(task, values)
        if owner_id is not None and owner_id != task.owner_id:
            access.require(Action.ASSIGN, task)
            changes["owner"] = (task.owner_id, valid_assignee(access, owner_id, object="task").pk)
            task.owner_id = owner_id
            task.reminded_at = None  # the new owner is reminded too
        if changes:
            task.save()
            events.fields_changed(
                access, "task", task, changes, occurrence=f"update:{timezone.now().isoformat()}"
            )
    return task


def _close_task(access: Access, task_id: int, action: str, status: TaskStatus) -> Task:
    with transaction.atomic():
        task = _open_task(access, task_id)
        access.require(action, task)
        task.status = status
        task.completed_at = timezone.now()
        task.save(update_fields=["status", "completed_at"])
        events.stage_changed(
            access, "task", task, TaskStatus.OPEN.value, status.value, occurrence=status.value
        )
    return task


def complete_task(access: Access, *, task_id: int) -> Task:
    """OPEN -> DONE: the policy's ADVANCE on the task."""
    return _close_task(access, task_id, Action.ADVANCE, TaskStatus.DONE)


def cancel_task(access: Access, *, task_id: int) -> Task:
    """OPEN -> CANCELLED: the policy's RETREAT on the task (it is withdrawn, not done)."""
    return _close_task(access, task_id, Action.RETREAT, TaskStatus.CANCELLED)


# -- reminders ---------------------------------------------------------------------------------

REMINDER_BATCH = 200


def send_task_reminders(
    business_unit: BusinessUnit, *, now: datetime.datetime | None = None
) -> int:
    """In the BU's schema: remind the owner of each open task whose reminder time has passed and
    who was not reminded yet, in the app (a Notification) and by e-mail. Exactly once: the
    tasks are locked (others running at the same time skip them) and marked reminded in the
    same transaction as their notifications; the e-mails leave after it commits."""
    moment = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            due = list(
                Task.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("owner")
                .filter(status=TaskStatus.OPEN, reminded_at__isnull=True, remind_at__lte=moment)
                .order_by("remind_at", "id")[:REMINDER_BATCH]
            )
            if not due:
                return sent
            notifications = [_reminder(task, business_unit) for task in due]
            Notification.objects.bulk_create(notifications)
            Task.objects.filter(pk__in=[task.pk for task in due]).update(reminded_at=moment)
            transaction.on_commit(partial(_mail, notifications))
            sent += len(due)


def _reminder(task: Task, business_unit: BusinessUnit) -> Notification:
    owner: User = task.owner
    language = languages.supported(owner.language) or business_unit.language
    with translation.override(language):
        subject = _("Reminder: %(title)s") % {"title": task.title}
        zone = ZoneInfo(business_unit.time_zone)
        due = timezone.localtime(task.due_at, zone).strftime("%Y-%m-%d %H:%M")
        body = _("Task “%(title)s” is due on %(due)s.") % {"title": task.title, "due": due}
        if task.description:
            body = f"{body}\n\n{task.description}"
    return Notification(
        recipient=owner,
        subject=subject[:300],
        body=body,
        record_type="task",
        record_id=task.pk,
    )


def _mail(notifications: list[Notification]) -> None:
    """E-mail the notifications (Django's mail backend); a failure leaves `emailed_at` empty
    and is logged: the reminder stays in the app."""
    for notification in notifications:
        address = notification.recipient.email
        if not address:
            continue
        try:
            send_mail(notification.subject, notification.body, None, [address])
        except Exception:  # the mail server is down: the in-app reminder remains
            log.exception("reminder e-mail to user %s failed", notification.recipient_id)
            continue
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
