"""The BU's relationships in GraphQL: accounts (with the 360° view), contacts, activities, tasks.

Queries: `account(id)` (the 360° view: golden master data, contacts, activities, open and
closed deals, open tasks as capped lists of `first` ≤ 50, default 10; a fixed number of SQL
statements whatever the account's size, see `loaders.py`), `accounts`, `contact`, `contacts`,
`activity`, `activities`, `task`, `tasks`, `myTasks` (Relay connections, `first` required).
Mutations: accountCreate/Update/Assign, contactCreate/Update/Delete, activityLog/Update/Delete,
taskCreate/Update/Complete/Cancel. The services behind them are in
`crm.tenants.localcustomers.services` and `crm.tenants.contacts.services`.
"""
