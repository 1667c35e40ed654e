"""Group-wide views without moving personal data: HQ asks every cell, cells answer aggregates.

A group's business units live in several cells, and a BU's records never leave its cell. So a
group-wide figure (the pipeline per BU and stage, leads per source, receivables per customer) is
computed where the records are: the HQ cell sends each cell a signed request naming the group,
the aggregate, its parameters and the reporting date (`contract`); the cell checks the signature
and the group, computes over its own BUs of that group only, and answers rows of codes, counts
and amounts (`cell`, `views`). The HQ cell computes its own part in-process, asks the others
concurrently with a deadline and combines the answers (`fanout`); a cell that does not answer in
time, refuses or fails is listed as missing, so a partial total is never shown as complete.

Aggregates are registered by name (`contract.register`); each one declares the fields of its
rows, and the HQ side refuses an answer carrying any other field, so personal data cannot slip
into a group view by accident.
"""
