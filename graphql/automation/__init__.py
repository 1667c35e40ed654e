"""Automation rules, notifications and external events in GraphQL."""
