"""Importing golden customers: rows matched by group code, validated as the API validates.

Columns: code (required), legal_name, trade_name_<language>, country, tax_id, industry, size,
classification, grade, parent (the parent's code), status (not MERGED), credit_limit.
`merged_into` is exported and read past. An empty cell clears an optional field; for a field
that cannot be empty it means "no change" (or the default, for a new record).

Duplicates: a new row (or a row whose name, country or tax id changes) with the same tax id, or
exactly the same normalized name in the same country, as another live record is refused with
DUPLICATE_SUSPECTED naming that record. Similar (not equal) names are not checked row by row on
import, where it would cost a similarity search per row; the group's duplicate report
(`customerDuplicates`) finds them afterwards.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import ClassVar

from django.utils import timezone
from modeltranslation.utils import build_localized_fieldname

from crm.masterdata.customers import identity
from crm.masterdata.customers.access import CUSTOMER
from crm.masterdata.customers.models import Customer, CustomerStatus
from crm.masterdata.customers.services import apply_field
from crm.masterdata.transfer.importers.base import (
    Importer,
    Outcome,
    copy_insert,
    decimal_cell,
    language_columns,
)
from crm.masterdata.transfer.tables import Row
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.vocabulary import Action

TRADE_NAMES = language_columns("trade_name")
PLAIN = ("code", "legal_name", "country", "tax_id", "industry", "size", "classification")
# Fields a record cannot leave empty: an empty cell means no change (or the default).
NOT_EMPTY = ("legal_name", "country", "classification", "grade", "status")
COMPARED = (
    "code",
    "legal_name",
    *(build_localized_fieldname("trade_name", code) for code in TRADE_NAMES.values()),
    "country",
    "tax_id",
    "industry",
    "size",
    "classification",
    "grade",
    "status",
    "credit_limit",
    "parent_id",
)


class CustomerImporter(Importer):
    blank: Customer | None = None
    object_type = CUSTOMER
    columns: ClassVar[dict[str, str]] = {
        **{name: name for name in PLAIN},
        **dict.fromkeys(TRADE_NAMES, "trade_name"),
        "grade": "grade",
        "parent": "parent",
        "status": "status",
        "credit_limit": "credit_limit",
    }
    required = ("code",)
    read_only = ("merged_into",)

    def import_chunk(self, rows: list[Row], outcome: Outcome) -> None:
        records = Customer.objects.filter(group_id=self.group_id)
        codes = {cells["code"] for _line, cells in rows}
        parents = {cells.get("parent", "") for _line, cells in rows} - {""}
        wanted = records.filter(code__in=codes | parents)
        known = {c.code: c for c in wanted}
        visible = set(self.access.visible(CUSTOMER, wanted).values_list("code", flat=True))
        pending: list[tuple[int, Customer, bool]] = []  # line, record, is new
        for line, cells in rows:
            self.column = "code"
            try:
                code = self.first_use(cells, line)
                original = known.get(code)
                if original is not None and code not in visible:
                    raise CrmError(
                        ErrorCode.ALREADY_EXISTS, field="code", object=CUSTOMER.name, value=code
                    )
                # A copy: a row refused halfway leaves the record as it was.
                customer = copy.copy(original) if original else self._new()
                written = self._fill(customer, cells, known, is_new=original is None)
                if original is None:
                    self.access.require(Action.CREATE, CUSTOMER, written)
                known[code] = customer
                visible.add(code)
                pending.append((line, customer, original is None))
            except CrmError as error:
                outcome.fail(line, self.column, error)
        self._save(pending, outcome)

    def _new(self) -> Customer:
        # A copy of one blank record: building each from scratch runs modeltranslation's
        # per-field defaults (which consult the active language), the costliest step of a row.
        if self.blank is None:
            self.blank = Customer(group_id=self.group_id)
        return copy.copy(self.blank)

    def _fill(
        self, customer: Customer, cells: dict[str, str], known: dict[str, Customer], *, is_new: bool
    ) -> list[str]:
        """Apply the row to the record (`self.column` follows the cell being read); the fields
        written."""
        before = {name: getattr(customer, name) for name in COMPARED}
        if customer.status == CustomerStatus.MERGED:
            raise CrmError(
                ErrorCode.INVALID_ARGUMENT, field="code", reason="merged; edit the survivor"
            )
        if is_new:
            for column in ("legal_name", "country"):
                if not cells.get(column):
                    self.column = column
                    raise CrmError(ErrorCode.INVALID_ARGUMENT, field=column, reason="required")
        apply_field(self.access, customer, "code", cells["code"])
        ordered = ["country", *[name for name in cells if name not in ("code", "country")]]
        for column in ordered:
            if column not in cells or column not in self.columns:
                continue
            self.column = column
            value = cells[column]
            if not value and column in NOT_EMPTY:
                continue
            if column in TRADE_NAMES:
                apply_field(self.access, customer, "trade_name", {TRADE_NAMES[column]: value})
            elif column == "parent":
                customer.parent = self._parent(customer, value, known)
            elif column == "credit_limit":
                amount = decimal_cell(value, column) if value else None
                apply_field(self.access, customer, "credit_limit", amount)
            else:
                apply_field(self.access, customer, column, value)
        self.column = "tax_id"
        customer.tax_id = identity.tax_id(customer.country, customer.tax_id)
        changed = self.changed(customer, before, COMPARED)
        if changed:  # the derived keys follow what changed (an unchanged row costs no more)
            customer.refresh_keys()
        written = sorted({self._policy_field(name) for name in changed})
        if not is_new and written:
            self.access.require(Action.EDIT, customer, written)
        self.column = "code"
        customer._import_changed = changed  # type: ignore[attr-defined]
        return written

    @staticmethod
    def _policy_field(attribute: str) -> str:
        if attribute.startswith("trade_name"):
            return "trade_name"
        return "parent" if attribute == "parent_id" else attribute

    def _parent(self, customer: Customer, code: str, known: dict[str, Customer]) -> Customer | None:
        if not code:
            return None
        parent = known.get(code)
        if parent is None:
            raise CrmError(ErrorCode.NOT_FOUND, field="parent", object=CUSTOMER.name, id=code)
        if customer.pk is not None and customer.parent_id == parent.pk:
            return parent  # as it was: no new cycle possible
        ancestor: Customer | None = parent
        while ancestor is not None:
            if ancestor.code == customer.code:
                raise CrmError(ErrorCode.INVALID_ARGUMENT, field="parent", reason="a cycle")
            ancestor = ancestor.parent
        return parent

    def _duplicates(self, pending: list[tuple[int, Customer, bool]]) -> dict[int, CrmError]:
        """Rows whose tax id or normalized name (per country) another live record already has."""
        checked = [
            (line, c)
            for line, c, is_new in pending
            if is_new or {"legal_name", "country", "tax_id"} & set(c._import_changed)  # type: ignore[attr-defined]
        ]
        if not checked:
            return {}
        by_tax: dict[tuple[str, str], list[str]] = defaultdict(list)
        by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
        live = Customer.objects.filter(group_id=self.group_id).exclude(status=CustomerStatus.MERGED)
        # Two lookups, each on its own index (group, country, tax id) and (group, name).
        same_tax = live.filter(
            country__in={c.country for _l, c in checked},
            tax_id__in={c.tax_id for _l, c in checked if c.tax_id},
        )
        same_name = live.filter(normalized_name__in={c.normalized_name for _l, c in checked})
        columns = ("code", "country", "tax_id", "normalized_name")
        others = {*same_tax.values_list(*columns), *same_name.values_list(*columns)}
        for code, country, tax, name in others:
            if tax:
                by_tax[(country, tax)].append(code)
            by_name[(country, name)].append(code)
        found: dict[int, CrmError] = {}
        for line, customer in checked:
            same = set(by_name.get((customer.country, customer.normalized_name), []))
            if customer.tax_id:
                same |= set(by_tax.get((customer.country, customer.tax_id), []))
            same.discard(customer.code)
            if same:
                error = CrmError(ErrorCode.DUPLICATE_SUSPECTED, field="legalName", count=len(same))
                error.params["candidate"] = sorted(same)[0]
                found[line] = error
            # Within the file too: the first row wins, later look-alikes are refused.
            if customer.tax_id:
                by_tax[(customer.country, customer.tax_id)].append(customer.code)
            by_name[(customer.country, customer.normalized_name)].append(customer.code)
        return found

    def _save(self, pending: list[tuple[int, Customer, bool]], outcome: Outcome) -> None:
        refused = self._duplicates(pending)
        for line, error in refused.items():
            outcome.fail(line, "legal_name", error)
        accepted = [(line, c, is_new) for line, c, is_new in pending if line not in refused]
        self._create_in_layers([c for _l, c, is_new in accepted if is_new])
        changed_fields: set[str] = set()
        updates: list[Customer] = []
        now = timezone.now()
        for _line, customer, is_new in accepted:
            if is_new:
                outcome.created += 1
            elif customer._import_changed:  # type: ignore[attr-defined]
                outcome.updated += 1
                customer.updated_at = now
                updates.append(customer)
                changed_fields |= set(customer._import_changed)  # type: ignore[attr-defined]
            else:
                outcome.unchanged += 1
        if updates:
            fields = sorted({"parent" if n == "parent_id" else n for n in changed_fields})
            fields += ["normalized_name", "search_text", "updated_at"]
            Customer.objects.bulk_update(updates, fields, batch_size=500)

    @staticmethod
    def _create_in_layers(new: list[Customer]) -> None:
        """Parents first: a new record whose parent is new in the same chunk waits for its pk."""
        waiting = list(new)
        while waiting:
            ready = [c for c in waiting if c.parent is None or c.parent.pk is not None]
            if not ready:  # unreachable: a cycle among new records is refused in _parent
                raise RuntimeError("customer parents form a cycle")
            for customer in ready:
                customer.parent_id = customer.parent.pk if customer.parent else None
            copy_insert(Customer, ready)
            waiting = [c for c in waiting if c.pk is None]
