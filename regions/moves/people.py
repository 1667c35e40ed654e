"""The moved business unit's rows in the shared schema: its people and what points at them.

A BU's schema is not all of its data: the shared schema holds its users (personal data), their
roles in the BU, their sign-in tokens, the BU's teams and API keys, its audit entries and the
history contexts that name it. These move with the schema:

- **Users** are matched by user name in the target cell (each cell numbers its own users). A
  user the target does not know is created there with the same data; the export carries every
  user with a role in the BU and every user its records point at. The map old id → new id is
  then applied to the schema's user columns (see `tables.user_columns`).
- **Roles** are matched by code, **teams** are recreated (old id → new id, as for users).
- In the source cell, PURGE deletes the BU's rows and the users whose only roles were in the BU;
  a user something else still points at is scrubbed of personal data instead of deleted.

Loading is idempotent: the target deletes what an earlier load of the same BU wrote before
loading again (before the switch the target holds nothing else of this BU).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from crm.platform.accounts.models import ApiKey, Membership, Role, Team, User, UserToken
from crm.platform.permissions.models import AuditEntry
from crm.regions.moves.tables import q, user_columns
from crm.tenants.models import BusinessUnit, Group

USER_FIELDS = (
    "username",
    "password",
    "last_login",
    "is_superuser",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
    "language",
)
TOKEN_FIELDS = ("prefix", "digest", "created_at", "expires_at", "revoked_at", "last_used_at")
KEY_FIELDS = (*TOKEN_FIELDS, "name")
AUDIT_FIELDS = (
    "at",
    "event",
    "actor",
    "action",
    "object_type",
    "object_ids",
    "field",
    "code",
    "origin",
    "user_agent",
    "details",
)


def _referenced_user_ids(schema: str) -> set[int]:
    columns = sorted(user_columns(schema))
    if not columns:
        return set()
    union = " UNION ".join(
        f"SELECT {q(column)} FROM {q(schema)}.{q(table)} WHERE {q(column)} IS NOT NULL"  # noqa: S608
        for table, column in columns
    )
    with connection.cursor() as cursor:
        cursor.execute(union)
        return {int(row[0]) for row in cursor.fetchall()}


def _contexts_of(handle: str) -> Q:
    return Q(metadata__business_unit=handle)


def export_people(business_unit: BusinessUnit) -> dict[str, Any]:
    """The BU's shared rows, with ids of other shared rows replaced by natural keys."""
    from pghistory.models import Context

    members = set(
        Membership.objects.filter(business_unit=business_unit).values_list("user_id", flat=True)
    )
    user_ids = members | _referenced_user_ids(business_unit.schema_name)
    users = list(User.objects.filter(pk__in=user_ids).values("id", *USER_FIELDS, "group__code"))
    names = {user["id"]: user["username"] for user in users}
    teams = list(Team.objects.filter(business_unit=business_unit).order_by("id"))
    team_members: dict[int, list[str]] = {}
    for team_id, username in Team.members.through.objects.filter(
        team__business_unit=business_unit
    ).values_list("team_id", "user__username"):
        team_members.setdefault(team_id, []).append(username)
    return {
        "users": users,
        "member_ids": sorted(members),
        "memberships": list(
            Membership.objects.filter(business_unit=business_unit).values(
                "user__username", "role__code"
            )
        ),
        "tokens": list(
            UserToken.objects.filter(user_id__in=user_ids).values("user__username", *TOKEN_FIELDS)
        ),
        "teams": [
            {
                "id": team.pk,
                "name": team.name,
                "parent_id": team.parent_id,
                "manager": names.get(team.manager_id) if team.manager_id else None,
                "members": sorted(team_members.get(team.pk, [])),
            }
            for team in teams
        ],
        "api_keys": list(
            ApiKey.objects.filter(business_unit=business_unit).values(
                "id", *KEY_FIELDS, "role__code", "created_by__username"
            )
        ),
        "audit_entries": list(
            AuditEntry.objects.filter(business_unit=business_unit)
            .order_by("id")
            .values(*AUDIT_FIELDS, "user__username", "api_key_id")
        ),
        "contexts": list(
            Context.objects.filter(_contexts_of(business_unit.handle)).values(
                "id", "created_at", "updated_at", "metadata"
            )
        ),
    }


def load_people(
    people: dict[str, Any], business_unit: BusinessUnit
) -> tuple[dict[int, int], dict[int, int]]:
    """Write the BU's shared rows in this (the target) cell. Returns the user and team id maps.

    Runs inside the import's transaction.
    """
    group = business_unit.group
    groups = {g.code: g for g in Group.objects.all()}
    roles = {role.code: role for role in Role.objects.filter(group=group)}
    user_map: dict[int, int] = {}
    by_name: dict[str, User] = {}
    for row in people["users"]:
        user = User.objects.filter(username=row["username"]).first()
        if user is None:
            fields = {name: row[name] for name in USER_FIELDS}
            group_code = row.get("group__code")
            user = User.objects.create(
                group=groups.get(group_code) if group_code else None, **fields
            )
        user_map[int(row["id"])] = user.pk
        by_name[user.username] = user

    Membership.objects.filter(business_unit=business_unit).delete()
    Membership.objects.bulk_create(
        [
            Membership(
                group=group,
                user=by_name[row["user__username"]],
                role=roles[row["role__code"]],
                business_unit=business_unit,
            )
            for row in people["memberships"]
        ]
    )
    known = set(
        UserToken.objects.values_list("digest", flat=True).filter(
            digest__in=[row["digest"] for row in people["tokens"]]
        )
    )
    UserToken.objects.bulk_create(
        [
            UserToken(user=by_name[row["user__username"]], **{f: row[f] for f in TOKEN_FIELDS})
            for row in people["tokens"]
            if row["digest"] not in known
        ]
    )

    team_map = _load_teams(people["teams"], business_unit, group, by_name)

    key_map: dict[int, int] = {}
    for row in people["api_keys"]:
        key = ApiKey.objects.filter(digest=row["digest"]).first()
        if key is None:
            creator = row.get("created_by__username")
            key = ApiKey.objects.create(
                group=group,
                business_unit=business_unit,
                role=roles[row["role__code"]],
                created_by=by_name.get(creator) if creator else None,
                **{f: row[f] for f in KEY_FIELDS},
            )
        key_map[int(row["id"])] = key.pk

    AuditEntry.objects.filter(business_unit=business_unit).delete()
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                group=group,
                business_unit=business_unit,
                user=by_name.get(row["user__username"]) if row["user__username"] else None,
                api_key_id=key_map.get(row["api_key_id"]) if row["api_key_id"] else None,
                **{f: row[f] for f in AUDIT_FIELDS},
            )
            for row in people["audit_entries"]
        ]
    )
    with connection.cursor() as cursor:
        for row in people["contexts"]:  # as they were: their times are history
            cursor.execute(
                "INSERT INTO public.pghistory_context (id, created_at, updated_at, metadata) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                [row["id"], row["created_at"], row["updated_at"], json.dumps(row["metadata"])],
            )
    return user_map, team_map


def _load_teams(
    rows: list[dict[str, Any]], business_unit: BusinessUnit, group: Group, by_name: dict[str, User]
) -> dict[int, int]:
    Team.members.through.objects.filter(team__business_unit=business_unit).delete()
    Team.objects.filter(business_unit=business_unit).update(parent=None)
    Team.objects.filter(business_unit=business_unit).delete()
    team_map: dict[int, int] = {}
    pending = list(rows)
    while pending:  # parents first
        ready = [row for row in pending if row["parent_id"] in (None, *team_map)]
        if not ready:
            raise ValueError("the teams' parents form a cycle")
        for row in ready:
            team = Team.objects.create(
                group=group,
                business_unit=business_unit,
                name=row["name"],
                parent_id=team_map.get(row["parent_id"]) if row["parent_id"] else None,
                manager=by_name.get(row["manager"]) if row["manager"] else None,
            )
            team.members.set([by_name[name] for name in row["members"]])
            team_map[int(row["id"])] = team.pk
            pending.remove(row)
    return team_map


def purge_people(business_unit: BusinessUnit, member_ids: list[int]) -> dict[str, int]:
    """Delete the BU's shared rows here (the source cell), and the users who worked only in it.

    `member_ids`: the users who had a role in the BU at export. Returns counts.
    """
    from pghistory.models import Context

    counts: dict[str, int] = {}
    with transaction.atomic():
        counts["contexts"] = Context.objects.filter(_contexts_of(business_unit.handle)).delete()[0]
        counts["audit_entries"] = AuditEntry.objects.filter(business_unit=business_unit).delete()[0]
        keys = ApiKey.objects.filter(business_unit=business_unit)
        AuditEntry.objects.filter(api_key__in=keys).update(api_key=None)
        counts["api_keys"] = keys._raw_delete(keys.db)
        Team.members.through.objects.filter(team__business_unit=business_unit).delete()
        teams = Team.objects.filter(business_unit=business_unit)
        teams.update(parent=None)
        counts["teams"] = teams._raw_delete(teams.db)
        memberships = Membership.objects.filter(business_unit=business_unit)
        counts["memberships"] = memberships._raw_delete(memberships.db)
    leaving = User.objects.filter(pk__in=member_ids, memberships__isnull=True)
    counts["users_deleted"] = counts["users_scrubbed"] = 0
    for user in leaving:
        try:
            with transaction.atomic():
                UserToken.objects.filter(user=user).delete()
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute("DELETE FROM public.accounts_user WHERE id = %s", [user.pk])
            counts["users_deleted"] += 1
        except IntegrityError:
            scrub_user(user)
            counts["users_scrubbed"] += 1
    return counts


def scrub_user(user: User) -> None:
    """Keep the row (something still points at it), drop everything personal in it."""
    UserToken.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(
        username=f"moved-{user.pk}",
        first_name="",
        last_name="",
        email="",
        password="!",  # noqa: S106 (an unusable password)
        is_active=False,
        last_login=None,
    )
