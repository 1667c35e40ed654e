"""Credit control of a business unit's orders (label `creditcontrol`).

Before an order is confirmed, the customer's group-wide exposure (open receivables and open
orders in every BU of the group, in every cell, through the `receivables` aggregate's fan-out)
plus the order is checked against the golden customer's credit limit (`check`). An order over the
limit, or whose check could not hear from every cell, is blocked and waits for finance (a
`CreditHold`); finance releases it for its amount (a `CreditRelease`), and the confirmation then
passes. `exposure` computes the figure; `holds` records blocks and releases.
"""
