"""The demo group: a display manufacturer with HQ in China and subsidiaries in DE, JP and US.

Loaded into every cell. HQ (cn) is the group's home: its writes are replicated to the other cells
(crm.replication). The other cells load the very same group rows (same order, so the same ids),
applied as replicated rows, so that each cell is usable before replication has run; HQ's batches
then upsert the same rows and carry every later change. Running it again updates what exists; it
never duplicates.
"""

from __future__ import annotations

import datetime
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.infra import endpoints
from crm.masterdata.models import (
    ExchangeRate,
    Material,
    PriceList,
    PriceListItem,
    PriceListStatus,
    PriceScope,
    RateType,
    SalesPolicy,
    UnitOfMeasure,
)
from crm.platform.accounts.models import Membership, Role, User
from crm.platform.permissions.defaults import install_default_policy
from crm.regions.models import Jurisdiction, Region
from crm.replication.seeding import replica_writes
from crm.tenants.models import BusinessUnit, BusinessUnitKind, Group
from crm.tenants.provisioning import provision_business_unit

GROUP_CODE = "lumina"

REGIONS = [
    ("cn", "China", Jurisdiction.PIPL),
    ("eu", "European Union", Jurisdiction.GDPR),
    ("ap", "Asia-Pacific (Japan)", Jurisdiction.APPI),
    ("us", "United States", Jurisdiction.CCPA),
]

# code, name, kind, region, language, fallbacks, currency, time zone
BUSINESS_UNITS = [
    (
        "hq",
        "Lumina Display Group HQ",
        BusinessUnitKind.HEADQUARTERS,
        "cn",
        "zh-hans",
        ["en"],
        "CNY",
        "Asia/Shanghai",
    ),
    (
        "de",
        "Lumina Display GmbH",
        BusinessUnitKind.SUBSIDIARY,
        "eu",
        "de",
        ["en"],
        "EUR",
        "Europe/Berlin",
    ),
    (
        "jp",
        "Lumina Display Japan K.K.",
        BusinessUnitKind.SUBSIDIARY,
        "ap",
        "ja",
        ["en"],
        "JPY",
        "Asia/Tokyo",
    ),
    (
        "us",
        "Lumina Display Inc.",
        BusinessUnitKind.SUBSIDIARY,
        "us",
        "en",
        [],
        "USD",
        "America/New_York",
    ),
]

# code, unit, names (en, zh-hans, de, ja)
MATERIALS = [
    (
        "LCD-27-4K",
        UnitOfMeasure.PIECE,
        (
            "27-inch 4K LCD panel",
            "27英寸4K液晶面板",
            "27-Zoll-4K-LCD-Panel",
            "27インチ4K液晶パネル",
        ),
    ),
    (
        "LCD-32-4K",
        UnitOfMeasure.PIECE,
        (
            "32-inch 4K LCD panel",
            "32英寸4K液晶面板",
            "32-Zoll-4K-LCD-Panel",
            "32インチ4K液晶パネル",
        ),
    ),
    (
        "OLED-55-TV",
        UnitOfMeasure.PIECE,
        (
            "55-inch OLED TV module",
            "55英寸OLED电视模组",
            "55-Zoll-OLED-TV-Modul",
            "55インチ有機ELテレビモジュール",
        ),
    ),
    (
        "MED-24-DX",
        UnitOfMeasure.PIECE,
        (
            "24-inch medical diagnostic display",
            "24英寸医疗诊断显示器",
            "24-Zoll-Befundungsmonitor",
            "24インチ医用診断ディスプレイ",
        ),
    ),
    (
        "AUTO-12-CL",
        UnitOfMeasure.PIECE,
        (
            "12.3-inch automotive cluster display",
            "12.3英寸车载仪表显示屏",
            "12,3-Zoll-Kombiinstrument-Display",
            "12.3インチ車載メーター用ディスプレイ",
        ),
    ),
    (
        "TOUCH-15-IND",
        UnitOfMeasure.PIECE,
        (
            "15-inch industrial touch screen",
            "15英寸工业触摸屏",
            "15-Zoll-Industrie-Touchscreen",
            "15インチ産業用タッチパネル",
        ),
    ),
    (
        "DRV-BOARD-V2",
        UnitOfMeasure.PIECE,
        (
            "Display driver board v2",
            "显示驱动板 V2",
            "Display-Treiberplatine V2",
            "ディスプレイ駆動基板 V2",
        ),
    ),
    (
        "SVC-INSTALL",
        UnitOfMeasure.HOUR,
        (
            "On-site installation service",
            "现场安装服务",
            "Installation vor Ort",
            "現地設置サービス",
        ),
    ),
]

# Group list in CNY for everything; local lists for what each market sells.
GROUP_PRICES_CNY = {
    "LCD-27-4K": "1850.00",
    "LCD-32-4K": "2480.00",
    "OLED-55-TV": "6900.00",
    "MED-24-DX": "15800.00",
    "AUTO-12-CL": "1320.00",
    "TOUCH-15-IND": "2260.00",
    "DRV-BOARD-V2": "186.50",
    "SVC-INSTALL": "420.00",
}
LOCAL_LISTS = [
    # code, name, currency, scope, region, BU, prices
    (
        "EU-2026",
        "Europe 2026",
        "EUR",
        PriceScope.REGION,
        "eu",
        None,
        {
            "LCD-27-4K": "249.00",
            "LCD-32-4K": "329.00",
            "OLED-55-TV": "899.00",
            "MED-24-DX": "2190.00",
            "AUTO-12-CL": "179.50",
            "SVC-INSTALL": "65.00",
        },
    ),
    (
        "JP-2026",
        "Japan 2026",
        "JPY",
        PriceScope.BUSINESS_UNIT,
        None,
        "jp",
        {
            "LCD-27-4K": "39800",
            "LCD-32-4K": "52800",
            "OLED-55-TV": "148000",
            "MED-24-DX": "348000",
            "AUTO-12-CL": "27500",
            "TOUCH-15-IND": "46800",
            "DRV-BOARD-V2": "3980",
            "SVC-INSTALL": "9800",
        },
    ),
    (
        "US-2026",
        "United States 2026",
        "USD",
        PriceScope.REGION,
        "us",
        None,
        {
            "LCD-27-4K": "269.00",
            "LCD-32-4K": "359.00",
            "OLED-55-TV": "979.00",
            "MED-24-DX": "2390.00",
            "AUTO-12-CL": "189.00",
            "TOUCH-15-IND": "319.00",
            "DRV-BOARD-V2": "26.90",
            "SVC-INSTALL": "75.00",
        },
    ),
]
# 1 CNY in each currency, around the demo's dates.
SPOT_FROM_CNY = {"EUR": Decimal("0.1285"), "JPY": Decimal("21.05"), "USD": Decimal("0.1392")}


def load_demo() -> Group:
    for code, name, jurisdiction in REGIONS:
        Region.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "jurisdiction": jurisdiction,
                "api_endpoint": endpoints.cell_url(code),
            },
        )
    seeding: AbstractContextManager[None] = (
        nullcontext() if settings.REGION == HOME_REGION else replica_writes()
    )
    with seeding:
        group = _load_group()
    if BusinessUnit.objects.filter(group=group, code="de", region_id=settings.REGION).exists():
        from crm.infra.demo_sales import load_demo_sales

        load_demo_sales(group, GROUP_CODE)
    return group


HOME_REGION = "cn"


def _load_group() -> Group:
    """The group, its BUs, master data, policy and people."""
    from crm.infra.demo_sales import demo_customers

    group, _created = Group.objects.update_or_create(
        code=GROUP_CODE,
        defaults={
            "name": "Lumina Display Group",
            "currency": "CNY",
            "default_language": "zh-hans",
            "home_region_id": HOME_REGION,
        },
    )
    for code, name, kind, region, language, fallbacks, currency, tz in BUSINESS_UNITS:
        provision_business_unit(
            group=group,
            code=code,
            name=name,
            kind=kind,
            region=Region.objects.get(code=region),
            language=language,
            fallback_languages=fallbacks,
            currency=currency,
            time_zone=tz,
            domains=[f"{code}.{GROUP_CODE}.localhost"],
        )
    with transaction.atomic():
        load_master_data(group)
        demo_customers(group)
        install_default_policy(group)
        load_sales_policies(group)
        _load_people(group)
    return group


# Every demo user signs in with this password (local demo only).
DEMO_PASSWORD = "lumina-demo-2026"  # noqa: S105
# username -> [(role, BU code or None for group level)]
DEMO_PEOPLE: dict[str, list[tuple[str, str | None]]] = {
    "admin": [("group_admin", None)],
    "steward": [("hq_steward", None)],
    "director": [("hq_director", None), ("bu_manager", "hq")],
    "auditor": [("auditor", None)],
    "de.manager": [("bu_manager", "de")],
    "de.sales": [("front_sales", "de")],
    "de.support": [("back_support", "de")],
    "de.legal": [("legal", "de")],
    "de.finance": [("finance", "de")],
    "de.delivery": [("delivery", "de")],
    "jp.manager": [("bu_manager", "jp")],
    "jp.sales": [("front_sales", "jp")],
    "jp.legal": [("legal", "jp")],
    "jp.finance": [("finance", "jp")],
    "jp.delivery": [("delivery", "jp")],
    "us.sales": [("front_sales", "us")],
}


def _load_people(group: Group) -> None:
    roles = {role.code: role for role in Role.objects.filter(group=group)}
    units = {bu.code: bu for bu in BusinessUnit.objects.filter(group=group)}
    for name, held in DEMO_PEOPLE.items():
        # People live in the cell of the BUs they work in (personal data stays in its region);
        # group-level people (no BU) in every cell, since group roles act in every cell.
        if not any(bu is None or units[bu].region_id == settings.REGION for _role, bu in held):
            continue
        held = [
            (role, bu) for role, bu in held if bu is None or units[bu].region_id == settings.REGION
        ]
        user, _created = User.objects.get_or_create(
            username=f"{GROUP_CODE}.{name}", defaults={"group": group}
        )
        user.set_password(DEMO_PASSWORD)  # reset on every load: the README names it
        user.save(update_fields=["password"])
        for role, bu in held:
            Membership.objects.get_or_create(
                group=group,
                user=user,
                role=roles[role],
                business_unit=units[bu] if bu else None,
            )


# The largest discount without an approval, in percent, per role in every subsidiary.
SALES_POLICIES = {"front_sales": Decimal("5"), "bu_manager": Decimal("15")}


def load_sales_policies(group: Group) -> None:
    """The subsidiaries' discount limits (kept per cell, like the roles they name)."""
    roles = {role.code: role for role in Role.objects.filter(group=group, code__in=SALES_POLICIES)}
    for unit in BusinessUnit.objects.filter(group=group).exclude(code="hq"):
        for role, limit in SALES_POLICIES.items():
            SalesPolicy.objects.update_or_create(
                business_unit=unit,
                role=roles[role],
                defaults={"group": group, "max_discount": limit},
            )


def load_master_data(group: Group) -> None:
    materials = {}
    for code, unit, (en, zh, de, ja) in MATERIALS:
        materials[code], _created = Material.objects.update_or_create(
            group=group,
            code=code,
            defaults={
                "unit": unit,
                "name": en,
                "name_en": en,
                "name_zh_hans": zh,
                "name_de": de,
                "name_ja": ja,
            },
        )
    start = datetime.date(2026, 1, 1)
    lists = [
        ("GROUP-2026", "Group list 2026", "CNY", PriceScope.GROUP, None, None, GROUP_PRICES_CNY)
    ]
    regions = set(Region.objects.values_list("code", flat=True))
    units = set(BusinessUnit.objects.filter(group=group).values_list("code", flat=True))
    for code, name, currency, scope, region, bu, prices in [*lists, *LOCAL_LISTS]:
        if (region and region not in regions) or (bu and bu not in units):
            continue  # a market this deployment does not have (the test cells have no "us")
        price_list, _created = PriceList.objects.update_or_create(
            group=group,
            code=code,
            defaults={
                "name": name,
                "name_en": name,
                "currency": currency,
                "scope": scope,
                "region_id": region,
                "business_unit": BusinessUnit.objects.get(group=group, code=bu) if bu else None,
                "valid_from": start,
                "valid_to": None,
                "status": PriceListStatus.ACTIVE,
            },
        )
        for material_code, amount in prices.items():
            PriceListItem.objects.update_or_create(
                price_list=price_list,
                material=materials[material_code],
                defaults={"amount": Decimal(amount)},
            )
    today = timezone.now().date()
    for days_ago in range(0, 10):
        day = today - datetime.timedelta(days=days_ago)
        for quote, rate in SPOT_FROM_CNY.items():
            ExchangeRate.objects.update_or_create(
                group=group,
                base="CNY",
                quote=quote,
                rate_type=RateType.SPOT,
                date=day,
                defaults={"rate": rate, "source": "demo"},
            )


def describe() -> str:
    users = ", ".join(
        user.username
        for user in User.objects.filter(
            group__code=GROUP_CODE, username__startswith=f"{GROUP_CODE}."
        )
    )
    lines = [
        f"Demo group '{GROUP_CODE}' loaded in cell '{settings.REGION}'.",
        f"Users (password '{DEMO_PASSWORD}'): {users}",
    ]
    return "\n".join(lines)
