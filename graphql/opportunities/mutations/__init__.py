"""Deal mutations: create, edit, move through stages, close and reopen, score, products, the
account team; and the BU's pipeline stages."""

import graphene

from crm.graphql.opportunities.mutations.opportunity_advance import OpportunityAdvance
from crm.graphql.opportunities.mutations.opportunity_approve_stage import (
    OpportunityApproveStage,
)
from crm.graphql.opportunities.mutations.opportunity_close import OpportunityClose
from crm.graphql.opportunities.mutations.opportunity_create import OpportunityCreate
from crm.graphql.opportunities.mutations.opportunity_products_set import OpportunityProductsSet
from crm.graphql.opportunities.mutations.opportunity_reopen import OpportunityReopen
from crm.graphql.opportunities.mutations.opportunity_score import OpportunityScore
from crm.graphql.opportunities.mutations.opportunity_team import (
    OpportunityTeamAdd,
    OpportunityTeamRemove,
)
from crm.graphql.opportunities.mutations.opportunity_update import OpportunityUpdate
from crm.graphql.opportunities.mutations.pipeline_stage import (
    PipelineStageAdd,
    PipelineStageRemove,
    PipelineStageUpdate,
)


class OpportunityMutations(graphene.ObjectType):
    opportunity_create = OpportunityCreate.Field()
    opportunity_update = OpportunityUpdate.Field()
    opportunity_advance = OpportunityAdvance.Field()
    opportunity_approve_stage = OpportunityApproveStage.Field()
    opportunity_close = OpportunityClose.Field()
    opportunity_reopen = OpportunityReopen.Field()
    opportunity_score = OpportunityScore.Field()
    opportunity_team_add = OpportunityTeamAdd.Field()
    opportunity_team_remove = OpportunityTeamRemove.Field()
    opportunity_products_set = OpportunityProductsSet.Field()
    pipeline_stage_add = PipelineStageAdd.Field()
    pipeline_stage_update = PipelineStageUpdate.Field()
    pipeline_stage_remove = PipelineStageRemove.Field()
