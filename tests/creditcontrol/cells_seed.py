"""Seeding credit-control data into the real test cells (used by test_cells.py and the
benchmark infra/bench_credit.py). Each snippet runs inside one cell (`Cell.python`).

A golden customer is created in the group's home cell (cn) and loaded as it is, with the same
id, into the other cells, as HQ → cell replication delivers it (in a transaction with
`crm.replicating` on). Orders are written straight into a BU's schema in CNY (the group
currency, rate 1), so that their group amounts are exactly the amounts given.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crm.tests.fixtures.cells import Cell, Cells

GROUP = "lumina"
MARK = "CREDIT-SEED:"

CUSTOMER = """
import json
from decimal import Decimal
from django.core import serializers
from crm.masterdata.customers.identity import normalized_name
from crm.masterdata.customers.models import Customer
from crm.tenants.models import Group

spec = json.loads(SPEC)
group = Group.objects.get(code=spec["group"])
name = spec["code"] + " Ltd"
customer = Customer.objects.create(
    group=group, code=spec["code"], legal_name=name, normalized_name=normalized_name(name),
    country="CN", credit_limit=Decimal(spec["limit"]) if spec["limit"] is not None else None,
)
print(MARK + json.dumps({"pk": customer.pk, "row": serializers.serialize("json", [customer])}))
"""

REPLICA = """
import json
from django.core import serializers
from django.db import connection, transaction

spec = json.loads(SPEC)
with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL crm.replicating = 'on'")
    for found in serializers.deserialize("json", spec["row"]):
        found.save()
print(MARK + json.dumps({"loaded": True}))
"""

ORDERS = """
import json
from decimal import Decimal
from django_tenants.utils import schema_context
from crm.masterdata.customers.models import Customer
from crm.tenants.ledger.models import Order
from crm.tenants.localcustomers.models import LocalCustomer
from crm.tenants.models import BusinessUnit

spec = json.loads(SPEC)
unit = BusinessUnit.objects.select_related("group").get(group__code=spec["group"], code=spec["bu"])
customer = Customer.objects.get(group=unit.group, code=spec["customer"])
day = unit.today()
ids = {}
with schema_context(unit.schema_name):
    account = LocalCustomer.objects.filter(customer_id=customer.pk).first()
    if account is None:
        account = LocalCustomer.objects.create(customer_id=customer.pk, local_code=spec["customer"])
    for order in spec["orders"]:
        amount = Decimal(order["amount"])
        made = Order.objects.create(
            number=order["number"], account=account, order_date=day,
            confirmed=order["confirmed"], total=amount,
            net_total=amount, total_group=amount, currency="CNY",
            group_currency="CNY", fx_date=day, fx_rate=Decimal(1), fx_rate_date=day,
            fx_rate_type="SPOT",
        )
        ids[order["number"]] = made.pk
print(MARK + json.dumps(ids))
"""

USER = """
import json
from crm.platform.accounts.authentication import issue_user_token
from crm.platform.accounts.models import Membership, Role, User
from crm.tenants.models import BusinessUnit, Group

spec = json.loads(SPEC)
group = Group.objects.get(code=spec["group"])
user, created = User.objects.get_or_create(username=spec["username"], defaults={"group": group})
if created:
    user.set_unusable_password()
    user.save(update_fields=["password"])
Membership.objects.get_or_create(
    group=group, user=user, role=Role.objects.get(group=group, code=spec["role"]),
    business_unit=BusinessUnit.objects.get(group=group, code=spec["bu"]),
)
token, _record = issue_user_token(user)
print(MARK + json.dumps({"token": token}))
"""


def run(cell: Cell, code: str, spec: dict[str, Any]) -> Any:
    """Run a seeding snippet in `cell` with `spec`; its JSON result."""
    script = f"MARK = {MARK!r}\nSPEC = {json.dumps(json.dumps(spec))}\n{code}"
    output = cell.python(script)
    lines = [line for line in output.splitlines() if line.startswith(MARK)]
    if not lines:
        raise RuntimeError(f"no result from the seed in cell {cell.region}:\n{output}")
    return json.loads(lines[-1][len(MARK) :])


def golden_everywhere(cells: Cells, code: str, limit: str | None, home: str = "cn") -> int:
    """A golden customer of lumina made at home and replicated as-is into every other cell."""
    made = run(cells[home], CUSTOMER, {"group": GROUP, "code": code, "limit": limit})
    for region, cell in cells.items():
        if region != home:
            run(cell, REPLICA, {"row": made["row"]})
    return int(made["pk"])


def orders_in(
    cell: Cell, bu: str, customer: str, orders: list[tuple[str, str, bool]]
) -> dict[str, int]:
    """Orders (number, amount in CNY, confirmed) of the customer in BU `bu` of `cell`."""
    spec = {
        "group": GROUP,
        "bu": bu,
        "customer": customer,
        "orders": [
            {"number": number, "amount": amount, "confirmed": confirmed}
            for number, amount, confirmed in orders
        ],
    }
    result: dict[str, int] = run(cell, ORDERS, spec)
    return result


def user_token(cell: Cell, username: str, role: str, bu: str) -> str:
    """A user of lumina holding `role` in BU `bu`, working in `cell`: their bearer token."""
    spec = {"group": GROUP, "username": username, "role": role, "bu": bu}
    return str(run(cell, USER, spec)["token"])
