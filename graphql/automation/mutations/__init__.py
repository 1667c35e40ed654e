"""Automation mutations, one per file."""

import graphene

from crm.graphql.automation.mutations.automation_rule_create import AutomationRuleCreate
from crm.graphql.automation.mutations.automation_rule_delete import AutomationRuleDelete
from crm.graphql.automation.mutations.automation_rule_set_active import AutomationRuleSetActive
from crm.graphql.automation.mutations.automation_rule_update import AutomationRuleUpdate
from crm.graphql.automation.mutations.external_event_record import ExternalEventRecord
from crm.graphql.automation.mutations.notification_mark_read import NotificationMarkRead


class AutomationMutations(graphene.ObjectType):
    automation_rule_create = AutomationRuleCreate.Field()
    automation_rule_update = AutomationRuleUpdate.Field()
    automation_rule_delete = AutomationRuleDelete.Field()
    automation_rule_set_active = AutomationRuleSetActive.Field()
    notification_mark_read = NotificationMarkRead.Field()
    external_event_record = ExternalEventRecord.Field()
