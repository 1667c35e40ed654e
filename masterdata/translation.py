"""Master-data text translated with django-modeltranslation (one column per language)."""

from modeltranslation.translator import TranslationOptions, register

from crm.masterdata.models import Material, MaterialCategory, PriceList


@register(Material)
class MaterialTranslation(TranslationOptions):
    fields = ("name", "description")


@register(PriceList)
class PriceListTranslation(TranslationOptions):
    fields = ("name",)


@register(MaterialCategory)
class MaterialCategoryTranslation(TranslationOptions):
    fields = ("name",)
