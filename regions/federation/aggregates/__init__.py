"""The built-in group-wide aggregates; importing this package registers them."""

from crm.regions.federation.aggregates import lead_sources, pipeline, receivables

__all__ = ["lead_sources", "pipeline", "receivables"]
