"""Translated labels of custom fields."""

from modeltranslation.translator import TranslationOptions, register

from crm.tenants.customfields.models import FieldDefinition


@register(FieldDefinition)
class FieldDefinitionTranslation(TranslationOptions):
    fields = ("label", "help_text")
