"""Orders, invoices, credit notes, payments and the receivables aging in GraphQL."""
