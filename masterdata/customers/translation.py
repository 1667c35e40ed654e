"""Trade names are translated (one column per language); the legal name is as registered."""

import pghistory
from modeltranslation.translator import TranslationOptions, register

from crm.masterdata.customers.models import Customer


@register(Customer)
class CustomerTranslation(TranslationOptions):
    fields = ("trade_name",)


# Tracked once the language columns exist, so that each language's trade name has history.
pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    exclude=["normalized_name", "search_text", "updated_at"],
)(Customer)
