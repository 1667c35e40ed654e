"""Administering users of a group: created and changed by whom the policy allows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from crm.i18n import languages
from crm.platform.accounts.models import User, UserToken
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.access import USER
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible

USERNAME = re.compile(r"[\w.@+-]{3,150}")


def _language(value: str) -> str:
    if value and languages.supported(value) != value:
        raise CrmError(ErrorCode.UNKNOWN_LANGUAGE, field="language", language=value)
    return value


def _email(value: str) -> str:
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="email", reason="not an e-mail address"
        ) from None
    return value.lower()


def user_create(
    *,
    access: Access,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    password: str,
) -> User:
    """A user of the caller's group; roles come separately, with membershipGrant."""
    access.require(
        Action.CREATE, USER, ["username", "email", "first_name", "last_name", "language"]
    )
    if not USERNAME.fullmatch(username):
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT,
            field="username",
            reason="3 to 150 letters, digits and . _ - @",
        )
    user = User(
        username=username,
        email=_email(email),
        first_name=first_name.strip()[:150],
        last_name=last_name.strip()[:150],
        language=_language(language),
        group_id=access.business_unit.group_id,
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="password", reason=" ".join(error.messages)
        ) from None
    user.set_password(password)
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise CrmError(
                ErrorCode.ALREADY_EXISTS, field="username", object="user", value=username
            )
        user.save()
    return user


def user_update(*, access: Access, user_id: int, changes: Mapping[str, Any]) -> User:
    """`changes`: email, first_name, last_name, language, is_active. Deactivating signs out."""
    with transaction.atomic():
        user = lock_visible(
            access,
            USER,
            User.objects.filter(group_id=access.business_unit.group_id).prefetch_related(
                "memberships"
            ),
            user_id,
        )
        access.require(Action.EDIT, user, changes.keys())
        for field, value in changes.items():
            if field == "email":
                user.email = _email(value)
            elif field == "language":
                user.language = _language(value)
            elif field in ("first_name", "last_name"):
                setattr(user, field, str(value).strip()[:150])
            elif field == "is_active":
                user.is_active = bool(value)
                if not user.is_active:
                    UserToken.objects.filter(user=user, revoked_at=None).update(
                        revoked_at=timezone.now()
                    )
            else:
                raise CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason="not writable")
        user.save()
    return user
