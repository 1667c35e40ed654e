"""Translated names of the group's sales configuration (one column per language)."""

from modeltranslation.translator import TranslationOptions, register

from crm.masterdata.sales.models import (
    CloseReason,
    LeadSource,
    PipelineTemplate,
    ScoreCriterion,
    StageTemplate,
)


@register(LeadSource)
class LeadSourceTranslation(TranslationOptions):
    fields = ("name",)


@register(PipelineTemplate)
class PipelineTemplateTranslation(TranslationOptions):
    fields = ("name",)


@register(StageTemplate)
class StageTemplateTranslation(TranslationOptions):
    fields = ("name",)


@register(ScoreCriterion)
class ScoreCriterionTranslation(TranslationOptions):
    fields = ("name", "description")


@register(CloseReason)
class CloseReasonTranslation(TranslationOptions):
    fields = ("name",)
