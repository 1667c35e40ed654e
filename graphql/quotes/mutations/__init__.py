"""Quote mutations: make, price, discount and approve, send, answer, version; tax rates."""

import graphene

from crm.graphql.quotes.mutations.quote_answer import QuoteAccept, QuoteReject
from crm.graphql.quotes.mutations.quote_create import QuoteCreate
from crm.graphql.quotes.mutations.quote_decide_discount import QuoteDecideDiscount
from crm.graphql.quotes.mutations.quote_lines_set import QuoteLinesSet
from crm.graphql.quotes.mutations.quote_new_version import QuoteNewVersion
from crm.graphql.quotes.mutations.quote_request_approval import QuoteRequestApproval
from crm.graphql.quotes.mutations.quote_send import QuoteSend
from crm.graphql.quotes.mutations.quote_update import QuoteUpdate
from crm.graphql.quotes.mutations.tax_rate_save import TaxRateSave


class QuoteMutations(graphene.ObjectType):
    quote_create = QuoteCreate.Field()
    quote_update = QuoteUpdate.Field()
    quote_lines_set = QuoteLinesSet.Field()
    quote_request_approval = QuoteRequestApproval.Field()
    quote_decide_discount = QuoteDecideDiscount.Field()
    quote_send = QuoteSend.Field()
    quote_accept = QuoteAccept.Field()
    quote_reject = QuoteReject.Field()
    quote_new_version = QuoteNewVersion.Field()
    tax_rate_save = TaxRateSave.Field()
