"""Master-data mutations, one per file, gathered into the schema's Mutation type."""

import graphene

from crm.graphql.masterdata.mutations.exchange_rates_import import ExchangeRatesImport
from crm.graphql.masterdata.mutations.material_category_create import MaterialCategoryCreate
from crm.graphql.masterdata.mutations.material_change_stage import MaterialChangeStage
from crm.graphql.masterdata.mutations.material_create import MaterialCreate
from crm.graphql.masterdata.mutations.material_delete import MaterialDelete
from crm.graphql.masterdata.mutations.material_set_local_code import MaterialSetLocalCode
from crm.graphql.masterdata.mutations.material_update import MaterialUpdate
from crm.graphql.masterdata.mutations.price_list_change_stage import PriceListChangeStage
from crm.graphql.masterdata.mutations.price_list_create import PriceListCreate
from crm.graphql.masterdata.mutations.price_list_delete import PriceListDelete
from crm.graphql.masterdata.mutations.price_list_set_items import PriceListSetItems
from crm.graphql.masterdata.mutations.price_list_update import PriceListUpdate
from crm.graphql.masterdata.mutations.sales_policy_set import SalesPolicySet


class MasterdataMutations(graphene.ObjectType):
    material_create = MaterialCreate.Field()
    material_category_create = MaterialCategoryCreate.Field()
    material_update = MaterialUpdate.Field()
    material_change_stage = MaterialChangeStage.Field()
    material_delete = MaterialDelete.Field()
    material_set_local_code = MaterialSetLocalCode.Field()
    price_list_create = PriceListCreate.Field()
    price_list_update = PriceListUpdate.Field()
    price_list_set_items = PriceListSetItems.Field()
    price_list_change_stage = PriceListChangeStage.Field()
    price_list_delete = PriceListDelete.Field()
    exchange_rates_import = ExchangeRatesImport.Field()
    sales_policy_set = SalesPolicySet.Field()
