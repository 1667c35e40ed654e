"""Moving a business unit to another region: a scheduled, audited, resumable operation.

`runner` runs the steps (FREEZE, EXPORT, IMPORT, VERIFY, SWITCH, PURGE, UNFREEZE) in the source
cell; `bundle` exports and imports the BU's schema, `people` its shared rows, `tables` computes
the checksums VERIFY compares, `directory` is the SWITCH's one write, and `transport` carries
the signed requests between the cells.
"""
