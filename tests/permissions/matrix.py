"""The expected answers of the default policy, computed straight from its data (the oracle).

Deliberately simpler than the engine: for one role held in one way (in a BU, or at group level)
and one record that the BU's scope reaches, the applicable rules are those of the role whose
stage matches and whose scope the grant reaches; actions are their union, field modes their
maximum, and everything is hidden without `view`. Master-data records have no owner, so the own
and team scopes reach none of them.

Each object type has an adapter that knows its GraphQL names, how to make a record in a stage,
and how to write each field; later issues add adapters for the types they bring.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from crm.platform.permissions.defaults import DEFAULT_POLICY, GROUP_LEVEL_ROLES, RuleSpec
from crm.platform.permissions.vocabulary import Action, FieldMode, Scope

ORDER = {"hidden": 0, "read": 1, "write": 2}


@dataclass(frozen=True)
class Expected:
    actions: frozenset[str]
    modes: dict[str, str]

    def mode(self, field: str) -> str:
        return self.modes[field]

    def may_write(self, field: str) -> bool:
        return Action.EDIT in self.actions and self.modes[field] == "write"


def reaches(
    spec: RuleSpec, role: str, *, ownerless: bool = True, owned: bool | None = None
) -> bool:
    """Whether a grant of `role` reaches a record through `spec`'s scope.

    `owned` is None for a record without an owner (own and team rules reach it only when
    `ownerless` is False: the type as a whole, for `myPermissions`); True for a record the
    tested user owns, False for one another person of the BU owns. The team scope reaches
    neither: none of the tested users leads a team."""
    if spec.scope == Scope.GROUP:
        return True
    if spec.scope == Scope.BUSINESS_UNIT:
        return role not in GROUP_LEVEL_ROLES  # a group-level grant has no BU of its own
    if owned is not None:
        return spec.scope == Scope.OWN and owned
    return not ownerless


def expected(
    object_type: str,
    fields: tuple[str, ...],
    role: str,
    stage: str,
    *,
    on_type: bool = False,
    owned: bool | None = None,
) -> Expected:
    """For a record in `stage`, or with `on_type` for the type at that stage (`myPermissions`),
    where own and team rules count too: a record one creates is one's own. `owned` says, for
    a record with an owner, whether the tested user owns it."""
    applicable = [
        spec
        for spec in DEFAULT_POLICY[object_type]
        if spec.role == role
        and spec.stage in ("", stage)
        and reaches(spec, role, ownerless=not on_type, owned=None if on_type else owned)
    ]
    actions = frozenset(action for spec in applicable for action in spec.actions)
    modes = {}
    for field in fields:
        best = "hidden"
        for spec in applicable:
            mode = spec.fields.get(field, spec.default)
            if ORDER[mode] > ORDER[best]:
                best = mode
        modes[field] = best if Action.VIEW in actions else FieldMode.HIDDEN.label
    return Expected(actions, modes)


@dataclass(frozen=True)
class Adapter:
    object_type: str
    graphql_type: str
    # The policy's fields, with the GraphQL selection that reads each.
    readable: dict[str, str]
    # Each writable field with a mutation's document and variables (given the record's id).
    writes: dict[str, tuple[str, Callable[[str], dict[str, Any]]]]
    make: Callable[[Any, str, str], Any]  # (world, stage, code) -> record
    one: str  # query of one record by id, selecting everything readable and `permissions`
    root: str  # its root field
    change_stage: str
    delete: str
    stages: tuple[str, ...]


MATERIAL_FIELDS = {
    "code": "code",
    "name": "name",
    "description": "description",
    "unit": "unit",
    "status": "status",
    "standard_cost": "standardCost { amount }",
    "price": "price { amount { amount currency } }",
    "local_codes": "localCodes { businessUnit code }",
    "category": "category { code }",
}

PERMISSIONS = "permissions { objectType stage actions fields { name mode } }"


def _material(world: Any, stage: str, code: str) -> Any:
    from crm.masterdata.models import Material, MaterialCategory, PriceList, PriceListItem

    category, _ = MaterialCategory.objects.get_or_create(
        group_id=world.acme_id, code="MX-CAT", defaults={"name_en": "Matrix"}
    )
    MaterialCategory.objects.get_or_create(
        group_id=world.acme_id, code="MX-CAT2", defaults={"name_en": "Matrix 2"}
    )
    material = Material.objects.create(
        category=category,
        group_id=world.acme_id,
        code=code,
        unit="PCS",
        status=stage,
        name_en=f"Matrix {code}",
        description_en="For the permission matrix",
        standard_cost=Decimal("12.5000"),
    )
    PriceListItem.objects.create(
        price_list=PriceList.objects.get(group_id=world.acme_id, code="G"),
        material=material,
        amount=Decimal("100"),
    )
    return material


UPDATE_MATERIAL = """
mutation($id: ID!, $code: String, $unit: UnitOfMeasure, $names: [TranslationInput!],
         $descriptions: [TranslationInput!], $cost: Decimal, $category: String) {
  materialUpdate(id: $id, code: $code, unit: $unit, names: $names, descriptions: $descriptions,
                 standardCost: $cost, category: $category) {
    errors { field code message } material { id }
  }
}
"""

SET_LOCAL_CODE = """
mutation($id: ID!) {
  materialSetLocalCode(id: $id, businessUnit: "de", code: "SAP-4711") {
    errors { field code message } material { id }
  }
}
"""

MATERIAL = Adapter(
    object_type="material",
    graphql_type="Material",
    readable=MATERIAL_FIELDS,
    writes={
        "code": (UPDATE_MATERIAL, lambda i: {"id": i, "code": "MX-RENAMED"}),
        "name": (UPDATE_MATERIAL, lambda i: {"id": i, "names": [{"language": "en", "text": "N"}]}),
        "description": (
            UPDATE_MATERIAL,
            lambda i: {"id": i, "descriptions": [{"language": "de", "text": "D"}]},
        ),
        "unit": (UPDATE_MATERIAL, lambda i: {"id": i, "unit": "KILOGRAM"}),
        "standard_cost": (UPDATE_MATERIAL, lambda i: {"id": i, "cost": "99.5"}),
        "local_codes": (SET_LOCAL_CODE, lambda i: {"id": i}),
        "category": (UPDATE_MATERIAL, lambda i: {"id": i, "category": "MX-CAT2"}),
    },
    make=_material,
    one=f"query($id: ID!) {{ material(id: $id) {{ id {' '.join(MATERIAL_FIELDS.values())} "
    f"{PERMISSIONS} }} }}",
    root="material",
    change_stage="""mutation($id: ID!, $d: StageDirection!) {
      materialChangeStage(id: $id, direction: $d) {
        errors { field code } material { status } } }""",
    delete="""mutation($id: ID!) { materialDelete(id: $id) { errors { field code } deletedId } }""",
    stages=("DRAFT", "ACTIVE", "PHASED_OUT", "OBSOLETE"),
)

PRICE_LIST_FIELDS = {
    "code": "code",
    "name": "name",
    "currency": "currency",
    "coverage": "coverage { scope region }",
    "status": "status",
    "valid_from": "validFrom",
    "valid_to": "validTo",
    "items": "items { materialCode price { amount currency } }",
}


def _price_list(world: Any, stage: str, code: str) -> Any:
    from crm.masterdata.models import Material, PriceList, PriceListItem

    price_list = PriceList.objects.create(
        group_id=world.acme_id,
        code=code,
        name_en=f"Matrix {code}",
        currency="EUR",
        scope="REGION",
        region_id="eu",
        valid_from=datetime.date(2030, 1, 1),
        valid_to=datetime.date(2030, 12, 31),
        status=stage,
    )
    PriceListItem.objects.create(
        price_list=price_list,
        # Not on the open-ended EU list: two live EU prices of one material may not overlap.
        material=Material.objects.get(group_id=world.acme_id, code="M-040"),
        amount=Decimal("7"),
    )
    return price_list


UPDATE_PRICE_LIST = """
mutation($id: ID!, $code: String, $names: [TranslationInput!], $from: Date, $to: Date) {
  priceListUpdate(id: $id, code: $code, names: $names, validFrom: $from, validTo: $to) {
    errors { field code message } priceList { id }
  }
}
"""
SET_ITEMS = """
mutation($id: ID!) {
  priceListSetItems(id: $id, items: [{materialCode: "M-041", amount: "3.25"}]) {
    errors { field code message } priceList { id }
  }
}
"""

PRICE_LIST = Adapter(
    object_type="price_list",
    graphql_type="PriceList",
    readable=PRICE_LIST_FIELDS,
    writes={
        "code": (UPDATE_PRICE_LIST, lambda i: {"id": i, "code": "PX-RENAMED"}),
        "name": (
            UPDATE_PRICE_LIST,
            lambda i: {"id": i, "names": [{"language": "de", "text": "N"}]},
        ),
        "valid_from": (UPDATE_PRICE_LIST, lambda i: {"id": i, "from": "2030-02-01"}),
        "valid_to": (UPDATE_PRICE_LIST, lambda i: {"id": i, "to": "2030-11-30"}),
        "items": (SET_ITEMS, lambda i: {"id": i}),
    },
    make=_price_list,
    one=f"query($id: ID!) {{ priceList(id: $id) {{ id {' '.join(PRICE_LIST_FIELDS.values())} "
    f"{PERMISSIONS} }} }}",
    root="priceList",
    change_stage="""mutation($id: ID!, $d: StageDirection!) {
      priceListChangeStage(id: $id, direction: $d) {
        errors { field code } priceList { status } } }""",
    delete="mutation($id: ID!) { priceListDelete(id: $id) { errors { field code } deletedId } }",
    stages=("DRAFT", "ACTIVE", "RETIRED"),
)

ADAPTERS = (MATERIAL, PRICE_LIST)


def member(role: str) -> str:
    """A user of acme holding `role`: in the German BU, or at group level for HQ roles."""
    from crm.platform.accounts.models import Membership, Role, User
    from crm.tenants.models import BusinessUnit

    user = User.objects.create_user(username=f"matrix.{role}", password="pw")
    acme = Role.objects.get(group__code="acme", code=role).group
    user.group = acme
    user.save()
    Membership.objects.create(
        group=acme,
        user=user,
        role=Role.objects.get(group=acme, code=role),
        business_unit=None
        if role in GROUP_LEVEL_ROLES
        else BusinessUnit.objects.get(group=acme, code="de"),
    )
    return str(user.username)


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def as_enum(values: Any) -> set[str]:
    return {str(value).upper() for value in values}


def payload_of(reply: Any) -> dict[str, Any]:
    assert reply.errors == [], reply.errors
    (payload,) = reply.data.values()
    assert isinstance(payload, dict)
    return payload
