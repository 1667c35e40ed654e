"""`replicationStatus`: for the group's administrators (policy type `replication`)."""

from __future__ import annotations

import graphene

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.permissions import caller
from crm.graphql.replication.types import ReplicationStatus
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.vocabulary import Action
from crm.replication.access import REPLICATION
from crm.replication.status import GroupStatus, group_status

MAX_INCIDENTS = 100


class ReplicationQueries(graphene.ObjectType):
    replication_status = graphene.Field(
        ReplicationStatus,
        incidents=graphene.Int(default_value=20, description=f"At most {MAX_INCIDENTS}."),
        description="Master-data replication of the caller's group, from this cell's view.",
    )

    @staticmethod
    def resolve_replication_status(
        _root: None, info: graphene.ResolveInfo, incidents: int = 20
    ) -> GroupStatus:
        try:
            access = caller(info)
            access.require(Action.VIEW, REPLICATION)
            if not 0 <= incidents <= MAX_INCIDENTS:
                raise CrmError(
                    ErrorCode.INVALID_ARGUMENT,
                    field="incidents",
                    reason=f"between 0 and {MAX_INCIDENTS}",
                )
        except CrmError as error:
            raise graphql_error(error) from error
        return group_status(access.business_unit.group, incidents=incidents)
