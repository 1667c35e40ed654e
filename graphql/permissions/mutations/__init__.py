"""Access-administration mutations, one per file."""

import graphene

from crm.graphql.permissions.mutations.api_key_create import ApiKeyCreate
from crm.graphql.permissions.mutations.api_key_revoke import ApiKeyRevoke
from crm.graphql.permissions.mutations.membership_grant import MembershipGrant
from crm.graphql.permissions.mutations.membership_revoke import MembershipRevoke
from crm.graphql.permissions.mutations.policy_update import PolicyUpdate
from crm.graphql.permissions.mutations.role_create import RoleCreate
from crm.graphql.permissions.mutations.role_delete import RoleDelete
from crm.graphql.permissions.mutations.sign_in import SignIn


class PermissionMutations(graphene.ObjectType):
    sign_in = SignIn.Field()
    policy_update = PolicyUpdate.Field()
    api_key_create = ApiKeyCreate.Field()
    api_key_revoke = ApiKeyRevoke.Field()
    membership_grant = MembershipGrant.Field()
    membership_revoke = MembershipRevoke.Field()
    role_create = RoleCreate.Field()
    role_delete = RoleDelete.Field()
