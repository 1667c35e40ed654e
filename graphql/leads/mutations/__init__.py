"""Lead mutations: capture, work and convert leads; campaigns; tag, invalid-lead and
assignment rules."""

import graphene

from crm.graphql.leads.mutations.assignment_rule_save import (
    AssignmentRuleCreate,
    AssignmentRuleDelete,
    AssignmentRuleUpdate,
)
from crm.graphql.leads.mutations.campaign_save import CampaignCreate, CampaignUpdate
from crm.graphql.leads.mutations.invalid_rule_save import (
    InvalidRuleCreate,
    InvalidRuleDelete,
    InvalidRuleUpdate,
)
from crm.graphql.leads.mutations.lead_assign import LeadAssign
from crm.graphql.leads.mutations.lead_capture import LeadCapture
from crm.graphql.leads.mutations.lead_convert import LeadConvert
from crm.graphql.leads.mutations.lead_create import LeadCreate
from crm.graphql.leads.mutations.lead_mark_invalid import LeadMarkInvalid
from crm.graphql.leads.mutations.lead_set_status import LeadQualify, LeadSetStatus
from crm.graphql.leads.mutations.lead_update import LeadUpdate
from crm.graphql.leads.mutations.tag_rule_save import TagRuleCreate, TagRuleDelete, TagRuleUpdate


class LeadMutations(graphene.ObjectType):
    lead_capture = LeadCapture.Field()
    lead_create = LeadCreate.Field()
    lead_update = LeadUpdate.Field()
    lead_assign = LeadAssign.Field()
    lead_mark_invalid = LeadMarkInvalid.Field()
    lead_set_status = LeadSetStatus.Field()
    lead_qualify = LeadQualify.Field()
    lead_convert = LeadConvert.Field()
    campaign_create = CampaignCreate.Field()
    campaign_update = CampaignUpdate.Field()
    tag_rule_create = TagRuleCreate.Field()
    tag_rule_update = TagRuleUpdate.Field()
    tag_rule_delete = TagRuleDelete.Field()
    invalid_rule_create = InvalidRuleCreate.Field()
    invalid_rule_update = InvalidRuleUpdate.Field()
    invalid_rule_delete = InvalidRuleDelete.Field()
    assignment_rule_create = AssignmentRuleCreate.Field()
    assignment_rule_update = AssignmentRuleUpdate.Field()
    assignment_rule_delete = AssignmentRuleDelete.Field()
