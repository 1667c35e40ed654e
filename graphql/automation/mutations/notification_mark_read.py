"""notificationMarkRead: mark some of your notifications read."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.automation.types import Notification
from crm.graphql.core.ids import pk_of
from crm.graphql.core.mutations import CrmMutation
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.tenants.automation import services

MAX_IDS = 200


class NotificationMarkRead(CrmMutation):
    class Meta:
        error_codes = (ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND, ErrorCode.MALFORMED_ID)

    class Arguments:
        ids = graphene.List(graphene.NonNull(graphene.ID), required=True)

    notifications = graphene.List(graphene.NonNull(Notification))

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        ids = arguments["ids"]
        if not ids or len(ids) > MAX_IDS:
            raise CrmError(ErrorCode.INVALID_ARGUMENT, field="ids", reason=f"1 to {MAX_IDS} ids")
        pks = [pk_of("Notification", value, field="ids") for value in ids]
        return {"notifications": services.notifications_mark_read(access, pks)}
