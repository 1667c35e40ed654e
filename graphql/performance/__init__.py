"""Sales performance in GraphQL: targets (queries and mutations) and the BU's dashboards
(performance against targets, leaderboard, stage funnel), and their group-wide views for HQ."""
