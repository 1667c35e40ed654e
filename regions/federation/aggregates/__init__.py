"""The built-in group-wide aggregates; importing this package registers them."""

from crm.regions.federation.aggregates import (
    channel_roi,
    customer_distribution,
    funnel,
    lead_sources,
    performance,
    pipeline,
    receivables,
    receivables_aging,
    rfm,
)

__all__ = [
    "channel_roi",
    "customer_distribution",
    "funnel",
    "lead_sources",
    "performance",
    "pipeline",
    "receivables",
    "receivables_aging",
    "rfm",
]
