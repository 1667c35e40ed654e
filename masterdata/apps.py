"""Group master data governed by HQ: materials, price lists, exchange rates."""

from django.apps import AppConfig


class MasterdataConfig(AppConfig):
    name = "crm.masterdata"
    label = "masterdata"
