"""The lead pool in GraphQL: leads, campaigns, lead sources, tag and assignment rules."""
