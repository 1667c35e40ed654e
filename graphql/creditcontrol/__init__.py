"""Credit control in GraphQL: holds waiting for finance, releases, a customer's exposure."""
