"""Master-data text translated with django-modeltranslation (one column per language).

The history of these models is tracked here, once their language columns exist: a change to
one language's name is recorded like any other field (see `platform/core/history.py`).
"""

import pghistory
from modeltranslation.translator import TranslationOptions, register

from crm.masterdata.models import Material, MaterialCategory, PriceList, history


@register(Material)
class MaterialTranslation(TranslationOptions):
    fields = ("name", "description")


@register(PriceList)
class PriceListTranslation(TranslationOptions):
    fields = ("name",)


@register(MaterialCategory)
class MaterialCategoryTranslation(TranslationOptions):
    fields = ("name",)


for _model in (Material, PriceList, MaterialCategory):
    pghistory.track(*history())(_model)
