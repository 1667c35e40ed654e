"""The default policy of the dashboards, every role × dashboard, through the GraphQL API (as the
generated matrices of tests/permissions do for records): the oracle in tests/permissions/
matrix.py computes from the policy's data whether a role may open a dashboard, and how far its
figures reach (the records of others, or only one's own).

- BU dashboards, asked in the German BU by a user holding the role there (or at group level for
  HQ roles): allowed or PERMISSION_DENIED; allowed ones count a customer looked after by someone
  else only where the role's rule reaches beyond its own records.
- Group views, asked in acme's HQ business unit by a user holding the role there (or at group
  level): allowed or PERMISSION_DENIED.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.platform.permissions.defaults import DEFAULT_ROLES, GROUP_LEVEL_ROLES
from crm.platform.permissions.vocabulary import Action
from crm.tests.groupviews.helpers import make_headquarters
from crm.tests.insights.helpers import account_of, holder, order
from crm.tests.ledger.helpers import DE, days_ago
from crm.tests.permissions.matrix import expected, member

INSIGHT_FIELDS = ("channel_roi", "customer_distribution", "rfm")
DASHBOARDS = {
    "channel_roi": (
        "query($from: Date!, $to: Date!) { channelRoi(from: $from, to: $to) { total { leads } } }",
        lambda: {"from": days_ago(7).isoformat(), "to": days_ago(0).isoformat()},
        None,
    ),
    "customer_distribution": (
        "{ customerDistribution { total } }",
        dict,
        lambda data: data["customerDistribution"]["total"],
    ),
    "rfm": (
        "{ rfmSegments { customerCount } }",
        dict,
        lambda data: data["rfmSegments"]["customerCount"],
    ),
}
GROUP_FIELDS = (
    "pipeline",
    "lead_sources",
    "receivables",
    "channel_roi",
    "customer_distribution",
    "rfm",
    "receivables_aging",
)
GROUP_VIEWS = {
    "channel_roi": (
        "query($from: Date!, $to: Date!) { groupChannelRoi(from: $from, to: $to) { complete } }",
        lambda: {"from": days_ago(7).isoformat(), "to": days_ago(0).isoformat()},
    ),
    "customer_distribution": ("{ groupCustomerDistribution { complete } }", dict),
    "rfm": ("{ groupRfm { complete } }", dict),
    "receivables_aging": ("{ groupReceivablesAging { complete } }", dict),
}


def _may(object_type: str, fields: tuple[str, ...], role: str, field: str, **kw: bool) -> bool:
    want = expected(object_type, fields, role, "", **kw)
    return Action.VIEW in want.actions and want.mode(field) != "hidden"


@pytest.mark.parametrize("dashboard", list(DASHBOARDS))
@pytest.mark.parametrize("role", list(DEFAULT_ROLES))
def test_each_role_and_dashboard_of_a_business_unit(world, graphql, settings, role, dashboard):
    settings.REGION = "eu"
    with schema_context(DE):  # a customer someone else looks after
        order(account_of("acme.de.manager"), days_ago(3))
    query, variables, count = DASHBOARDS[dashboard]
    reply = graphql(query, variables(), bu="acme.de", as_=member(role))
    if not _may("insight", INSIGHT_FIELDS, role, dashboard, on_type=True):
        assert reply.codes == ["PERMISSION_DENIED"], reply.errors
        assert reply.data is None
        return
    assert reply.errors == []
    if count is not None:
        others = _may("insight", INSIGHT_FIELDS, role, dashboard, owned=False)
        assert count(reply.data) == (1 if others else 0)


@pytest.mark.parametrize("view", list(GROUP_VIEWS))
@pytest.mark.parametrize("role", list(DEFAULT_ROLES))
def test_each_role_and_group_view(world, graphql, settings, role, view):
    make_headquarters()
    settings.CELL_ENDPOINTS = {}
    username = member(role) if role in GROUP_LEVEL_ROLES else holder(role, "acme.hq")
    query, variables = GROUP_VIEWS[view]
    reply = graphql(query, variables(), bu="acme.hq", as_=username)
    if _may("group_view", GROUP_FIELDS, role, view, on_type=True):
        assert reply.errors == []
        (found,) = reply.data.values()
        assert found["complete"] is False  # the other cells have no endpoint here
    else:
        assert reply.codes == ["PERMISSION_DENIED"], reply.errors
        assert reply.data is None
