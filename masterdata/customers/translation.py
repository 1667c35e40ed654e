"""Trade names are translated (one column per language); the legal name is as registered."""

from modeltranslation.translator import TranslationOptions, register

from crm.masterdata.customers.models import Customer


@register(Customer)
class CustomerTranslation(TranslationOptions):
    fields = ("trade_name",)
