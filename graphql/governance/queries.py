"""Change requests the caller may see: their own, their BU's (managers), all (stewards)."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.governance.types import ChangeRequestConnection, RequestKind, RequestStatus
from crm.masterdata.governance import models
from crm.masterdata.governance.access import CHANGE_REQUEST
from crm.platform.core.errors import CrmError
from crm.platform.permissions.vocabulary import Action


class GovernanceQueries(graphene.ObjectType):
    change_requests = relay.ConnectionField(
        ChangeRequestConnection,
        status=graphene.Argument(RequestStatus),
        kind=graphene.Argument(RequestKind, description="UPDATE or CREATE requests only."),
        description="Change requests you may see, newest first.",
    )

    @staticmethod
    def resolve_change_requests(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        status: Any = None,
        kind: Any = None,
        **_paging: Any,
    ) -> ChangeRequestConnection:
        try:
            access = caller(info)
            access.require_some(Action.VIEW, CHANGE_REQUEST)
            records = models.ChangeRequest.objects.filter(group_id=access.business_unit.group_id)
            queryset = access.visible(CHANGE_REQUEST, records).select_related(
                "customer", "filed_by", "business_unit"
            )
            if status is not None:
                access.require_readable(CHANGE_REQUEST, "status", argument="status")
                queryset = queryset.filter(status=str(getattr(status, "value", status)))
            if kind is not None:
                queryset = queryset.filter(kind=str(getattr(kind, "value", kind)))
            page = keyset_page(
                queryset,
                kind="ChangeRequest",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("id", descending=True),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        connection: ChangeRequestConnection = connection_from_page(ChangeRequestConnection, page)
        return connection
