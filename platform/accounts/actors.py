"""Tasks act for someone: the actor travels in the message and is checked again in the worker.

`actor_of(access)` is what a request puts in a task's arguments (ids only, no personal data);
`access_for(actor)` rebuilds the principal in the worker from the database, with the policy
active at that moment, so a role revoked or a policy changed after the task was queued applies.
"""

from __future__ import annotations

from typing import TypedDict

from crm.platform.accounts.authentication import key_principal, user_principal
from crm.platform.accounts.models import ApiKey, User
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import load_policy
from crm.tenants.models import BusinessUnit


class Actor(TypedDict):
    user_id: int | None
    api_key_id: int | None
    business_unit_id: int


def actor_of(access: Access) -> Actor:
    return Actor(
        user_id=access.principal.user_id,
        api_key_id=access.principal.api_key_id,
        business_unit_id=access.business_unit.pk,
    )


def access_for(actor: Actor, *, task: str) -> Access:
    """The actor's access now; UNAUTHENTICATED if the user or key is gone, inactive or revoked."""
    business_unit = BusinessUnit.objects.select_related("group").get(pk=actor["business_unit_id"])
    key_id, user_id = actor.get("api_key_id"), actor.get("user_id")
    if key_id is not None:
        key = ApiKey.objects.select_related("role").filter(pk=key_id).first()
        if key is None or not key.active:
            raise CrmError(ErrorCode.UNAUTHENTICATED)
        principal = key_principal(key)
    else:
        user = User.objects.filter(pk=user_id or 0, is_active=True).first()
        if user is None:
            raise CrmError(ErrorCode.UNAUTHENTICATED)
        principal = user_principal(user)
    return Access(
        principal, business_unit, load_policy(business_unit.group_id), origin=f"task:{task}"
    )
