"""GraphQL area of quotes (quotes, their lines and approvals, tax rates)."""
