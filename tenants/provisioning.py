"""Creating business units: the directory entry everywhere, the schema only in the home cell.

Schemas are cloned from the migrated template schema (settings.TENANT_BASE_SCHEMA), which is
much faster than running every migration for each new business unit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import schema_exists

from crm.i18n import languages
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import currency as currency_of
from crm.regions.models import Region
from crm.tenants.models import BusinessUnit, BusinessUnitKind, Domain, Group
from crm.tenants.setup import set_up_business_unit, set_up_group


def ensure_template_schema(*, verbosity: int = 0) -> None:
    """Create and migrate the template schema that new BU schemas are cloned from."""
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{template}"')
    call_command(
        "migrate_schemas", tenant=True, schema_name=template, interactive=False, verbosity=verbosity
    )


def local_business_units() -> list[BusinessUnit]:
    """BUs homed in this cell: the only ones with a schema here."""
    return list(
        BusinessUnit.objects.filter(region_id=settings.REGION).exclude(schema_name="public")
    )


def migrate_cell(*, verbosity: int = 1) -> list[str]:
    """Shared schema, template schema, then each local BU schema. Returns the BU schemas done."""
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
    ensure_template_schema(verbosity=verbosity)
    done = []
    for business_unit in local_business_units():
        if not schema_exists(business_unit.schema_name):
            business_unit.create_schema(check_if_exists=True, verbosity=verbosity)
        call_command(
            "migrate_schemas",
            tenant=True,
            schema_name=business_unit.schema_name,
            interactive=False,
            verbosity=verbosity,
        )
        done.append(business_unit.schema_name)
    # A release may add governed types and defaults: give every group and BU theirs.
    from crm.platform.permissions.defaults import install_default_policy

    for group in Group.objects.all():
        install_default_policy(group)
        # A group's master data is written in its home cell only (other cells hold a replica,
        # crm.replication): its defaults are installed there.
        if group.home_region_id == settings.REGION:
            set_up_group(group)
    for business_unit in local_business_units():
        set_up_business_unit(business_unit)
    return done


def provision_business_unit(
    *,
    group: Group,
    code: str,
    name: str,
    kind: BusinessUnitKind,
    region: Region,
    language: str,
    currency: str,
    time_zone: str,
    fallback_languages: list[str] | None = None,
    domains: list[str] | None = None,
) -> BusinessUnit:
    """Create or update a BU in the directory; in its home cell, give it a schema."""
    if languages.supported(language) != language:
        raise CrmError(ErrorCode.UNKNOWN_LANGUAGE, field="language", language=language)
    currency_code = currency_of(currency).code
    with transaction.atomic():
        business_unit: BusinessUnit
        business_unit, _created = BusinessUnit.objects.update_or_create(
            group=group,
            code=code,
            defaults={
                "schema_name": BusinessUnit.schema_name_for(group.code, code),
                "name": name,
                "kind": kind,
                "region": region,
                "language": language,
                "fallback_languages": fallback_languages or [],
                "currency": currency_code,
                "time_zone": time_zone,
            },
        )
        for index, host in enumerate(domains or []):
            Domain.objects.update_or_create(
                domain=host, defaults={"tenant": business_unit, "is_primary": index == 0}
            )
    if region.code == settings.REGION and not schema_exists(business_unit.schema_name):
        ensure_template_schema()
        business_unit.create_schema(check_if_exists=True, verbosity=0)
    if region.code == settings.REGION:
        set_up_group(group)
        set_up_business_unit(business_unit)
    return business_unit
