"""Replication of group master data from the group's home cell to every other cell."""

from django.apps import AppConfig


class ReplicationConfig(AppConfig):
    name = "crm.replication"
    label = "replication"

    def ready(self) -> None:
        from crm.replication import (
            access,  # noqa: F401  (registers the policy's type)
            tasks,  # noqa: F401  (the push task and the kick listener)
        )
