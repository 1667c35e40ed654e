"""The GraphQL schema of a cell: every area's queries and mutations, one endpoint."""

import graphene

from crm.graphql.accounts.mutations import AccountMutations
from crm.graphql.accounts.queries import AccountQueries
from crm.graphql.automation.mutations import AutomationMutations
from crm.graphql.automation.queries import AutomationQueries
from crm.graphql.contracts.mutations import ContractMutations
from crm.graphql.contracts.queries import ContractQueries
from crm.graphql.core.errors import Error, ErrorCode
from crm.graphql.creditcontrol.mutations import CreditControlMutations
from crm.graphql.creditcontrol.queries import CreditControlQueries
from crm.graphql.customers.mutations import CustomerMutations
from crm.graphql.customers.queries import CustomerQueries
from crm.graphql.customfields.mutations import CustomFieldMutations
from crm.graphql.customfields.queries import CustomFieldQueries
from crm.graphql.governance.mutations import GovernanceMutations
from crm.graphql.governance.queries import GovernanceQueries
from crm.graphql.groupviews.queries import GroupViewQueries
from crm.graphql.history.queries import HistoryQueries
from crm.graphql.insights.queries import InsightQueries
from crm.graphql.leads.mutations import LeadMutations
from crm.graphql.leads.queries import LeadQueries
from crm.graphql.ledger.mutations import LedgerMutations
from crm.graphql.ledger.queries import LedgerQueries
from crm.graphql.masterdata.mutations import MasterdataMutations
from crm.graphql.masterdata.pricing import PricingQueries
from crm.graphql.masterdata.queries import MasterdataQueries
from crm.graphql.masterdata.rates import ExchangeRateQueries
from crm.graphql.masterdata.sales_policies import SalesPolicyQueries
from crm.graphql.opportunities.mutations import OpportunityMutations
from crm.graphql.opportunities.queries import OpportunityQueries
from crm.graphql.performance.groupviews import SalesGroupViewQueries
from crm.graphql.performance.mutations import PerformanceMutations
from crm.graphql.performance.queries import PerformanceQueries
from crm.graphql.permissions.mutations import PermissionMutations
from crm.graphql.permissions.queries import PermissionQueries
from crm.graphql.privacy.mutations import PrivacyMutations
from crm.graphql.privacy.queries import PrivacyQueries
from crm.graphql.quotes.mutations import QuoteMutations
from crm.graphql.quotes.queries import QuoteQueries
from crm.graphql.regions.mutations import RegionMutations
from crm.graphql.regions.queries import RegionQueries
from crm.graphql.relationships.mutations import RelationshipMutations
from crm.graphql.relationships.queries import RelationshipQueries
from crm.graphql.replication.queries import ReplicationQueries
from crm.graphql.salessetup.mutations import SalesSetupMutations
from crm.graphql.salessetup.queries import SalesSetupQueries
from crm.graphql.tenants.queries import TenancyQueries
from crm.graphql.transfer.mutations import TransferMutations
from crm.graphql.transfer.queries import TransferQueries


class Query(
    SalesGroupViewQueries,
    PerformanceQueries,
    QuoteQueries,
    ContractQueries,
    LedgerQueries,
    CreditControlQueries,
    TenancyQueries,
    MasterdataQueries,
    ExchangeRateQueries,
    PricingQueries,
    SalesPolicyQueries,
    CustomerQueries,
    HistoryQueries,
    GovernanceQueries,
    PermissionQueries,
    AccountQueries,
    TransferQueries,
    AutomationQueries,
    CustomFieldQueries,
    LeadQueries,
    OpportunityQueries,
    SalesSetupQueries,
    RelationshipQueries,
    RegionQueries,
    PrivacyQueries,
    GroupViewQueries,
    InsightQueries,
    ReplicationQueries,
    graphene.ObjectType,
):
    pass


class Mutation(
    PerformanceMutations,
    QuoteMutations,
    ContractMutations,
    LedgerMutations,
    CreditControlMutations,
    MasterdataMutations,
    CustomerMutations,
    GovernanceMutations,
    PermissionMutations,
    AccountMutations,
    TransferMutations,
    AutomationMutations,
    CustomFieldMutations,
    LeadMutations,
    OpportunityMutations,
    SalesSetupMutations,
    RelationshipMutations,
    RegionMutations,
    PrivacyMutations,
    graphene.ObjectType,
):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation, types=[Error, ErrorCode])
