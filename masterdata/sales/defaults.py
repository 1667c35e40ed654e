"""The sales setup a new group starts with: lead sources, the `standard` pipeline template, the
win scorecard with its probability bands, and close reasons, named in every supported language.

`install_sales_setup(group)` is idempotent and only adds what is missing: a group that already
has lead sources keeps its own list, and so on for each part (templates, criteria, bands,
reasons), so HQ's changes are never undone by a deployment.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from crm.masterdata.sales.models import (
    CloseReason,
    LeadSource,
    PipelineTemplate,
    ProbabilityBand,
    ScoreCriterion,
    StageKind,
    StageTemplate,
)
from crm.tenants.models import Group

# Names per language: (en, de, ja, zh_hans).
Names = tuple[str, str, str, str]


def _names(names: Names) -> dict[str, str]:
    en, de, ja, zh_hans = names
    return {"name": en, "name_en": en, "name_de": de, "name_ja": ja, "name_zh_hans": zh_hans}


LEAD_SOURCES: dict[str, Names] = {
    "TRADE_FAIR": ("Trade fair", "Messe", "展示会", "展会"),
    "WEBSITE": ("Website", "Website", "ウェブサイト", "网站"),
    "DISTRIBUTOR": ("Distributor", "Händler", "販売代理店", "经销商"),
    "REFERRAL": ("Referral", "Empfehlung", "紹介", "推荐"),
    "COLD_CALL": ("Cold call", "Kaltakquise", "飛び込み電話", "陌生电话"),
    "EMAIL_CAMPAIGN": ("E-mail campaign", "E-Mail-Kampagne", "メールキャンペーン", "邮件营销"),
    "PARTNER": ("Partner", "Partner", "パートナー", "合作伙伴"),
}


@dataclass(frozen=True)
class StageSpec:
    code: str
    names: Names
    probability: int
    kind: str = StageKind.OPEN
    required_fields: tuple[str, ...] = ()
    required_activities: tuple[str, ...] = ()
    requires_approval: bool = False


STANDARD_TEMPLATE = "standard"
STANDARD_NAMES: Names = (
    "Standard sales process",
    "Standard-Vertriebsprozess",
    "標準営業プロセス",
    "标准销售流程",
)
# Codes equal `crm.tenants.opportunities.access.DEFAULT_STAGES` (the policy's stages).
STANDARD_STAGES = (
    StageSpec("qualification", ("Qualification", "Qualifizierung", "見込み評価", "资格审查"), 10),
    StageSpec("needs_analysis", ("Needs analysis", "Bedarfsanalyse", "ニーズ分析", "需求分析"), 20),
    StageSpec(
        "solution",
        ("Solution", "Lösungskonzept", "ソリューション提案", "解决方案"),
        40,
        required_activities=("VISIT", "MEETING"),
    ),
    StageSpec(
        "quote",
        ("Quote", "Angebot", "見積", "报价"),
        60,
        required_fields=("amount", "expected_close", "products"),
    ),
    StageSpec(
        "negotiation",
        ("Negotiation", "Verhandlung", "交渉", "谈判"),
        80,
        requires_approval=True,
    ),
    StageSpec("won", ("Won", "Gewonnen", "受注", "赢单"), 100, kind=StageKind.WON),
    StageSpec("lost", ("Lost", "Verloren", "失注", "丢单"), 0, kind=StageKind.LOST),
)


@dataclass(frozen=True)
class CriterionSpec:
    code: str
    names: Names
    weight: int
    description: str = ""


SCORE_CRITERIA = (
    CriterionSpec(
        "CUSTOMER_RELATIONSHIP",
        ("Customer relationship", "Kundenbeziehung", "顧客との関係", "客户关系"),
        20,
    ),
    CriterionSpec(
        "BUDGET_CONFIRMED", ("Budget confirmed", "Budget bestätigt", "予算確定", "预算已确认"), 20
    ),
    CriterionSpec(
        "DECISION_CHAIN_KNOWN",
        (
            "Decision chain known",
            "Entscheidungskette bekannt",
            "意思決定プロセス把握",
            "决策链清楚",
        ),
        15,
    ),
    CriterionSpec(
        "COMPETITION",
        ("Competition", "Wettbewerb", "競合状況", "竞争态势"),
        15,
        "Rated higher the weaker the competition is.",
    ),
    CriterionSpec(
        "SOLUTION_FIT", ("Solution fit", "Lösungseignung", "ソリューション適合度", "方案匹配度"), 20
    ),
    CriterionSpec("TIMING", ("Timing", "Zeitrahmen", "タイミング", "时机"), 10),
)
MAX_RATING = 5

# (minimum score, probability %)
PROBABILITY_BANDS = ((0, 5), (20, 10), (40, 25), (60, 50), (75, 70), (90, 90))

CLOSE_REASONS: dict[str, dict[str, Names]] = {
    StageKind.WON: {
        "PRICE": ("Price", "Preis", "価格", "价格"),
        "PRODUCT_FIT": ("Product fit", "Produkteignung", "製品適合", "产品匹配"),
        "RELATIONSHIP": ("Relationship", "Kundenbeziehung", "顧客との関係", "客户关系"),
        "DELIVERY": ("Delivery", "Lieferfähigkeit", "納期・供給", "交付能力"),
    },
    StageKind.LOST: {
        "PRICE": ("Price", "Preis", "価格", "价格"),
        "COMPETITOR": (
            "Lost to a competitor",
            "An Wettbewerber verloren",
            "競合に敗北",
            "输给竞争对手",
        ),
        "NO_BUDGET": ("No budget", "Kein Budget", "予算なし", "无预算"),
        "NO_DECISION": ("No decision", "Keine Entscheidung", "意思決定なし", "未做决定"),
        "PRODUCT_GAP": ("Product gap", "Produktlücke", "製品機能不足", "产品差距"),
    },
}


def install_sales_setup(group: Group) -> None:
    """Give `group` each part of the default sales setup it has none of yet."""
    with transaction.atomic():
        if not LeadSource.objects.filter(group=group).exists():
            LeadSource.objects.bulk_create(
                LeadSource(group=group, code=code, **_names(names))
                for code, names in LEAD_SOURCES.items()
            )
        if not PipelineTemplate.objects.filter(group=group).exists():
            template = PipelineTemplate.objects.create(
                group=group, code=STANDARD_TEMPLATE, **_names(STANDARD_NAMES)
            )
            StageTemplate.objects.bulk_create(
                StageTemplate(
                    template=template,
                    code=spec.code,
                    position=(index + 1) * 10,
                    kind=spec.kind,
                    probability=spec.probability,
                    required_fields=list(spec.required_fields),
                    required_activities=list(spec.required_activities),
                    requires_approval=spec.requires_approval,
                    **_names(spec.names),
                )
                for index, spec in enumerate(STANDARD_STAGES)
            )
        if not ScoreCriterion.objects.filter(group=group).exists():
            ScoreCriterion.objects.bulk_create(
                ScoreCriterion(
                    group=group,
                    code=spec.code,
                    weight=spec.weight,
                    max_rating=MAX_RATING,
                    position=(index + 1) * 10,
                    description=spec.description,
                    description_en=spec.description,
                    **_names(spec.names),
                )
                for index, spec in enumerate(SCORE_CRITERIA)
            )
        if not ProbabilityBand.objects.filter(group=group).exists():
            ProbabilityBand.objects.bulk_create(
                ProbabilityBand(group=group, min_score=score, probability=probability)
                for score, probability in PROBABILITY_BANDS
            )
        if not CloseReason.objects.filter(group=group).exists():
            CloseReason.objects.bulk_create(
                CloseReason(group=group, kind=kind, code=code, **_names(names))
                for kind, reasons in CLOSE_REASONS.items()
                for code, names in reasons.items()
            )


def default_template(group_id: int) -> PipelineTemplate | None:
    """The group's template BUs localize by default: `standard`, else its first one."""
    templates = PipelineTemplate.objects.filter(group_id=group_id)
    return templates.filter(code=STANDARD_TEMPLATE).first() or templates.order_by("id").first()
