"""The default policy, role × stage × field × action, checked through the GraphQL API.

Generated from the policy's data (see `matrix.py`): for every governed type, every default role
(held in the German BU, or at group level for HQ roles) and every stage, one record is made in
that stage and the API is asked to read each field, write each field, move the stage both ways,
delete it, export it, and say what the caller may do. Each write runs in a savepoint that is
rolled back, so every answer is about the record in the stage under test.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.forms.models import model_to_dict
from graphql_relay import to_global_id

from crm.platform.permissions.defaults import DEFAULT_POLICY, DEFAULT_ROLES
from crm.platform.permissions.vocabulary import Action
from crm.tests.permissions.matrix import (
    ADAPTERS,
    Adapter,
    Expected,
    as_enum,
    expected,
    member,
    payload_of,
    reaches,
    rolled_back,
)


def _stages(object_type: str) -> tuple[str, ...]:
    from crm.platform.permissions.registry import REGISTRY

    return REGISTRY[object_type].stages or ("",)


CASES = [
    pytest.param(adapter, role, stage, id=f"{adapter.object_type}-{role}-{stage}")
    for adapter in ADAPTERS
    for role in DEFAULT_ROLES
    for stage in adapter.stages
]

MY_PERMISSIONS = """
query($t: ObjectTypeName!, $s: String) {
  myPermissions(objectType: $t, stage: $s) { objectType stage actions fields { name mode } }
}
"""
EXPORT = "{ materialsExport { csv rows } }"
CREATE_MATERIAL = """
mutation { materialCreate(code: "MX-NEW", unit: PIECE, names: [{language: "en", text: "New"}],
                          standardCost: "1.5") { errors { field code } material { id } } }
"""


def check_reads(adapter: Adapter, reply: Any, want: Expected) -> None:
    node = reply.data[adapter.root]
    if Action.VIEW not in want.actions:
        assert node is None
        assert reply.codes == ["NOT_FOUND"]
        return
    forbidden = {
        error["path"][-1]
        for error in reply.errors
        if error["extensions"]["code"] == "FIELD_FORBIDDEN"
    }
    assert set(reply.codes) <= {"FIELD_FORBIDDEN"}, reply.errors
    for field, selection in adapter.readable.items():
        name = selection.split()[0]
        if want.mode(field) == "hidden":
            assert node[name] is None, field
            assert name in forbidden, field
        else:
            assert node[name] is not None, field
            assert name not in forbidden, field
    assert as_enum(node["permissions"]["actions"]) == as_enum(want.actions)
    modes = {f["name"]: f["mode"] for f in node["permissions"]["fields"]}
    assert modes == {field: mode.upper() for field, mode in want.modes.items()}


def check_write(
    adapter: Adapter, ask: Any, gid: str, record: Any, field: str, want: Expected
) -> None:
    document, variables = adapter.writes[field]
    before = model_to_dict(type(record).objects.get(pk=record.pk))
    with rolled_back():
        payload = payload_of(ask(document, variables(gid)))
        errors = [(e["code"], e["field"]) for e in payload["errors"]]
        if Action.VIEW not in want.actions:
            assert errors == [("NOT_FOUND", "id")], field
        elif want.may_write(field):
            assert errors == [], field
        elif Action.EDIT not in want.actions:
            assert errors == [("PERMISSION_DENIED", None)], field
        else:
            assert errors == [("PERMISSION_DENIED", field)], field
        if errors:  # refused: nothing changed
            assert model_to_dict(type(record).objects.get(pk=record.pk)) == before


def check_stage_moves(adapter: Adapter, ask: Any, gid: str, stage: str, want: Expected) -> None:
    index = adapter.stages.index(stage)
    for direction, action, target in (
        ("ADVANCE", Action.ADVANCE, index + 1),
        ("RETREAT", Action.RETREAT, index - 1),
    ):
        with rolled_back():
            payload = payload_of(ask(adapter.change_stage, {"id": gid, "d": direction}))
            codes = [e["code"] for e in payload["errors"]]
            if Action.VIEW not in want.actions:
                assert codes == ["NOT_FOUND"]
            elif action not in want.actions:
                assert codes == ["PERMISSION_DENIED"], direction
            elif not 0 <= target < len(adapter.stages):
                assert codes == ["INVALID_STAGE_CHANGE"], direction
            else:
                assert codes == [], direction
                (record,) = [v for k, v in payload.items() if k != "errors"]
                assert record["status"] == adapter.stages[target]


def check_delete(adapter: Adapter, ask: Any, gid: str, record: Any, want: Expected) -> None:
    with rolled_back():
        if adapter.object_type == "material":
            record.price_items.all().delete()
        payload = payload_of(ask(adapter.delete, {"id": gid}))
        codes = [e["code"] for e in payload["errors"]]
        if Action.VIEW not in want.actions:
            assert codes == ["NOT_FOUND"]
        elif Action.DELETE not in want.actions:
            assert codes == ["PERMISSION_DENIED"]
            assert type(record).objects.filter(pk=record.pk).exists()
        else:
            assert codes == []
            assert not type(record).objects.filter(pk=record.pk).exists()


def check_export(ask: Any, role: str, record: Any, want: Expected) -> None:
    exports_somewhere = any(
        Action.EXPORT in spec.actions and reaches(spec, role)
        for spec in DEFAULT_POLICY["material"]
        if spec.role == role
    )
    views_somewhere = any(
        Action.VIEW in spec.actions and reaches(spec, role)
        for spec in DEFAULT_POLICY["material"]
        if spec.role == role
    )
    reply = ask(EXPORT)
    if not (exports_somewhere and views_somewhere):
        assert reply.codes == ["PERMISSION_DENIED"]
        assert reply.data["materialsExport"] is None
        return
    assert reply.errors == []
    rows = {
        row["code"]: row
        for row in csv.DictReader(io.StringIO(reply.data["materialsExport"]["csv"]))
    }
    if Action.EXPORT not in want.actions:
        assert record.code not in rows
        return
    row = rows[record.code]
    assert row["standard_cost"] == ("12.5000" if want.mode("standard_cost") != "hidden" else "")
    assert row["name"] == (f"Matrix {record.code}" if want.mode("name") != "hidden" else "")


@pytest.mark.parametrize(("adapter", "role", "stage"), CASES)
def test_default_policy_through_the_api(world, graphql, settings, adapter, role, stage):
    settings.REGION = "eu"
    username = member(role)
    record = adapter.make(world, stage, f"MX-{stage}")
    gid = to_global_id(adapter.graphql_type, record.pk)
    want = expected(adapter.object_type, tuple(adapter.readable), role, stage)

    def ask(query: str, variables: dict[str, Any] | None = None) -> Any:
        return graphql(query, variables, bu="acme.de", as_=username)

    check_reads(adapter, ask(adapter.one, {"id": gid}), want)

    mine = ask(MY_PERMISSIONS, {"t": adapter.object_type.upper(), "s": stage})
    assert mine.errors == []
    assert as_enum(mine.data["myPermissions"]["actions"]) == as_enum(want.actions)
    assert {f["name"]: f["mode"] for f in mine.data["myPermissions"]["fields"]} == {
        field: mode.upper() for field, mode in want.modes.items()
    }

    for field in adapter.writes:
        check_write(adapter, ask, gid, record, field, want)
    check_stage_moves(adapter, ask, gid, stage, want)
    check_delete(adapter, ask, gid, record, want)
    if adapter.object_type == "material":
        check_export(ask, role, record, want)
        if stage == adapter.stages[0]:
            codes = [e["code"] for e in payload_of(ask(CREATE_MATERIAL))["errors"]]
            creates = Action.CREATE in want.actions and all(
                want.mode(f) == "write" for f in ("code", "unit", "name", "standard_cost")
            )
            assert codes == ([] if creates else ["PERMISSION_DENIED"])


TYPE_CASES = [
    pytest.param(name, role, stage, id=f"{name}-{role}-{stage or 'any'}")
    for name in sorted(DEFAULT_POLICY)
    for role in DEFAULT_ROLES
    for stage in _stages(name)
]


@pytest.mark.parametrize(("object_type", "role", "stage"), TYPE_CASES)
def test_my_permissions_for_every_type_role_and_stage(
    world, graphql, settings, object_type, role, stage
):
    """Every governed type, not only those with records above: what the API says one may do."""
    from crm.platform.permissions.registry import REGISTRY

    settings.REGION = "eu"
    fields = tuple(f.name for f in REGISTRY[object_type].fields)
    want = expected(object_type, fields, role, stage, on_type=True)
    reply = graphql(
        MY_PERMISSIONS,
        {"t": object_type.upper(), "s": stage},
        bu="acme.de",
        as_=member(role),
    )
    assert reply.errors == []
    mine = reply.data["myPermissions"]
    assert as_enum(mine["actions"]) == as_enum(want.actions)
    assert {f["name"]: f["mode"] for f in mine["fields"]} == {
        field: mode.upper() for field, mode in want.modes.items()
    }


def test_the_matrix_covers_every_governed_type_with_a_graphql_surface():
    """A type added to the registry with a GraphQL record type must join the matrix."""
    from crm.platform.permissions.registry import REGISTRY
    from crm.tests.permissions.test_sales_matrix import SALES_ADAPTERS

    record_types = {"material", "price_list"}  # records in stages: the full matrix above
    # The BU's daily sales records: reads and writes per role, stage and owner (own or not).
    sales_types = {"lead", "opportunity", "contact", "activity", "task", "local_customer"}
    assert record_types | sales_types <= set(REGISTRY)
    assert set(REGISTRY) == set(DEFAULT_POLICY)  # every type has default rules, myPermissions
    assert {adapter.object_type for adapter in ADAPTERS} == record_types
    assert {adapter.object_type for adapter in SALES_ADAPTERS} == sales_types
    # Quotes and contracts (#7): the same checks (test_quote_matrix.py); lines per role there.
    from crm.tests.permissions.test_quote_matrix import QUOTE_ADAPTERS

    assert {adapter.object_type for adapter in QUOTE_ADAPTERS} == {"quote", "contract"}
    for adapter in (*SALES_ADAPTERS, *QUOTE_ADAPTERS):
        kind = REGISTRY[adapter.object_type]
        assert adapter.graphql_type == kind.graphql_type
        assert set(adapter.readable) == kind.field_names  # every governed field is read
        assert set(adapter.stages) == set(kind.stages or ("",))


RATE_FIELDS = {
    "base": "base",
    "quote": "quote",
    "rate_type": "rateType",
    "date": "date",
    "rate": "rate",
    "source": "source",
}
RATE_SELECTION = " ".join(RATE_FIELDS.values())
RATES = f"{{ exchangeRates(first: 3) {{ totalCount edges {{ node {{ {RATE_SELECTION} }} }} }} }}"
IMPORT_RATES = """mutation { exchangeRatesImport(csv: "date,base,quote,rate\\n") {
  errors { code } taskId } }"""


@pytest.mark.parametrize("role", list(DEFAULT_ROLES))
def test_exchange_rates_through_the_api(
    world, graphql, settings, role, django_capture_on_commit_callbacks
):
    """Rates have no stages and no record query by id: reading and importing per role."""
    settings.REGION = "eu"
    username = member(role)
    want = expected("exchange_rate", tuple(RATE_FIELDS), role, "")
    reply = graphql(RATES, bu="acme.de", as_=username)
    if Action.VIEW not in want.actions:
        assert reply.codes == ["PERMISSION_DENIED"]
        assert reply.data["exchangeRates"] is None
    else:
        assert set(reply.codes) <= {"FIELD_FORBIDDEN"}
        assert reply.data["exchangeRates"]["totalCount"] == 6  # 3 days × EUR and JPY
        for edge in reply.data["exchangeRates"]["edges"]:
            for field, name in RATE_FIELDS.items():
                assert (edge["node"][name] is None) == (want.mode(field) == "hidden"), field
    with django_capture_on_commit_callbacks() as queued:
        payload = payload_of(graphql(IMPORT_RATES, bu="acme.de", as_=username))
    if Action.CREATE in want.actions:
        assert payload["errors"] == []
        assert len(queued) == 1  # sent to the worker once the request commits
    else:
        assert [e["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"]
        assert queued == []
