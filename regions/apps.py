"""The region registry: which cells exist, under which law, at which endpoint."""

from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "crm.regions"
    label = "regions"
