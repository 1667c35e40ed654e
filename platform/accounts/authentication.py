"""Bearer tokens: sign-in tokens act as a user, API keys act as an integrator with one role.

Both are presented as `Authorization: Bearer crm_<prefix>_<secret>` and stored only as digests.
The last-use time is written at most once a minute per token, so reads stay reads.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection
from django.utils import timezone

from crm.platform.accounts.models import (
    API_KEY_KIND,
    USER_TOKEN_KIND,
    ApiKey,
    Membership,
    Role,
    User,
    UserToken,
    digest_of,
    new_secret,
    token_kind,
)
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.models import PolicyVersion
from crm.platform.permissions.policy_data import Grant, Principal

LAST_USE_RESOLUTION = datetime.timedelta(minutes=1)


@dataclass(frozen=True)
class Credentials:
    principal: Principal
    user: User | None
    api_key: ApiKey | None


def bearer_token(header: str) -> str | None:
    scheme, _space, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _touch(credential: ApiKey | UserToken) -> None:
    now = timezone.now()
    if credential.last_used_at is None or now - credential.last_used_at > LAST_USE_RESOLUTION:
        type(credential).objects.filter(pk=credential.pk).update(last_used_at=now)


def user_principal(user: User) -> Principal:
    """The user's grants and their group's active policy version, in one round trip.

    This runs on every request, so it is one plain SQL statement rather than two ORM queries
    (measured by `make bench`: the ORM's compilation cost more than the database's work).
    """
    sql = f"""
        SELECT m.role_id, r.code, m.business_unit_id, v.id, v.number
        FROM {Membership._meta.db_table} m
        JOIN {Role._meta.db_table} r ON r.id = m.role_id
        LEFT JOIN {PolicyVersion._meta.db_table} v ON v.group_id = m.group_id AND v.active
        WHERE m.user_id = %s AND m.group_id = %s
    """  # noqa: S608 - table names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.group_id or 0])
        rows = cursor.fetchall()
    grants = tuple(
        Grant(role_id=role_id, role_code=code, business_unit_id=unit_id)
        for role_id, code, unit_id, _version, _number in rows
    )
    version = (rows[0][3], rows[0][4]) if rows and rows[0][3] is not None else None
    return Principal(
        group_id=user.group_id or 0,
        label=user.get_username(),
        grants=grants,
        user_id=user.pk,
        policy_version=version,
    )


def key_principal(key: ApiKey) -> Principal:
    grant = Grant(
        role_id=key.role_id, role_code=key.role.code, business_unit_id=key.business_unit_id
    )
    return Principal(
        group_id=key.group_id,
        label=f"api-key:{key.prefix}:{key.name}",
        grants=(grant,),
        api_key_id=key.pk,
    )


def credentials_for(token: str) -> Credentials:
    """The principal behind a token, or UNAUTHENTICATED (unknown, revoked or expired)."""
    digest = digest_of(token)
    kind = token_kind(token)
    if kind == API_KEY_KIND:
        key = ApiKey.objects.select_related("role").filter(digest=digest).first()
        if key is not None and key.active:
            _touch(key)
            return Credentials(key_principal(key), None, key)
    elif kind == USER_TOKEN_KIND:
        session = UserToken.objects.select_related("user").filter(digest=digest).first()
        if session is not None and session.active and session.user.is_active:
            _touch(session)
            return Credentials(user_principal(session.user), session.user, None)
    raise CrmError(ErrorCode.UNAUTHENTICATED)


def sign_in(*, username: str, password: str) -> tuple[str, UserToken]:
    """A new sign-in token for a user: (the token, shown once; its stored record)."""
    user = authenticate(username=username, password=password)
    if not isinstance(user, User) or user.group_id is None:
        raise CrmError(ErrorCode.INVALID_CREDENTIALS, field="password")
    return issue_user_token(user)


def issue_user_token(user: User) -> tuple[str, UserToken]:
    token, prefix, digest = new_secret(USER_TOKEN_KIND)
    record = UserToken.objects.create(
        user=user,
        prefix=prefix,
        digest=digest,
        expires_at=timezone.now() + datetime.timedelta(seconds=settings.USER_TOKEN_LIFETIME),
    )
    return token, record
