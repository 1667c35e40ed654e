"""The dashboards as GraphQL queries: the BU's own (channel ROI, customer distribution, RFM
segments) and their group-wide versions for HQ, fanned out to the cells (with the aging)."""
