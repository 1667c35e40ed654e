"""The built-in group-wide aggregates; importing this package registers them."""

from crm.regions.federation.aggregates import (
    funnel,
    lead_sources,
    performance,
    pipeline,
    receivables,
)

__all__ = ["funnel", "lead_sources", "performance", "pipeline", "receivables"]
