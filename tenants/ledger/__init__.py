"""Orders, invoices, credit notes and payments of a business unit: the cash end of Lead-to-Cash.

Orders come from signed contracts or straight from an ERP; they are delivered in parts and
invoiced against what was delivered; invoices are numbered per BU without gaps, settled by
payments allocated to them and reduced by credit notes. Every amount is kept in the
transaction currency and in the group currency at the rate of the record's business date.
"""
