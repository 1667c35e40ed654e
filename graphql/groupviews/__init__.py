"""Group-wide views in GraphQL (HQ only): pipeline, lead sources and receivables across cells."""
