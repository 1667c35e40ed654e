"""Target mutations: set, change and remove a target."""

import graphene

from crm.graphql.performance.mutations.target_create import TargetCreate
from crm.graphql.performance.mutations.target_delete import TargetDelete
from crm.graphql.performance.mutations.target_update import TargetUpdate


class PerformanceMutations(graphene.ObjectType):
    target_create = TargetCreate.Field()
    target_update = TargetUpdate.Field()
    target_delete = TargetDelete.Field()
