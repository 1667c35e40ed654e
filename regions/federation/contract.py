"""The fan-out contract between the HQ cell and the other cells: requests, answers, aggregates.

A request names the group (by code), the aggregate, its parameters, the reporting date and the
cell it is meant for, and is signed for the purpose "aggregate". An answer carries the rows of
the BUs of that group homed in the answering cell, or says the aggregate is unavailable there.

Each aggregate is an `Aggregate` registered by name. It declares the fields of its rows (codes,
labels, counts, money amounts in the group currency): the cell builds rows of exactly those
fields, and the HQ side (`read_rows`) refuses an answer with any other field or a value of the
wrong kind. No field may hold personal data: rows name BUs, stages and sources by code and carry
numbers only. Amounts travel as decimal strings, never floats.
"""

from __future__ import annotations

import datetime
import enum
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from crm.tenants.models import BusinessUnit, Group

CONTRACT_VERSION = 1
SIGNING_PURPOSE = "aggregate"
PATH = "/internal/aggregates/"


class CellStatus(enum.StrEnum):
    """How a cell's part of a group view went."""

    OK = "OK"
    TIMEOUT = "TIMEOUT"  # no answer before the deadline
    UNREACHABLE = "UNREACHABLE"  # no connection (cell down, no endpoint configured)
    REFUSED = "REFUSED"  # the cell refused the request (signature, unknown group, other cell)
    ERROR = "ERROR"  # the cell failed, or answered outside the contract
    UNAVAILABLE = "UNAVAILABLE"  # the cell cannot compute this aggregate (no provider yet)


class Refusal(enum.StrEnum):
    """Why a cell refuses a request; sent back as `{"refused": <code>}`."""

    SIGNATURE = "SIGNATURE"
    GROUP_NOT_FOUND = "GROUP_NOT_FOUND"
    OTHER_CELL = "OTHER_CELL"


class ContractError(Exception):
    """A request or an answer that does not follow the contract; the text says what is wrong."""


class AggregateUnavailableError(Exception):
    """Raised by an aggregate that cannot be computed in this cell; `reason` is a stable code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Kind(enum.Enum):
    CODE = "code"  # an identifier: BU, pipeline, stage, source, customer code
    LABEL = "label"  # a configuration name (a stage's name), never a person's
    COUNT = "count"  # a non-negative integer
    MONEY = "money"  # a decimal string, in the answer's currency


@dataclass(frozen=True)
class Field:
    kind: Kind
    nullable: bool = False


CODE_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
MAX_LABEL = 200


def _date(value: Any, name: str) -> datetime.date:
    if not isinstance(value, str):
        raise ContractError(f"{name} must be an ISO date string")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ContractError(f"{name} is not an ISO date: {value!r}") from None


def instant(value: Any, name: str) -> datetime.datetime:
    """An ISO timestamp with its offset (instants travel with their zone, never naive)."""
    if not isinstance(value, str):
        raise ContractError(f"{name} must be an ISO timestamp string")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ContractError(f"{name} is not an ISO timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise ContractError(f"{name} has no time zone offset")
    return parsed


def end_of_day(day: datetime.date, time_zone: str) -> datetime.datetime:
    """The first instant after `day` in `time_zone`.

    Group views cut days where the group's headquarters is: one instant for every cell, so a
    BU already in tomorrow (Tokyo, seen from Shanghai) is cut at the same moment as the others.
    """
    following = day + datetime.timedelta(days=1)
    return datetime.datetime.combine(following, datetime.time.min, ZoneInfo(time_zone))


@dataclass(frozen=True)
class AggregateRequest:
    group: str
    aggregate: str
    parameters: Mapping[str, Any]
    as_of: datetime.date
    region: str

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "contract": CONTRACT_VERSION,
                "group": self.group,
                "aggregate": self.aggregate,
                "parameters": dict(self.parameters),
                "as_of": self.as_of.isoformat(),
                "region": self.region,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_bytes(cls, body: bytes) -> AggregateRequest:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ContractError("the body is not JSON") from None
        if not isinstance(data, dict):
            raise ContractError("the body is not a JSON object")
        if data.get("contract") != CONTRACT_VERSION:
            raise ContractError(f"unsupported contract version {data.get('contract')!r}")
        for name in ("group", "aggregate", "region"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise ContractError(f"{name} must be a non-empty string")
        parameters = data.get("parameters")
        if not isinstance(parameters, dict):
            raise ContractError("parameters must be an object")
        return cls(
            group=data["group"],
            aggregate=data["aggregate"],
            parameters=parameters,
            as_of=_date(data.get("as_of"), "as_of"),
            region=data["region"],
        )


class Aggregate(ABC):
    """One group-wide figure: how a cell computes its rows for one BU, and their fields."""

    name: ClassVar[str]
    row_fields: ClassVar[Mapping[str, Field]]

    def clean_parameters(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters in their JSON form, checked; ContractError when they are not valid."""
        if parameters:
            raise ContractError(f"{self.name} takes no parameters")
        return {}

    def check_available(self, group: Group) -> None:
        """Raise AggregateUnavailableError when this cell cannot compute the aggregate at all."""
        return None

    @abstractmethod
    def rows_for(
        self,
        business_unit: BusinessUnit,
        parameters: Mapping[str, Any],
        as_of: datetime.date,
    ) -> list[dict[str, Any]]:
        """The BU's rows (JSON-ready values), computed in the BU's schema (already selected)."""

    def read_rows(self, rows: Any) -> list[dict[str, Any]]:
        """A cell's rows, checked against `row_fields`; amounts become Decimal."""
        if not isinstance(rows, list):
            raise ContractError("rows must be a list")
        return [self._read_row(row) for row in rows]

    def _read_row(self, row: Any) -> dict[str, Any]:
        if not isinstance(row, dict):
            raise ContractError("a row must be an object")
        extra = set(row) - set(self.row_fields)
        if extra:
            raise ContractError(f"unexpected row fields: {', '.join(sorted(extra))}")
        missing = set(self.row_fields) - set(row)
        if missing:
            raise ContractError(f"missing row fields: {', '.join(sorted(missing))}")
        return {name: _read_value(name, spec, row[name]) for name, spec in self.row_fields.items()}


def _read_value(name: str, spec: Field, value: Any) -> Any:
    if value is None:
        if spec.nullable:
            return None
        raise ContractError(f"{name} may not be null")
    if spec.kind is Kind.CODE:
        if not isinstance(value, str) or not CODE_PATTERN.match(value):
            raise ContractError(f"{name} is not a code")
        return value
    if spec.kind is Kind.LABEL:
        if not isinstance(value, str) or len(value) > MAX_LABEL:
            raise ContractError(f"{name} is not a label")
        return value
    if spec.kind is Kind.COUNT:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ContractError(f"{name} is not a count")
        return value
    if not isinstance(value, str):
        raise ContractError(f"{name} is not a decimal string")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ContractError(f"{name} is not a decimal string") from None
    if not amount.is_finite():
        raise ContractError(f"{name} is not a finite amount")
    return amount


REGISTRY: dict[str, Aggregate] = {}


def register(aggregate: Aggregate) -> Aggregate:
    REGISTRY[aggregate.name] = aggregate
    return aggregate


def aggregate_named(name: str) -> Aggregate:
    """The registered aggregate, or ContractError."""
    from crm.regions.federation import aggregates  # noqa: F401  (registers the built-in ones)

    found = REGISTRY.get(name)
    if found is None:
        raise ContractError(f"unknown aggregate {name!r}")
    return found


def money_text(amount: Decimal) -> str:
    """An amount as a plain decimal string (no exponent), as the contract carries it."""
    return format(amount, "f")
