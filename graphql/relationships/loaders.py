"""Loading what the account view asks for in a fixed number of statements, whatever its size.

An account's nested lists (contacts, activities, open and closed deals, open tasks) are capped
lists: the first `first` records of each account, read for every account of the request at
once with a window function (one statement per list, whether 1 or 50 accounts are shown).

The `account` and `accounts` resolvers look ahead into the query (`preload`): they read every
list the query asks for right away, then announce the owners and golden customers those
records refer to, so that each of those is read in one batch too. Without the look-ahead each
list would bring its own batch of owners.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import graphene
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Case, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import Window
from django.db.models.functions import JSONObject, RowNumber
from graphql.utilities import value_from_ast

from crm.graphql.core.loaders import BatchLoader
from crm.masterdata.sales.models import StageKind
from crm.platform.accounts.models import Membership, Role, User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.contacts.access import ACTIVITY, CONTACT, TASK
from crm.tenants.contacts.models import Activity, Contact, Task, TaskStatus
from crm.tenants.customfields.models import FieldDefinition
from crm.tenants.localcustomers.access import LOCAL_CUSTOMER
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit
from crm.tenants.opportunities.access import OPPORTUNITY
from crm.tenants.opportunities.models import DealTeamMember, Opportunity
from graphql import FieldNode, FragmentSpreadNode, GraphQLInt, InlineFragmentNode, SelectionSetNode

# The nested lists of an account, and how many records each gives at most.
NESTED_DEFAULT = 10
NESTED_MAX = 50
LISTS = ("contacts", "activities", "openOpportunities", "closedOpportunities", "tasks")


def contact_order(access: Access) -> list[Any]:
    """By name where the caller reads names everywhere (else by id: an order by a hidden field
    would reveal it)."""
    if access.readable_everywhere(CONTACT, "last_name") and access.readable_everywhere(
        CONTACT, "first_name"
    ):
        return [F("last_name").asc(), F("first_name").asc(), F("id").asc()]
    return [F("id").asc()]


def _ranked(queryset: QuerySet[Any], partition: list[Any], order: list[Any], first: int) -> Any:
    ranked = queryset.annotate(
        nested_rank=Window(RowNumber(), partition_by=partition, order_by=order)
    )
    return ranked.filter(nested_rank__lte=first).order_by("account_id", "nested_rank")


def _by_account(records: Iterable[Any], ids: Iterable[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {key: [] for key in ids}
    for record in records:
        found.setdefault(record.account_id, []).append(record)
    return found


DEALS = ("openOpportunities", "closedOpportunities")


def fetch(access: Access, name: str, first: int, ids: list[int]) -> dict[int, list[Any]]:
    """The first `first` records of list `name` of each account in `ids` the caller may see."""
    if name == "contacts":
        contacts = access.visible(CONTACT, Contact.objects.filter(account_id__in=ids))
        return _by_account(_ranked(contacts, [F("account_id")], contact_order(access), first), ids)
    if name == "activities":
        activities = access.visible(
            ACTIVITY, Activity.objects.filter(account_id__in=ids).select_related("contact")
        )
        order = [F("occurred_at").desc(), F("id").desc()]
        return _by_account(_ranked(activities, [F("account_id")], order, first), ids)
    if name == "tasks":
        tasks = access.visible(
            TASK,
            Task.objects.filter(account_id__in=ids, status=TaskStatus.OPEN).select_related(
                "contact"
            ),
        )
        order = [F("due_at").asc(), F("id").asc()]
        return _by_account(_ranked(tasks, [F("account_id")], order, first), ids)
    # Deals, open and closed in one statement: open ones by expected close (soonest first),
    # closed ones by close date (latest first), `first` of each per account; their stage,
    # pipeline and account team come along (the policy's own scope on a deal reads the team).
    is_open = Case(When(status=StageKind.OPEN, then=Value(True)), default=Value(False))
    deals = access.visible(
        OPPORTUNITY,
        Opportunity.objects.filter(account_id__in=ids).select_related("stage", "pipeline"),
    )
    order = [
        Case(When(status=StageKind.OPEN, then=F("expected_close"))).asc(nulls_last=True),
        Case(When(~Q(status=StageKind.OPEN), then=F("closed_on"))).desc(nulls_last=True),
        F("id").desc(),
    ]
    team = DealTeamMember.objects.filter(opportunity=OuterRef("pk")).values(
        row=JSONObject(id="id", user_id="user_id", role="role", added_at="added_at")
    )
    ranked = _ranked(
        deals.annotate(team_rows=ArraySubquery(team)),
        [F("account_id"), is_open],
        order,
        first,
    )
    records = list(ranked)
    for deal in records:
        prime(
            deal,
            "team",
            [
                DealTeamMember(
                    id=row["id"],
                    opportunity=deal,
                    user_id=row["user_id"],
                    role=row["role"],
                    added_at=datetime.datetime.fromisoformat(row["added_at"]),
                )
                for row in deal.team_rows
            ],
        )
    return _by_account(records, ids)


def prime(instance: Any, name: str, records: list[Any]) -> None:
    """Give `instance.<name>.all()` these records, as `prefetch_related` would (no statement):
    for relations read in the same statement as the instance (an array subquery)."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = records
    queryset._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[name] = queryset


@dataclass
class RelationshipLoaders:
    """The per-request state of the account view's loading."""

    access: Access
    group_id: int
    accounts: dict[int, LocalCustomer] = field(default_factory=dict)
    lists: dict[tuple[str, int], dict[int, list[Any]]] = field(default_factory=dict)
    users: BatchLoader[int, User | None] = field(init=False)
    account_by_id: BatchLoader[int, LocalCustomer | None] = field(init=False)
    contact_by_id: BatchLoader[int, Contact | None] = field(init=False)

    def __post_init__(self) -> None:
        group_id = self.group_id

        def batch(ids: list[int]) -> dict[int, User | None]:
            # Memberships come along in the same statement: the policy's BU scope on a user
            # reads them, and the `memberships` field their role and BU codes.
            rows = Membership.objects.filter(user=OuterRef("pk")).values(
                row=JSONObject(
                    id="id",
                    group_id="group_id",
                    role_id="role_id",
                    role_code="role__code",
                    business_unit_id="business_unit_id",
                    business_unit_code="business_unit__code",
                )
            )
            users = User.objects.filter(group_id=group_id, pk__in=ids).annotate(
                membership_rows=ArraySubquery(rows)
            )
            found = {}
            for user in users:
                prime(user, "memberships", [_membership(user, row) for row in user.membership_rows])
                found[user.pk] = user
            return {key: found.get(key) for key in ids}

        self.users = BatchLoader(batch)
        access = self.access

        def accounts(ids: list[int]) -> dict[int, LocalCustomer | None]:
            found = self.accounts.copy()
            missing = [key for key in ids if key not in found]
            if missing:
                queryset = LocalCustomer.objects.filter(pk__in=missing)
                found.update({a.pk: a for a in access.visible(LOCAL_CUSTOMER, queryset)})
            # Their nested lists are then read for all of them at once too.
            for key in ids:
                if found.get(key) is not None:
                    self.accounts.setdefault(key, found[key])
            return {key: found.get(key) for key in ids}

        def contacts(ids: list[int]) -> dict[int, Contact | None]:
            queryset = Contact.objects.filter(pk__in=ids)
            found = {c.pk: c for c in access.visible(CONTACT, queryset)}
            return {key: found.get(key) for key in ids}

        self.account_by_id = BatchLoader(accounts)
        self.contact_by_id = BatchLoader(contacts)

    def list_for(self, name: str, first: int, account: LocalCustomer) -> list[Any]:
        """List `name` of `account`: read for every account of the request at once."""
        self.accounts.setdefault(account.pk, account)
        if name in DEALS:
            return self._deals(name, first, account)
        return self._list("", name, first, account)

    def _list(self, key: str, name: str, first: int, account: LocalCustomer) -> list[Any]:
        loaded = self.lists.setdefault((key or name, first), {})
        if account.pk not in loaded:
            missing = [pk for pk in self.accounts if pk not in loaded]
            found = fetch(self.access, name, first, missing)
            loaded.update(found)
            self.users.expect(
                record.owner_id
                for records in found.values()
                for record in records
                if record.owner_id is not None
            )
        return loaded.get(account.pk, [])

    def _deals(self, name: str, first: int, account: LocalCustomer) -> list[Any]:
        """Open or closed deals: from a read of both with a cap at least `first`, if any."""
        caps = [cap for (key, cap), found in self.lists.items() if key == "deals" and cap >= first]
        cap = next((c for c in sorted(caps) if account.pk in self.lists[("deals", c)]), first)
        deals = self._list("deals", name, cap, account)
        wanted = [d for d in deals if (d.status == StageKind.OPEN) == (name == DEALS[0])]
        return wanted[:first]


def _membership(user: User, row: dict[str, Any]) -> Membership:
    membership = Membership(
        id=row["id"],
        group_id=row["group_id"],
        user=user,
        role=Role(id=row["role_id"], group_id=row["group_id"], code=row["role_code"]),
    )
    if row["business_unit_id"] is not None:
        membership.business_unit = BusinessUnit(
            id=row["business_unit_id"], group_id=row["group_id"], code=row["business_unit_code"]
        )
    return membership


def loaders_of(info: graphene.ResolveInfo) -> RelationshipLoaders:
    context = info.context
    found: RelationshipLoaders | None = getattr(context, "relationship_loaders", None)
    if found is None:
        access: Access = context.access
        found = RelationshipLoaders(access=access, group_id=access.business_unit.group_id)
        context.relationship_loaders = found
    return found


def nested_first(first: int | None) -> int:
    """The cap of a nested list: `first` (default NESTED_DEFAULT) from 0 to NESTED_MAX."""
    size = NESTED_DEFAULT if first is None else first
    if size < 0 or size > NESTED_MAX:
        raise CrmError(ErrorCode.INVALID_ARGUMENT, field="first", reason=f"from 0 to {NESTED_MAX}")
    return size


# -- look-ahead --------------------------------------------------------------------------------


def _fields(
    info: graphene.ResolveInfo, selection_set: SelectionSetNode | None
) -> Iterator[FieldNode]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(info, selection.selection_set)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(info, fragment.selection_set)


def _children(info: graphene.ResolveInfo, nodes: Iterable[FieldNode], name: str) -> list[FieldNode]:
    return [
        child
        for node in nodes
        for child in _fields(info, node.selection_set)
        if child.name.value == name
    ]


def _first(info: graphene.ResolveInfo, node: FieldNode) -> int | None:
    for argument in node.arguments:
        if argument.name.value == "first":
            value = value_from_ast(argument.value, GraphQLInt, info.variable_values)
            return value if isinstance(value, int) else None
    return None


def preload(
    info: graphene.ResolveInfo, accounts: list[LocalCustomer], *, path: tuple[str, ...] = ()
) -> None:
    """Read every nested list the query asks of `accounts` (found under `path` from the field
    being resolved, e.g. ("edges", "node") for a connection), then announce the owners and
    golden customers they name to their loaders."""
    if not accounts:
        return
    loaders = loaders_of(info)
    for account in accounts:
        loaders.accounts.setdefault(account.pk, account)
    nodes: list[FieldNode] = list(info.field_nodes)
    for step in path:
        nodes = _children(info, nodes, step)
    selected = {child.name.value for node in nodes for child in _fields(info, node.selection_set)}
    owners: set[int] = {a.sales_owner_id for a in accounts if a.sales_owner_id is not None}
    firsts: dict[str, int] = {}
    for name in LISTS:
        for node in _children(info, nodes, name):
            try:
                size = nested_first(_first(info, node))
            except CrmError:  # the field's own resolver reports the bad argument
                continue
            key = "deals" if name in DEALS else name
            firsts[key] = max(firsts.get(key, 0), size)
    deals: list[Opportunity] = []
    for key, size in firsts.items():
        for account in accounts:
            if key == "deals":
                records = loaders._list("deals", DEALS[0], size, account)
                deals.extend(records)
            else:
                records = loaders.list_for(key, size, account)
            owners.update(r.owner_id for r in records if r.owner_id is not None)
    owners.update(member.user_id for deal in deals for member in deal.team.all())
    loaders.users.expect(owners)
    if owners:  # one statement for every owner the view shows
        loaders.users.load(next(iter(owners)))
    if deals:
        _share_with_deal_loaders(info, deals, loaders, owners)
    info.context.loaders.customers.expect(a.customer_id for a in accounts)
    wants_custom = "customFields" in selected or any(
        child.name.value == "customFields"
        for contacts in _children(info, nodes, "contacts")
        for child in _fields(info, contacts.selection_set)
    )
    if wants_custom:
        _prewarm_definitions(info)


def _share_with_deal_loaders(
    info: graphene.ResolveInfo,
    deals: list[Opportunity],
    loaders: RelationshipLoaders,
    users: set[int],
) -> None:
    """The `Opportunity` type reads its stage, pipeline and people through the deal loaders:
    give them what was read with the deals, and announce the rest of a page of deals."""
    from crm.graphql.opportunities.loaders import opportunity_loaders

    theirs = opportunity_loaders(info)
    theirs.stages.prime({deal.stage_id: deal.stage for deal in deals})
    theirs.pipelines.prime({deal.pipeline_id: deal.pipeline for deal in deals})
    theirs.users.prime({pk: loaders.users.load(pk) for pk in users})
    theirs.accounts.prime(dict(loaders.accounts))
    theirs.expect_page(deals)


def _prewarm_definitions(info: graphene.ResolveInfo) -> None:
    """The custom field definitions of accounts and contacts in one statement, where
    `custom_fields_field` looks for them."""
    cache = info.context.__dict__.setdefault("_custom_field_definitions", {})
    types = [name for name in ("local_customer", "contact") if name not in cache]
    if not types:
        return
    found: dict[str, dict[str, FieldDefinition]] = {name: {} for name in types}
    for definition in FieldDefinition.objects.filter(record_type__in=types, active=True):
        found[definition.record_type][definition.code] = definition
    cache.update(found)
