"""retentionRunStart: apply the group's retention policies in this region now (as the nightly
run does), or with dryRun only report what they would anonymize; either way the run is kept."""

from __future__ import annotations

from typing import Any

import graphene

from crm.graphql.core.mutations import CrmMutation
from crm.graphql.privacy.types import RetentionRun
from crm.platform.permissions.engine import Access
from crm.regions.privacy.retention import run_for


class RetentionRunStart(CrmMutation):
    class Arguments:
        dry_run = graphene.Boolean(default_value=True, description="Default: report only.")

    run = graphene.Field(RetentionRun)

    @classmethod
    def perform(
        cls, info: graphene.ResolveInfo, access: Access, **arguments: Any
    ) -> dict[str, Any]:
        return {"run": run_for(access, dry_run=bool(arguments.get("dry_run", True)))}
