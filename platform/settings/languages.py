"""Languages: gettext for messages, django-modeltranslation for master-data text."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

LANGUAGE_CODE = "en"
USE_I18N = True
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("de", _("German")),
    ("ja", _("Japanese")),
]
LOCALE_PATHS = [Path(__file__).resolve().parent.parent.parent / "i18n" / "locale"]

MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "zh-hans", "de", "ja")
# Fallbacks are resolved per business unit (crm.i18n.languages), not globally.
MODELTRANSLATION_ENABLE_FALLBACKS = False
MODELTRANSLATION_AUTO_POPULATE = False

CURRENCIES = None  # every ISO-4217 currency py-moneyed knows
