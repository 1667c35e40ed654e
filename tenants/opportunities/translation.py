"""Translated names of the BU's pipelines and stages."""

from modeltranslation.translator import TranslationOptions, register

from crm.tenants.opportunities.models import Pipeline, Stage


@register(Pipeline)
class PipelineTranslation(TranslationOptions):
    fields = ("name",)


@register(Stage)
class StageTranslation(TranslationOptions):
    fields = ("name",)
