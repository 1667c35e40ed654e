"""Region move mutations, one per file."""

import graphene

from crm.graphql.regions.mutations.region_move_cancel import RegionMoveCancel
from crm.graphql.regions.mutations.region_move_schedule import RegionMoveSchedule


class RegionMutations(graphene.ObjectType):
    region_move_schedule = RegionMoveSchedule.Field()
    region_move_cancel = RegionMoveCancel.Field()
