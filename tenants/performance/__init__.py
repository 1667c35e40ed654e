"""Sales performance of a business unit: targets per user, team and BU and period, and the
dashboards that measure the deals against them (actual vs target, the stage funnel, the
leaderboard), each scoped by the policy.
"""
