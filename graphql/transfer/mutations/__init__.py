"""Import and export mutations, one per file."""

import graphene

from crm.graphql.transfer.mutations.master_data_export import MasterDataExport
from crm.graphql.transfer.mutations.master_data_import import MasterDataImport


class TransferMutations(graphene.ObjectType):
    master_data_import = MasterDataImport.Field()
    master_data_export = MasterDataExport.Field()
