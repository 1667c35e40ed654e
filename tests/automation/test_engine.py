"""The rule engine behind `events`: each trigger kind and action, fired once per occurrence."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from crm.platform.accounts.models import User
from crm.tenants.automation import events
from crm.tenants.automation.models import Firing, Notification, Rule
from crm.tenants.automation.tasks import email_notifications
from crm.tests.automation.helpers import access, deal, lead, rule, sales_team, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def de(world):
    with schema_context("bu_acme_de"):
        yield access("acme.de.manager")


def test_created_rule_creates_a_task_for_the_owner_once(de):
    from crm.tenants.contacts.models import Task

    sales = user("acme.de.sales")
    made = rule(
        record_type="lead",
        trigger="CREATED",
        conditions=[{"field": "country", "op": "eq", "value": "de"}],
        actions=[
            {
                "type": "CREATE_TASK",
                "title": {"en": "Call {record}", "de": "{record} anrufen"},
                "due_in_hours": 4,
                "owner": "owner",
                "remind_before_hours": 1,
            }
        ],
    )
    record = lead(owner=sales)
    events.record_created(de, "lead", record)
    events.record_created(de, "lead", record)  # the same occurrence: nothing more
    tasks = list(Task.objects.filter(rule_id=made.pk))
    assert len(tasks) == 1
    assert tasks[0].owner_id == sales.pk
    assert tasks[0].lead_id == record.pk
    assert tasks[0].title == f"{record.company_name} anrufen"  # no preference: the BU's German
    assert tasks[0].due_at - tasks[0].remind_at == __import__("datetime").timedelta(hours=1)
    firing = Firing.objects.get(rule=made)
    assert firing.occurrence == "created"
    assert firing.record_id == record.pk
    assert firing.outcome["actions"] == [
        {"type": "CREATE_TASK", "task": tasks[0].pk, "owner": sales.pk}
    ]

    other = lead(owner=sales, country="AT")  # the condition does not hold
    events.record_created(de, "lead", other)
    assert not Firing.objects.filter(rule=made, record_id=other.pk).exists()


def test_field_changed_fires_for_its_field_and_sets_fields(de):
    made = rule(
        record_type="lead",
        trigger="FIELD_CHANGED",
        parameters={"field": "industry"},
        actions=[
            {"type": "SET_FIELD", "field": "tags", "value": "machinery"},
            {"type": "SET_FIELD", "field": "overdue", "value": True},
        ],
    )
    record = lead(industry="MACHINERY", tags=["fair"])
    events.fields_changed(de, "lead", record, {"country": ("AT", "DE")})
    assert not Firing.objects.filter(rule=made).exists()
    events.fields_changed(de, "lead", record, {"industry": ("", "MACHINERY")}, occurrence="h1")
    events.fields_changed(de, "lead", record, {"industry": ("", "MACHINERY")}, occurrence="h1")
    record.refresh_from_db()
    assert record.tags == ["fair", "machinery"]
    assert record.overdue is True
    assert Firing.objects.filter(rule=made).count() == 1
    events.fields_changed(de, "lead", record, {"industry": ("X", "MACHINERY")}, occurrence="h2")
    record.refresh_from_db()
    assert record.tags == ["fair", "machinery"]  # added once, not twice
    assert Firing.objects.filter(rule=made).count() == 2


def test_quote_to_negotiation_notifies_legal_and_the_sales_director_once(de):
    """The shipped default rule: legal of this BU and the HQ director (group level)."""
    assert Rule.objects.filter(default_code="deal-quote-to-negotiation", active=True).exists()
    sales = user("acme.de.sales")
    User.objects.filter(username="acme.de.legal").update(language="zh-hans")
    opportunity = deal(sales)
    events.stage_changed(de, "opportunity", opportunity, "qualify", "quote", occurrence="1")
    assert not Notification.objects.exists()
    events.stage_changed(de, "opportunity", opportunity, "quote", "negotiation", occurrence="2")
    events.stage_changed(de, "opportunity", opportunity, "quote", "negotiation", occurrence="2")
    notified = sorted(Notification.objects.values_list("recipient__username", flat=True))
    assert notified == ["acme.director", "acme.de.legal"] or notified == sorted(
        ["acme.de.legal", "acme.director"]
    )
    notice = Notification.objects.get(recipient__username="acme.de.legal")
    assert notice.subject == f"{opportunity.name} 已进入谈判：需要审核合同"  # their language
    assert notice.record_id == opportunity.pk
    assert notice.record_type == "opportunity"
    # Back and forward again is another occurrence: it fires again.
    events.stage_changed(de, "opportunity", opportunity, "quote", "negotiation", occurrence="3")
    assert Notification.objects.count() == 4


def test_notify_the_owners_manager_in_their_language_and_by_email(de):
    sales_team()
    manager = user("acme.de.manager")
    rule(
        record_type="lead",
        trigger="CREATED",
        actions=[
            {
                "type": "NOTIFY",
                "to": {"owner_manager": True, "owner": True},
                "subject": {"en": "New lead {record}", "de": "Neuer Lead {record}"},
                "body": "Rule: {rule}",
            }
        ],
    )
    record = lead(owner=user("acme.de.sales"), company_name="Kunde X")
    events.record_created(de, "lead", record)
    by_user = {n.recipient_id: n for n in Notification.objects.all()}
    assert by_user[manager.pk].subject == "Neuer Lead Kunde X"  # the manager reads German
    assert by_user[user("acme.de.sales").pk].subject == "New lead Kunde X"
    assert by_user[manager.pk].body == "Rule: Test rule"
    ids = [n.pk for n in by_user.values()]
    assert email_notifications(ids) == 2
    assert email_notifications(ids) == 0  # once
    assert sorted(message.to[0] for message in mail.outbox) == [
        "manager@acme.example",
        "sales@acme.example",
    ]
    assert all(n.emailed_at is not None for n in Notification.objects.all())


def test_the_email_leaves_only_after_commit(de, django_capture_on_commit_callbacks):
    rule(record_type="lead", trigger="CREATED", actions=[{"type": "NOTIFY", "to": {"owner": True}}])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events.record_created(de, "lead", lead(owner=user("acme.de.sales")))
    assert len(callbacks) == 1  # the task is queued on commit, with notification ids only
    assert mail.outbox == []


def test_assign_to_a_user_records_the_assignment(de):
    from crm.tenants.leads.models import LeadAssignment

    manager = user("acme.de.manager")
    rule(record_type="lead", trigger="CREATED", actions=[{"type": "ASSIGN", "user": manager.pk}])
    record = lead(owner=user("acme.de.sales"))
    events.record_created(de, "lead", record)
    record.refresh_from_db()
    assert record.owner_id == manager.pk
    assignment = LeadAssignment.objects.get(lead=record)
    assert assignment.to_user_id == manager.pk
    assert assignment.actor.startswith("automation:")


def test_a_failing_action_is_recorded_and_the_others_still_run(de):
    made = rule(
        record_type="lead",
        trigger="CREATED",
        actions=[
            {"type": "CREATE_TASK", "title": "Call", "due_in_hours": 1, "owner": "owner"},
            {"type": "SET_FIELD", "field": "overdue", "value": True},
        ],
    )
    record = lead()  # no owner: the task cannot be given to anyone
    events.record_created(de, "lead", record)
    record.refresh_from_db()
    assert record.overdue is True
    outcome = Firing.objects.get(rule=made).outcome["actions"]
    assert outcome[0]["error"]["code"] == "INVALID_ASSIGNEE"
    assert outcome[1] == {"type": "SET_FIELD", "field": "overdue", "value": True}


def test_rules_of_one_bu_never_fire_for_another(world):
    with schema_context("bu_acme_de"):
        rule(
            code="de-only",
            record_type="lead",
            trigger="CREATED",
            actions=[{"type": "SET_FIELD", "field": "overdue", "value": True}],
        )
    with schema_context("bu_acme_jp"):
        jp = access("acme.jp.sales", "jp")
        record = lead()
        events.record_created(jp, "lead", record)
        record.refresh_from_db()
        assert record.overdue is False
        assert not Rule.objects.filter(code="de-only").exists()
        assert not Firing.objects.exists()
    with schema_context("bu_acme_de"):
        assert not Firing.objects.exists()


def test_assign_by_the_bus_assignment_rules(de):
    from crm.tenants.leads.models import AssignmentRule, LeadAssignment

    manager = user("acme.de.manager")
    routing = AssignmentRule.objects.create(
        name="Austria to the manager",
        method="USER",
        user=manager,
        conditions=[{"field": "country", "op": "eq", "value": "AT"}],
    )
    rule(
        record_type="lead",
        trigger="FIELD_CHANGED",
        parameters={"field": "country"},
        actions=[{"type": "ASSIGN", "rule": "assignment_rules"}],
    )
    record = lead(owner=user("acme.de.sales"), country="AT")
    events.fields_changed(de, "lead", record, {"country": ("DE", "AT")}, occurrence="move")
    record.refresh_from_db()
    assert record.owner_id == manager.pk
    assert LeadAssignment.objects.get(lead=record).rule == routing


def test_a_task_for_the_owners_manager_and_an_engagement_on_a_contact(de):
    from crm.tenants.automation import services
    from crm.tenants.contacts.models import Activity, Contact, Task

    sales_team()
    made = rule(
        record_type="contact",
        trigger="EXTERNAL",
        parameters={"events": ["LINK_CLICKED"]},
        actions=[
            {"type": "LOG_ACTIVITY", "subject": "Clicked: {record}"},
            {
                "type": "CREATE_TASK",
                "title": "Call back",
                "due_in_hours": 2,
                "owner": "owner_manager",
            },
        ],
    )
    contact = Contact.objects.create(last_name="Muster", owner=user("acme.de.sales"))
    for _twice in range(2):
        services.external_event_record(
            de,
            kind="LINK_CLICKED",
            record_type="contact",
            record_id=contact.pk,
            external_id="click-7",
            occurred_at=None,
            details={"url": "https://acme.example/offer"},
        )
    # Ours and the shipped engagement rule's: one each, however often the click is reported.
    subjects = sorted(Activity.objects.filter(contact=contact).values_list("subject", flat=True))
    assert len(subjects) == 2
    assert any(subject.startswith("Clicked: ") for subject in subjects)
    assert set(Activity.objects.filter(contact=contact).values_list("kind", flat=True)) == {
        "ENGAGEMENT"
    }
    task = Task.objects.get(rule_id=made.pk)
    assert task.owner == user("acme.de.manager")
    assert task.contact_id == contact.pk
    assert Firing.objects.filter(rule=made).count() == 1


def test_default_rule_texts_are_in_every_language(de):
    from django.conf import settings

    codes = {code for code, _name in settings.LANGUAGES}
    for made in Rule.objects.exclude(default_code=""):
        assert all(getattr(made, f"name_{code.replace('-', '_')}") for code in codes), made.code
        for action in made.actions:
            for key in ("subject", "title"):
                if key in action:
                    assert set(action[key]) == codes, (made.code, key)


def test_a_custom_field_change_triggers_its_rule(de):
    made = rule(
        record_type="lead",
        trigger="FIELD_CHANGED",
        parameters={"field": "custom.budget"},
        actions=[{"type": "SET_FIELD", "field": "tags", "value": "budget"}],
    )
    record = lead(custom={"budget": 10})
    events.fields_changed(de, "lead", record, {"custom_fields": ({"size": 1}, {"size": 2})})
    assert not Firing.objects.filter(rule=made).exists()
    events.fields_changed(de, "lead", record, {"custom_fields": ({}, {"budget": 10})})
    events.fields_changed(de, "lead", record, {"customFields.budget": (10, 20)}, occurrence="b")
    assert Firing.objects.filter(rule=made).count() == 2
