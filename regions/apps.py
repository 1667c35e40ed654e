"""The region registry: which cells exist, under which law, at which endpoint."""

from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "crm.regions"
    label = "regions"

    def ready(self) -> None:
        from crm.regions.federation import access  # noqa: F401  (registers the policy's types)
        from crm.regions.moves import access as move_access  # noqa: F401  (the same, for moves)
