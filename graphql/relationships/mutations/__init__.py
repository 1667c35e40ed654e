"""Mutations of accounts, contacts, activities and tasks, one per file."""

import graphene

from crm.graphql.relationships.mutations.account_assign import AccountAssign
from crm.graphql.relationships.mutations.account_create import AccountCreate
from crm.graphql.relationships.mutations.account_update import AccountUpdate
from crm.graphql.relationships.mutations.activity_delete import ActivityDelete
from crm.graphql.relationships.mutations.activity_log import ActivityLog
from crm.graphql.relationships.mutations.activity_update import ActivityUpdate
from crm.graphql.relationships.mutations.contact_create import ContactCreate
from crm.graphql.relationships.mutations.contact_delete import ContactDelete
from crm.graphql.relationships.mutations.contact_update import ContactUpdate
from crm.graphql.relationships.mutations.task_cancel import TaskCancel
from crm.graphql.relationships.mutations.task_complete import TaskComplete
from crm.graphql.relationships.mutations.task_create import TaskCreate
from crm.graphql.relationships.mutations.task_update import TaskUpdate


class RelationshipMutations(graphene.ObjectType):
    account_create = AccountCreate.Field()
    account_update = AccountUpdate.Field()
    account_assign = AccountAssign.Field()
    contact_create = ContactCreate.Field()
    contact_update = ContactUpdate.Field()
    contact_delete = ContactDelete.Field()
    activity_log = ActivityLog.Field()
    activity_update = ActivityUpdate.Field()
    activity_delete = ActivityDelete.Field()
    task_create = TaskCreate.Field()
    task_update = TaskUpdate.Field()
    task_complete = TaskComplete.Field()
    task_cancel = TaskCancel.Field()
