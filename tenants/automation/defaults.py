"""The rules every business unit starts with (the seed's table), installed idempotently.

Each default is keyed by `default_code`: the installer adds the ones a BU does not have yet and
never touches one it has, so a BU's edits (or its deactivating a default) survive every
deployment, and deleting one is respected too only until the next release brings it back
(delete means "not wanted": deactivate it instead to keep it away).

`contract-signed` acts on contracts (issue #7): active, like the others. BUs made before
contracts existed got it inactive; the contracts app's migration activates it there unless the
BU changed it (see `crm.tenants.contracts.migrations`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from modeltranslation.utils import build_localized_fieldname

from crm.tenants.automation.models import RecordType, Rule, Trigger
from crm.tenants.models import BusinessUnit

# Texts per language: (en, de, ja, zh_hans).
Texts = tuple[str, str, str, str]


def _texts(texts: Texts) -> dict[str, str]:
    """{language code: text}, the codes of settings.LANGUAGES (zh-hans)."""
    en, de, ja, zh_hans = texts
    return {"en": en, "de": de, "ja": ja, "zh-hans": zh_hans}


ENGAGEMENT = ["EMAIL_OPENED", "LINK_CLICKED"]
ENGAGEMENT_NOTICE: Texts = (
    "Customer engagement on {record}",
    "Kundenreaktion: {record}",
    "顧客の反応: {record}",
    "客户互动：{record}",
)


def _engagement(record_type: str, suffix: str, names: Texts) -> dict[str, Any]:
    return {
        "default_code": f"engagement-{suffix}",
        "names": names,
        "record_type": record_type,
        "trigger": Trigger.EXTERNAL,
        "parameters": {"events": ENGAGEMENT},
        "conditions": [],
        "actions": [
            {"type": "LOG_ACTIVITY"},
            {"type": "NOTIFY", "to": {"owner": True}, "subject": _texts(ENGAGEMENT_NOTICE)},
        ],
    }


DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "default_code": "lead-not-contacted-24h",
        "names": (
            "New lead not contacted within 24 hours",
            "Neuer Lead nicht innerhalb von 24 Stunden kontaktiert",
            "24時間以内に連絡のない新規リード",
            "24小时内未联系的新线索",
        ),
        "record_type": RecordType.LEAD,
        "trigger": Trigger.TIME_ELAPSED,
        "parameters": {"since": "created_at", "hours": 24},
        "conditions": [
            {"field": "status", "op": "eq", "value": "NEW"},
            {"field": "first_contacted_at", "op": "empty"},
            {"field": "overdue", "op": "eq", "value": False},
        ],
        "actions": [
            {"type": "SET_FIELD", "field": "overdue", "value": True},
            {
                "type": "NOTIFY",
                "to": {"owner_manager": True, "roles_if_no_manager": ["bu_manager"]},
                "subject": _texts(
                    (
                        "Overdue lead: {record} not contacted within 24 hours",
                        "Überfälliger Lead: {record} nicht innerhalb von 24 Stunden kontaktiert",
                        "期限超過のリード: {record} に24時間以内に連絡がありません",
                        "逾期线索：{record} 在24小时内未被联系",
                    )
                ),
            },
        ],
    },
    {
        "default_code": "account-no-follow-up-7d",
        "names": (
            "Account without follow-up for 7 days",
            "Kunde seit 7 Tagen ohne Nachfassen",
            "7日間フォローアップのない取引先",
            "7天未跟进的客户",
        ),
        "record_type": RecordType.ACCOUNT,
        "trigger": Trigger.TIME_ELAPSED,
        # Never followed up: counted from when the account was made.
        "parameters": {"since": "last_follow_up_at", "fallback": "created_at", "hours": 168},
        "conditions": [{"field": "owner", "op": "not_empty"}],
        "actions": [
            {
                "type": "CREATE_TASK",
                "title": _texts(
                    (
                        "Follow up with {record}",
                        "Bei {record} nachfassen",
                        "{record} にフォローアップする",
                        "跟进 {record}",
                    )
                ),
                "due_in_hours": 48,
                "owner": "owner",
                "remind_before_hours": 4,
            }
        ],
    },
    {
        "default_code": "deal-quote-to-negotiation",
        "names": (
            "Opportunity moves from quote to negotiation",
            "Verkaufschance wechselt von Angebot zu Verhandlung",
            "商談が見積から交渉へ移行",
            "商机从报价进入谈判",
        ),
        "record_type": RecordType.OPPORTUNITY,
        "trigger": Trigger.STAGE_CHANGED,
        "parameters": {"from": "quote", "to": "negotiation"},
        "conditions": [],
        "actions": [
            {
                "type": "NOTIFY",
                "to": {"roles": ["legal", "hq_director"]},
                "subject": _texts(
                    (
                        "{record} is in negotiation: contract review needed",
                        "{record} ist in Verhandlung: Vertragsprüfung nötig",
                        "{record} が交渉段階に入りました: 契約の確認が必要です",
                        "{record} 已进入谈判：需要审核合同",
                    )
                ),
            }
        ],
    },
    _engagement(
        RecordType.OPPORTUNITY,
        "opportunity",
        (
            "Customer opened a quote e-mail or clicked a proposal link (opportunity)",
            "Kunde hat Angebots-E-Mail geöffnet oder Link geklickt (Verkaufschance)",
            "顧客が見積メールを開封または提案リンクをクリック（商談）",
            "客户打开报价邮件或点击方案链接（商机）",
        ),
    ),
    _engagement(
        RecordType.ACCOUNT,
        "account",
        (
            "Customer opened an e-mail or clicked a link (account)",
            "Kunde hat E-Mail geöffnet oder Link geklickt (Kunde)",
            "顧客がメールを開封またはリンクをクリック（取引先）",
            "客户打开邮件或点击链接（客户）",
        ),
    ),
    _engagement(
        RecordType.CONTACT,
        "contact",
        (
            "Customer opened an e-mail or clicked a link (contact)",
            "Kunde hat E-Mail geöffnet oder Link geklickt (Kontakt)",
            "顧客がメールを開封またはリンクをクリック（担当者）",
            "客户打开邮件或点击链接（联系人）",
        ),
    ),
    {
        "default_code": "contract-signed",
        "names": (
            "Contract signed: payment plan, finance and delivery informed",
            "Vertrag unterschrieben: Zahlungsplan, Finanzen und Lieferung informiert",
            "契約締結: 支払計画を作成し、経理と納品に通知",
            "合同已签署：创建付款计划，通知财务和交付",
        ),
        "record_type": RecordType.CONTRACT,
        "trigger": Trigger.STAGE_CHANGED,
        "parameters": {"to": "signed"},
        "conditions": [],
        "actions": [
            {"type": "CREATE_PAYMENT_PLAN"},
            {
                "type": "NOTIFY",
                "to": {"roles": ["finance", "delivery"]},
                "subject": _texts(
                    (
                        "Contract signed: {record}",
                        "Vertrag unterschrieben: {record}",
                        "契約締結: {record}",
                        "合同已签署：{record}",
                    )
                ),
            },
        ],
    },
]


def install_default_rules(business_unit: BusinessUnit) -> None:
    """Add the default rules this BU does not have (by `default_code`); the installer of
    `crm.tenants.setup`, run in the BU's schema."""
    add_default_rules()


def add_default_rules() -> list[str]:
    """In the current BU schema: the default rules it lacks; returns the codes added."""
    added: list[str] = []
    with transaction.atomic():
        have = set(Rule.objects.exclude(default_code="").values_list("default_code", flat=True))
        taken = set(Rule.objects.values_list("code", flat=True))
        for position, spec in enumerate(DEFAULT_RULES):
            code = spec["default_code"]
            if code in have:
                continue
            rule_code = code if code not in taken else f"{code}-default"
            names = _texts(spec["names"])
            now = timezone.now()
            rule = Rule(
                code=rule_code,
                default_code=code,
                record_type=spec["record_type"],
                trigger=spec["trigger"],
                parameters=spec["parameters"],
                conditions=spec["conditions"],
                actions=spec["actions"],
                active=spec.get("active", True),
                position=(position + 1) * 10,
                created_at=now,
                updated_at=now,
            )
            # `name` first: modeltranslation writes it to the active language's column.
            rule.name = names["en"]
            for language, text in names.items():
                setattr(rule, build_localized_fieldname("name", language), text)
            rule.save()
            added.append(code)
    return added
