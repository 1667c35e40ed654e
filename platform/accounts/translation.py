"""Role names are translated (one column per language)."""

from modeltranslation.translator import TranslationOptions, register

from crm.platform.accounts.models import Role


@register(Role)
class RoleTranslation(TranslationOptions):
    fields = ("name",)
