"""Translated names of automation rules."""

from modeltranslation.translator import TranslationOptions, register

from crm.tenants.automation.models import Rule


@register(Rule)
class RuleTranslation(TranslationOptions):
    fields = ("name",)
