"""Governance mutations, one per file."""

import graphene

from crm.graphql.governance.mutations.change_request_approve import ChangeRequestApprove
from crm.graphql.governance.mutations.change_request_file import ChangeRequestFile
from crm.graphql.governance.mutations.change_request_reject import ChangeRequestReject
from crm.graphql.governance.mutations.customer_merge import CustomerMerge
from crm.graphql.governance.mutations.customer_request_new import CustomerRequestNew


class GovernanceMutations(graphene.ObjectType):
    change_request_file = ChangeRequestFile.Field()
    change_request_approve = ChangeRequestApprove.Field()
    change_request_reject = ChangeRequestReject.Field()
    customer_merge = CustomerMerge.Field()
    customer_request_new = CustomerRequestNew.Field()
