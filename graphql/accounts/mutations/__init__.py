"""People mutations, one per file."""

import graphene

from crm.graphql.accounts.mutations.team_create import TeamCreate
from crm.graphql.accounts.mutations.team_delete import TeamDelete
from crm.graphql.accounts.mutations.team_update import TeamUpdate
from crm.graphql.accounts.mutations.user_create import UserCreate
from crm.graphql.accounts.mutations.user_update import UserUpdate


class AccountMutations(graphene.ObjectType):
    user_create = UserCreate.Field()
    user_update = UserUpdate.Field()
    team_create = TeamCreate.Field()
    team_update = TeamUpdate.Field()
    team_delete = TeamDelete.Field()
