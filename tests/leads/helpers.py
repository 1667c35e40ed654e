"""Quick creators of leads and lead routing for tests (acme.de by default).

    from crm.tests.leads.helpers import access_of, capture, make_lead, tag_rule, team

    with schema_context(schema_of("de")):
        lead = capture(access_of("acme.de.manager"), email="a@b.de", country="DE")
        quick = make_lead(company_name="Bosch", status="QUALIFIED", owner="acme.de.sales")
        tag_rule("automotive", [{"field": "industry", "op": "eq", "value": "AUTO"}])
        rule = assignment_rule("DACH", "ROUND_ROBIN", team=team("DACH", ["acme.de.sales"]))

`capture` goes through the capture service (validation, tags, duplicates, rules, events);
`make_lead` writes the row directly (fast, no rules), for tests of other areas.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from crm.masterdata.sales.models import LeadSource
from crm.platform.accounts.authentication import user_principal
from crm.platform.accounts.models import Team, User
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import load_policy
from crm.tenants.leads.models import (
    AssignmentMethod,
    AssignmentRule,
    Campaign,
    Lead,
    LeadStatus,
    TagRule,
)
from crm.tenants.leads.services import capture_lead
from crm.tenants.models import BusinessUnit, Group

_numbers = itertools.count(1)

CAPTURE = """mutation($lead: LeadInput!, $key: String, $channel: String) {
  leadCapture(lead: $lead, idempotencyKey: $key, channel: $channel) {
    errors { field code message }
    created
    duplicates { kind id reason }
    lead { id status tags channel owner { id username } companyName email country
      source { code name } campaign { code }
      assignments { toUser { username } rule reason actor } }
  } }"""


def access_of(username: str, bu: str = "de") -> Access:
    user = User.objects.get(username=username)
    unit = BusinessUnit.objects.select_related("group").get(group_id=user.group_id, code=bu)
    return Access(user_principal(user), unit, load_policy(unit.group_id))


def schema_of(bu: str = "de", group: str = "acme") -> str:
    return BusinessUnit.schema_name_for(group, bu)


def user_id(username: str) -> int:
    pk: int = User.objects.values_list("pk", flat=True).get(username=username)
    return pk


def lead_source(code: str = "WEBSITE", group: str = "acme") -> LeadSource:
    """The group's lead source `code` (created, named in every language, if missing)."""
    source, _created = LeadSource.objects.get_or_create(
        group=Group.objects.get(code=group),
        code=code,
        defaults={
            "name": code.title(),
            "name_en": code.title(),
            "name_de": f"{code.title()} (de)",
            "name_ja": f"{code.title()} (ja)",
            "name_zh_hans": f"{code.title()} (zh)",
        },
    )
    return source


def campaign(code: str = "", source: str = "TRADE_FAIR", **fields: Any) -> Campaign:
    """A campaign of the current schema's BU."""
    number = next(_numbers)
    found: Campaign = Campaign.objects.create(
        code=code or f"campaign-{number}",
        name=fields.pop("name", f"Campaign {number}"),
        name_en=fields.pop("name_en", f"Campaign {number}"),
        name_de=fields.pop("name_de", f"Kampagne {number}"),
        source_id=lead_source(source).pk,
        cost_currency=fields.pop("cost_currency", "EUR"),
        **fields,
    )
    return found


def capture(access: Access, *, key: str | None = None, **data: Any) -> Lead:
    """A lead through the capture service (source WEBSITE unless given)."""
    data.setdefault("source", lead_source(data.get("source") or "WEBSITE").code)
    return capture_lead(access, data, idempotency_key=key).lead


def make_lead(
    *,
    owner: str | None = None,
    status: str = LeadStatus.NEW,
    source: str | None = "WEBSITE",
    **fields: Any,
) -> Lead:
    """A lead row written directly in the current schema (no rules, no events)."""
    number = next(_numbers)
    fields.setdefault("last_name", f"Lead {number}")
    fields.setdefault("company_name", f"Company {number}")
    fields.setdefault("email", f"lead{number}@example.com")
    if status == LeadStatus.INVALID:
        fields.setdefault("invalid_reason", "SPAM")
    lead: Lead = Lead.objects.create(
        owner_id=user_id(owner) if owner else None,
        status=status,
        source_id=lead_source(source).pk if source else None,
        created_at=fields.pop("created_at", timezone.now()),
        **fields,
    )
    return lead


def tag_rule(tag: str, conditions: list[dict[str, Any]], *, position: int = 0) -> TagRule:
    rule: TagRule = TagRule.objects.create(tag=tag, conditions=conditions, position=position)
    return rule


def team(name: str, members: list[str], bu: str = "de", group: str = "acme") -> Team:
    """A team of the BU with these members (by user name)."""
    unit = BusinessUnit.objects.get(group__code=group, code=bu)
    found = Team.objects.create(group_id=unit.group_id, business_unit=unit, name=name)
    found.members.set(User.objects.filter(username__in=members))
    return found


def assignment_rule(
    name: str,
    method: str,
    conditions: list[dict[str, Any]] | None = None,
    *,
    user: str | None = None,
    team: Team | None = None,
    position: int = 0,
) -> AssignmentRule:
    rule: AssignmentRule = AssignmentRule.objects.create(
        name=name,
        method=AssignmentMethod(method),
        conditions=conditions or [],
        user_id=user_id(user) if user else None,
        team_id=team.pk if team else None,
        position=position,
    )
    return rule


def as_key(graphql: Any = None, role: str = "integration", bu: str = "acme.de") -> str:
    """A new API key's token for `role` in `bu`, created by the group admin (as the API does)."""
    from crm.platform.accounts.services import api_key_create

    group, _dot, code = bu.partition(".")
    token, _key = api_key_create(
        access=access_of(f"{group}.admin", "hq" if group == "acme" else "main"),
        name=f"web form {next(_numbers)}",
        role=role,
        business_unit=code,
    )
    return token


def payload(reply: Any, name: str) -> dict[str, Any]:
    assert not reply.errors, reply.errors
    found: dict[str, Any] = reply.data[name]
    return found


def codes(found: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in found["errors"]]
