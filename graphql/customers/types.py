"""GraphQL types of golden customers: company-level data, names in the request's language."""

from __future__ import annotations

from decimal import Decimal

import graphene
from graphene import relay
from moneyed import Money as MoneyValue

from crm.graphql.core.pagination import CountedConnection
from crm.graphql.core.permissions import permissions_field
from crm.graphql.core.types import Money
from crm.graphql.masterdata.types import text_chain
from crm.graphql.relationships.types import Account
from crm.i18n import languages
from crm.masterdata.customers import models
from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.duplicates import Candidate

CustomerStatus = graphene.Enum.from_enum(models.CustomerStatus)
CompanySize = graphene.Enum.from_enum(models.CompanySize)
Classification = graphene.Enum.from_enum(models.Classification)
Grade = graphene.Enum.from_enum(models.Grade)


# This business unit's account (GraphQL type `Account`), with its 360° view.
LocalCustomer = Account


class Customer(graphene.ObjectType):
    """A golden customer record. Fields are null where the policy hides them."""

    class Meta:
        interfaces = (relay.Node,)

    code = graphene.String(description="Group-wide customer code.")
    legal_name = graphene.String()
    trade_name = graphene.String(description="In the request's language, with fallback.")
    country = graphene.String(description="ISO 3166-1 alpha-2.")
    tax_id = graphene.String(description="Normalized for the country, e.g. DE136695976.")
    industry = graphene.String()
    size = graphene.Field(CompanySize)
    classification = graphene.Field(Classification)
    grade = graphene.Field(Grade)
    parent = graphene.Field(lambda: Customer, description="The customer's parent company.")
    status = graphene.Field(CustomerStatus)
    credit_limit = graphene.Field(Money, description="In the group currency.")
    merged_into = graphene.Field(
        lambda: Customer, description="For a merged record: the survivor it now points to."
    )
    local = graphene.Field(LocalCustomer, description="This business unit's own record.")
    permissions = permissions_field(CUSTOMER)

    @staticmethod
    def resolve_local(root: models.Customer, info: graphene.ResolveInfo) -> object:
        return info.context.loaders.local_customers.load(root.pk)

    @staticmethod
    def resolve_trade_name(root: models.Customer, info: graphene.ResolveInfo) -> str:
        return languages.translated(root, "trade_name", text_chain(info))

    @staticmethod
    def resolve_size(root: models.Customer, _info: graphene.ResolveInfo) -> object:
        return models.CompanySize(root.size) if root.size else None

    @staticmethod
    def resolve_classification(root: models.Customer, _info: graphene.ResolveInfo) -> object:
        return models.Classification(root.classification)

    @staticmethod
    def resolve_grade(root: models.Customer, _info: graphene.ResolveInfo) -> object:
        return models.Grade(root.grade)

    @staticmethod
    def resolve_status(root: models.Customer, _info: graphene.ResolveInfo) -> object:
        return models.CustomerStatus(root.status)

    @staticmethod
    def resolve_parent(root: models.Customer, info: graphene.ResolveInfo) -> object:
        return info.context.loaders.customers.load(root.parent_id) if root.parent_id else None

    @staticmethod
    def resolve_merged_into(root: models.Customer, info: graphene.ResolveInfo) -> object:
        if not root.merged_into_id:
            return None
        return info.context.loaders.customers.load(root.merged_into_id)

    @staticmethod
    def resolve_credit_limit(root: models.Customer, info: graphene.ResolveInfo) -> object:
        if root.credit_limit is None:
            return None
        amount: Decimal = root.credit_limit
        return MoneyValue(amount, info.context.tenant.group.currency)


class DuplicateCandidate(graphene.ObjectType):
    """An existing record that looks like the one written."""

    customer = graphene.Field(Customer, required=True)
    score = graphene.Decimal(required=True, description="1 for the same tax id; else 0–1.")
    reason = graphene.String(required=True, description="TAX_ID or NAME")

    @staticmethod
    def resolve_customer(root: Candidate, _info: graphene.ResolveInfo) -> models.Customer:
        return root.customer


class CustomerConnection(CountedConnection):
    class Meta:
        node = Customer
