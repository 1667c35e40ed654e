"""Which shared tables are replicated from a group's home cell, and how a row finds its group.

A row belongs to a group, either directly (`group_id`) or through its parent (a price break
through its price-list item). The home cell captures changes of its own groups' rows into the
outbox; every other cell holds a read-only replica of them.

Decided per model (see `EXCLUDED` for the reasons a shared model is left out). Nothing here may
hold personal data: `tests/replication/test_registry.py` fails if a replicated model is declared
`personal_data=True` or has a field whose name looks personal.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.apps import apps
from django.db import models


@dataclass(frozen=True)
class Replicated:
    """One replicated model. SQL fragments are written against the changed row, aliased `r`."""

    label: str  # "app_label.ModelName"
    # Joins that reach the group from the row (the parent tables), e.g. a break's item.
    join: str = ""
    # The row's group id.
    group: str = "r.group_id"
    # The group's home region; by default read from the group row.
    home: str = "g.home_region_id"

    @cached_property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def pk_column(self) -> str:
        return self.model._meta.pk.column

    @property
    def columns(self) -> list[str]:
        return [field.column for field in self.model._meta.concrete_fields]

    @property
    def key(self) -> str:
        return self.model._meta.label_lower


REPLICATED: tuple[Replicated, ...] = (
    # The BU directory: every cell knows every group's BUs, their regions and host names.
    Replicated("tenants.Group", group="r.id", home="r.home_region_id"),
    Replicated("tenants.BusinessUnit"),
    Replicated(
        "tenants.Domain",
        join="JOIN public.tenants_businessunit p ON p.id = r.tenant_id",
        group="p.group_id",
    ),
    # Group master data, company-level only.
    Replicated("masterdata.MaterialCategory"),
    Replicated("masterdata.Material"),
    Replicated(
        "masterdata.MaterialLocalCode",
        join="JOIN public.masterdata_material p ON p.id = r.material_id",
        group="p.group_id",
    ),
    Replicated("masterdata.PriceList"),
    Replicated("masterdata.PriceListItem"),
    Replicated(
        "masterdata.PriceBreak",
        join="JOIN public.masterdata_pricelistitem p ON p.id = r.item_id",
        group="p.group_id",
    ),
    Replicated("masterdata.ExchangeRate"),
    Replicated("customers.Customer"),
    Replicated("salesconfig.LeadSource"),
    Replicated("salesconfig.PipelineTemplate"),
    Replicated(
        "salesconfig.StageTemplate",
        join="JOIN public.salesconfig_pipelinetemplate p ON p.id = r.template_id",
        group="p.group_id",
    ),
    Replicated("salesconfig.ScoreCriterion"),
    Replicated("salesconfig.ProbabilityBand"),
    Replicated("salesconfig.CloseReason"),
)

# Shared models deliberately not replicated, and why.
EXCLUDED: dict[str, str] = {
    "regions.region": "platform configuration without an owning group: every cell is deployed "
    "with the same region registry (migrate/seed), so there is no home cell to write it",
    "masterdata.salespolicy": "refers to roles, which every cell keeps for itself (permissions)",
    "governance.changerequest": "a BU's request and its workflow, naming who filed it",
    "governance.customermerge": "a steward's operation log, naming who performed it",
    "transfer.transferjob": "an import or export job of one cell; files may hold anything",
    "transfer.transferfile": "uploaded and generated files: content not under our control",
    "transfer.rowerror": "belongs to a transfer job",
    # Administration is per cell: every cell installs the default roles and policy itself.
    "accounts.role": "per cell (installed by migrate_cell); sales policies refer to them",
    "accounts.membership": "names a user (personal data)",
    "accounts.team": "names its manager and members (users)",
    "accounts.apikey": "a credential of one cell",
    "permissions.policyversion": "per cell, with the roles",
    "regions.regionmove": "a move of a BU between two cells runs its own protocol",
    # Data-protection rules are regional by design.
    "privacy.retentionpolicy": "retention is decided per region (its jurisdiction)",
    "privacy.retentionrun": "a run in one cell",
}

BY_KEY: dict[str, Replicated] = {item.key: item for item in REPLICATED}


def replicated(key: str) -> Replicated | None:
    """The replicated model named `app_label.modelname` (lower case), if it is one."""
    return BY_KEY.get(key.lower())
