"""A business unit's dashboards: channel ROI, customer distribution and RFM segments.

Each dashboard is one set-based computation over the BU's schema (SQL aggregates, no walk over
records in Python), scoped by the policy: the `insight` type says who may open which dashboard
and how far its figures reach (`access.reach`), and the figures are made only of the records the
caller may view of the types they come from (leads, deals, campaigns, accounts, orders,
payments). The same computations, without a caller, feed the group-wide aggregates of
`crm.regions.federation.aggregates`. The receivables aging is the ledger's own
(`crm.tenants.ledger.receivables`, query `receivablesAging`).
"""
