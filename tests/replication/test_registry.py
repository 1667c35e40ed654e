"""What is replicated: decided for every group-scoped shared model, never personal data."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import connection

from crm.platform.core.placement import Schema, placement_of
from crm.replication import triggers
from crm.replication.registry import EXCLUDED, REPLICATED

# Names of columns that hold personal data (a simple heuristic: better a false alarm to review
# than a person's e-mail address copied to every region).
PERSONAL = re.compile(
    r"(^|_)(e_?mail|phone|mobile|fax|first_name|last_name|full_name|given_name|family_name|"
    r"birth|birthday|date_of_birth|address_line|street|postal_address|passport|national_id|"
    r"ip_address|gender|salutation|personal)($|_|\d)"
)


def test_the_heuristic_recognises_personal_names() -> None:
    for name in (
        "email",
        "e_mail",
        "phone",
        "mobile_phone",
        "first_name",
        "last_name",
        "birth_date",
        "address_line1",
        "contact_email",
    ):
        assert PERSONAL.search(name), name
    for name in ("code", "legal_name", "trade_name", "tax_id", "country", "name", "phase"):
        assert not PERSONAL.search(name), name


@pytest.mark.parametrize("item", REPLICATED, ids=lambda item: item.label)
def test_no_replicated_model_holds_personal_data(item: object) -> None:
    model = item.model  # type: ignore[attr-defined]
    placement = placement_of(model)
    assert placement is not None
    assert placement.schema == Schema.SHARED, "only shared (group-wide) tables are replicated"
    assert placement.personal_data is False, f"{item} is declared personal_data=True"
    personal = [f.name for f in model._meta.get_fields() if PERSONAL.search(f.name.lower())]
    assert personal == [], f"{model._meta.label} has fields that look personal: {personal}"


def test_every_group_scoped_shared_model_is_replicated_or_excluded_with_a_reason() -> None:
    decided = {item.key for item in REPLICATED} | set(EXCLUDED)
    undecided = []
    for model in apps.get_models():
        placement = placement_of(model)
        if placement is None or placement.schema != Schema.SHARED or placement.personal_data:
            continue
        if "pgh_tracked_model" in model.__dict__ or model._meta.app_label == "replication":
            continue
        refers_to_group = any(
            f.is_relation
            and f.related_model is not None
            and f.related_model._meta.label == "tenants.Group"
            for f in model._meta.concrete_fields
        )
        if refers_to_group and model._meta.label_lower not in decided:
            undecided.append(model._meta.label_lower)
    assert undecided == []


@pytest.mark.django_db
def test_every_replicated_table_has_its_three_statement_triggers() -> None:
    expected = {
        (item.table, f"{triggers.TRIGGER_PREFIX}_{suffix}")
        for item in REPLICATED
        for suffix in ("ins", "upd", "del")
    }
    assert triggers.installed(connection) == expected


def test_the_test_connections_say_which_cell_they_serve(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('crm.region', true)")
        assert cursor.fetchone() == ("cn",)
