"""Customer mutations, one per file."""

import graphene

from crm.graphql.customers.mutations.customer_create import CustomerCreate
from crm.graphql.customers.mutations.customer_update import CustomerUpdate
from crm.graphql.customers.mutations.local_customer_set import LocalCustomerSet


class CustomerMutations(graphene.ObjectType):
    customer_create = CustomerCreate.Field()
    customer_update = CustomerUpdate.Field()
    local_customer_set = LocalCustomerSet.Field()
