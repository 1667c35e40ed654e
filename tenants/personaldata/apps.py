"""A business unit's personal-data bookkeeping: consents per purpose, and what was anonymized."""

from django.apps import AppConfig


class PersonalDataConfig(AppConfig):
    name = "crm.tenants.personaldata"
    label = "personaldata"

    def ready(self) -> None:
        from crm.tenants.personaldata import access  # noqa: F401  (registers the policy's type)
