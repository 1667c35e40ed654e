"""GraphQL area of contracts (contracts, approvals and their flows, delegations)."""
