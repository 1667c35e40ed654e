"""The BU's field configuration mutations, one per file."""

import graphene

from crm.graphql.customfields.mutations.custom_field_activate import CustomFieldActivate
from crm.graphql.customfields.mutations.custom_field_deactivate import CustomFieldDeactivate
from crm.graphql.customfields.mutations.custom_field_define import CustomFieldDefine
from crm.graphql.customfields.mutations.custom_field_update import CustomFieldUpdate
from crm.graphql.customfields.mutations.field_requirement_remove import FieldRequirementRemove
from crm.graphql.customfields.mutations.field_requirement_set import FieldRequirementSet


class CustomFieldMutations(graphene.ObjectType):
    custom_field_define = CustomFieldDefine.Field()
    custom_field_update = CustomFieldUpdate.Field()
    custom_field_deactivate = CustomFieldDeactivate.Field()
    custom_field_activate = CustomFieldActivate.Field()
    field_requirement_set = FieldRequirementSet.Field()
    field_requirement_remove = FieldRequirementRemove.Field()
