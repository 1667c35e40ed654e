"""People who sign in: users of a group, with their preferred language."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "crm.platform.accounts"
    label = "accounts"
