"""The object types the policy speaks about: their stages, fields and how scopes reach them.

Each area registers its types (e.g. `crm.masterdata.access`) when its app is ready. A type says
where a record's stage comes from, which fields the policy governs (and which hold personal
data), and how the scopes own / team / BU / group select its records, both as a queryset filter
and as a check on one loaded record, so that per-node checks never run SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from crm.tenants.models import BusinessUnit


@dataclass(frozen=True)
class GovernedField:
    name: str
    personal: bool = False


def _everything(_business_unit: BusinessUnit) -> Q:
    return Q()


def _always(_record: Any, _business_unit: BusinessUnit) -> bool:
    return True


def _nobody(_record: Any) -> frozenset[int]:
    return frozenset()


@dataclass(frozen=True)
class ObjectType:
    """A type of record the policy governs, e.g. `material`."""

    name: str
    model: type[models.Model]
    graphql_type: str
    fields: tuple[GovernedField, ...]
    # Stages in their order; empty for types without a lifecycle.
    stages: tuple[str, ...] = ()
    stage_field: str | None = None
    # The owning group's foreign key; None for records in a BU's own schema.
    group_field: str | None = "group"
    # The owner's foreign key, for the own and team scopes; None: those scopes reach nothing.
    owner_field: str | None = None
    # People who reach a record as its owner does (a deal's account team): the lookup (from
    # `owner_field`'s model, e.g. "team__user") for querysets, and the user ids of one loaded
    # record (prefetched for lists, so per-node checks stay free of SQL).
    members_lookup: str | None = None
    members_of: Callable[[Any], frozenset[int]] = _nobody
    # Records of the group that belong to (or apply to) one business unit.
    business_unit_filter: Callable[[BusinessUnit], Q] = _everything
    business_unit_holds: Callable[[Any, BusinessUnit], bool] = _always
    field_names: frozenset[str] = field(init=False)
    personal_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_names", frozenset(f.name for f in self.fields))
        object.__setattr__(
            self, "personal_names", frozenset(f.name for f in self.fields if f.personal)
        )

    @property
    def initial_stage(self) -> str:
        return self.stages[0] if self.stages else ""

    def stage_of(self, record: Any) -> str:
        return str(getattr(record, self.stage_field)) if self.stage_field else ""

    def group_of(self, record: Any) -> int | None:
        return getattr(record, f"{self.group_field}_id") if self.group_field else None

    def owner_of(self, record: Any) -> int | None:
        return getattr(record, f"{self.owner_field}_id") if self.owner_field else None

    def is_personal(self, name: str) -> bool:
        return name in self.personal_names


REGISTRY: dict[str, ObjectType] = {}
BY_GRAPHQL_TYPE: dict[str, ObjectType] = {}


def register(object_type: ObjectType) -> ObjectType:
    REGISTRY[object_type.name] = object_type
    BY_GRAPHQL_TYPE[object_type.graphql_type] = object_type
    return object_type


def object_type(name: str) -> ObjectType:
    return REGISTRY[name]
