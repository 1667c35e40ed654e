"""Data-subject rights per region (cell): requests, erasure records, retention policies and runs."""

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "crm.regions.privacy"
    label = "privacy"

    def ready(self) -> None:
        from crm.regions.privacy import access, tasks  # noqa: F401  (policy types, tasks)
