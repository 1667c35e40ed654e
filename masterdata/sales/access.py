"""The group's sales configuration under the policy: HQ defines it, every BU reads it."""

from __future__ import annotations

from crm.masterdata.sales import models
from crm.platform.permissions.registry import GovernedField, ObjectType, register


def _fields(*names: str) -> tuple[GovernedField, ...]:
    return tuple(GovernedField(name) for name in names)


# One type for the whole configuration (sources, pipeline templates, scorecard, close reasons):
# they are written by the same people, at the same time, and read by every BU.
SALES_SETUP = register(
    ObjectType(
        name="sales_setup",
        model=models.PipelineTemplate,
        graphql_type="PipelineTemplate",
        fields=_fields("code", "name", "stages"),
    )
)
