"""Translated names of the BU's campaigns."""

from modeltranslation.translator import TranslationOptions, register

from crm.tenants.leads.models import Campaign


@register(Campaign)
class CampaignTranslation(TranslationOptions):
    fields = ("name",)
