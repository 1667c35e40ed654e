"""Import and export jobs the caller may see: their own; a steward's, the group's."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.pagination import Ordering, connection_from_page, keyset_page
from crm.graphql.core.permissions import caller
from crm.graphql.transfer.types import TransferJob, TransferJobConnection
from crm.masterdata.transfer import models
from crm.masterdata.transfer.access import TRANSFER_JOB
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action


def visible_jobs(access: Access) -> Any:
    access.require_some(Action.VIEW, TRANSFER_JOB)
    records = models.TransferJob.objects.filter(group_id=access.business_unit.group_id)
    return access.visible(TRANSFER_JOB, records)


def visible_job(access: Access, job_id: int) -> models.TransferJob:
    job: models.TransferJob | None = visible_jobs(access).filter(pk=job_id).first()
    if job is None:
        raise CrmError(ErrorCode.NOT_FOUND, field="id", object=TRANSFER_JOB.name, id=job_id)
    return job


class TransferQueries(graphene.ObjectType):
    transfer_job = graphene.Field(
        TransferJob,
        id=graphene.ID(required=True),
        description="One import or export job: poll it for progress.",
    )
    transfer_jobs = relay.ConnectionField(
        TransferJobConnection, description="Import and export jobs you may see, newest first."
    )

    @staticmethod
    def resolve_transfer_job(_root: None, info: graphene.ResolveInfo, id: str) -> Any:
        try:
            return visible_job(caller(info), pk_of("TransferJob", id))
        except CrmError as error:
            raise graphql_error(error) from error

    @staticmethod
    def resolve_transfer_jobs(
        _root: None,
        info: graphene.ResolveInfo,
        first: int | None = None,
        after: str | None = None,
        **_paging: Any,
    ) -> TransferJobConnection:
        try:
            page = keyset_page(
                visible_jobs(caller(info)),
                kind="TransferJob",
                key="id",
                first=first,
                after=after,
                ordering=Ordering("id", descending=True),
            )
        except CrmError as error:
            raise graphql_error(error) from error
        connection: TransferJobConnection = connection_from_page(TransferJobConnection, page)
        return connection
