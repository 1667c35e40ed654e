"""HQ's sales setup mutations: lead sources, pipeline templates, the scorecard, close reasons."""

import graphene

from crm.graphql.salessetup.mutations.close_reason_set import CloseReasonSet
from crm.graphql.salessetup.mutations.lead_source_set import LeadSourceSet
from crm.graphql.salessetup.mutations.pipeline_template_set import PipelineTemplateSet
from crm.graphql.salessetup.mutations.scorecard_set import ScorecardSet


class SalesSetupMutations(graphene.ObjectType):
    lead_source_set = LeadSourceSet.Field()
    pipeline_template_set = PipelineTemplateSet.Field()
    scorecard_set = ScorecardSet.Field()
    close_reason_set = CloseReasonSet.Field()
