"""Credit control mutations: finance releases a held order."""

import graphene

from crm.graphql.creditcontrol.mutations.order_credit_release import OrderCreditRelease


class CreditControlMutations(graphene.ObjectType):
    order_credit_release = OrderCreditRelease.Field()
