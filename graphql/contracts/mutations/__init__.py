"""Contract mutations: make, negotiate, submit, approve (with delegation), sign, cancel; flows."""

import graphene

from crm.graphql.contracts.mutations.approval_decide import ApprovalDecide
from crm.graphql.contracts.mutations.approval_delegate import ApprovalDelegate
from crm.graphql.contracts.mutations.approval_flow_save import ApprovalFlowSave
from crm.graphql.contracts.mutations.contract_cancel import ContractCancel
from crm.graphql.contracts.mutations.contract_create import ContractCreate
from crm.graphql.contracts.mutations.contract_sign import ContractSign
from crm.graphql.contracts.mutations.contract_submit import ContractSubmit
from crm.graphql.contracts.mutations.contract_update import ContractUpdate


class ContractMutations(graphene.ObjectType):
    contract_create = ContractCreate.Field()
    contract_update = ContractUpdate.Field()
    contract_submit = ContractSubmit.Field()
    contract_sign = ContractSign.Field()
    contract_cancel = ContractCancel.Field()
    approval_decide = ApprovalDecide.Field()
    approval_delegate = ApprovalDelegate.Field()
    approval_flow_save = ApprovalFlowSave.Field()
