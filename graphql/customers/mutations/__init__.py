"""Customer mutations, one per file."""

import graphene

from crm.graphql.customers.mutations.customer_create import CustomerCreate
from crm.graphql.customers.mutations.customer_update import CustomerUpdate


class CustomerMutations(graphene.ObjectType):
    customer_create = CustomerCreate.Field()
    customer_update = CustomerUpdate.Field()
