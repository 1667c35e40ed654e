"""The default roles and policy every new group starts from; a group admin changes them later.

Master data is written by HQ stewards only; business units read what applies to them, and only
in its live stages; standard cost (a margin input) is hidden outside HQ and finance. Later issues
add the rows of the types they bring (leads, opportunities, quotes, contracts) here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from crm.i18n.languages import SUPPORTED
from crm.platform.accounts.models import Role
from crm.platform.permissions.models import PolicyRule, PolicyVersion
from crm.platform.permissions.vocabulary import Action, Scope
from crm.tenants.models import Group

V, C, E, D = Action.VIEW, Action.CREATE, Action.EDIT, Action.DELETE
ADV, RET, APP, EXP, ASG = (
    Action.ADVANCE,
    Action.RETREAT,
    Action.APPROVE,
    Action.EXPORT,
    Action.ASSIGN,
)

GROUP_ADMIN = "group_admin"
STEWARD = "hq_steward"
DIRECTOR = "hq_director"
BU_MANAGER = "bu_manager"
FRONT_SALES = "front_sales"
BACK_SUPPORT = "back_support"
LEGAL = "legal"
FINANCE = "finance"
DELIVERY = "delivery"
AUDITOR = "auditor"
INTEGRATION = "integration"
PRIVACY_OFFICER = "privacy_officer"

DEFAULT_ROLES = {
    GROUP_ADMIN: _("Group administrator"),
    STEWARD: _("HQ master-data steward"),
    DIRECTOR: _("HQ sales director"),
    BU_MANAGER: _("Business unit manager"),
    FRONT_SALES: _("Front-end sales"),
    BACK_SUPPORT: _("Back-end support (pre-sales, solution)"),
    LEGAL: _("Legal"),
    FINANCE: _("Finance"),
    DELIVERY: _("Delivery and service"),
    AUDITOR: _("Read-only auditor"),
    INTEGRATION: _("Integration (API key)"),
    PRIVACY_OFFICER: _("Data protection officer"),
}
# Roles normally held at group level (HQ); the others are held in one business unit.
GROUP_LEVEL_ROLES = frozenset({GROUP_ADMIN, STEWARD, DIRECTOR, AUDITOR, PRIVACY_OFFICER})
BU_READERS = (BU_MANAGER, FRONT_SALES, BACK_SUPPORT, LEGAL, FINANCE, DELIVERY, INTEGRATION)


@dataclass(frozen=True)
class RuleSpec:
    role: str
    scope: Scope
    actions: tuple[str, ...]
    stage: str = ""
    default: str = "read"
    fields: dict[str, str] = field(default_factory=dict)


def _every(
    roles: tuple[str, ...], scope: Scope, actions: tuple[str, ...], **kw: object
) -> list[RuleSpec]:
    return [RuleSpec(role, scope, actions, **kw) for role in roles]  # type: ignore[arg-type]


G, BU = Scope.GROUP, Scope.BUSINESS_UNIT
STATUS_READ = {"status": "read"}
NO_COST = {"standard_cost": "hidden"}

MATERIAL = [
    RuleSpec(GROUP_ADMIN, G, (V, C, E, D, ADV, RET, EXP), default="write", fields=STATUS_READ),
    RuleSpec(STEWARD, G, (V, C, E, D, ADV, EXP), "DRAFT", "write", STATUS_READ),
    RuleSpec(STEWARD, G, (V, E, ADV, RET, EXP), "ACTIVE", "write", STATUS_READ),
    RuleSpec(STEWARD, G, (V, E, ADV, RET, EXP), "PHASED_OUT", "write", STATUS_READ),
    RuleSpec(STEWARD, G, (V, RET, EXP), "OBSOLETE"),
    *_every((DIRECTOR, AUDITOR), G, (V, EXP)),
    *[
        RuleSpec(
            role, BU, (V, EXP) if role in (BU_MANAGER, INTEGRATION) else (V,), stage, fields=NO_COST
        )
        for role in BU_READERS
        if role != FINANCE
        for stage in ("ACTIVE", "PHASED_OUT")
    ],
    *[RuleSpec(FINANCE, BU, (V, EXP), stage) for stage in ("ACTIVE", "PHASED_OUT", "OBSOLETE")],
]

NO_ITEMS = {"items": "hidden"}
PRICE_LIST = [
    RuleSpec(GROUP_ADMIN, G, (V, C, E, D, ADV, RET, EXP), default="write", fields=STATUS_READ),
    RuleSpec(STEWARD, G, (V, C, E, D, ADV, EXP), "DRAFT", "write", STATUS_READ),
    # A live list is not rewritten: only its end date may move, and it can be retired.
    RuleSpec(STEWARD, G, (V, E, ADV, EXP), "ACTIVE", fields={"valid_to": "write"}),
    RuleSpec(STEWARD, G, (V, EXP), "RETIRED"),
    *_every((DIRECTOR, AUDITOR), G, (V, EXP)),
    *_every((BU_MANAGER, FINANCE, INTEGRATION), BU, (V, EXP), stage="ACTIVE"),
    *_every((BU_MANAGER, FINANCE), BU, (V,), stage="RETIRED"),
    *_every((FRONT_SALES, BACK_SUPPORT), BU, (V,), stage="ACTIVE"),
    *_every((LEGAL, DELIVERY), BU, (V,), stage="ACTIVE", fields=NO_ITEMS),
]

EXCHANGE_RATE = [
    RuleSpec(GROUP_ADMIN, G, (V, C, EXP)),
    RuleSpec(STEWARD, G, (V, C, EXP)),
    *_every((DIRECTOR, AUDITOR), G, (V, EXP)),
    *_every(BU_READERS, BU, (V,)),
]

LIVE_CUSTOMER = ("ACTIVE", "BLOCKED", "INACTIVE")
MERGE_POINTER = {"merged_into": "read"}  # set by a merge only
CUSTOMER = [
    *[
        RuleSpec(role, G, (V, C, E, EXP), stage, "write", MERGE_POINTER)
        for role in (GROUP_ADMIN, STEWARD)
        for stage in LIVE_CUSTOMER
    ],
    *_every((GROUP_ADMIN, STEWARD), G, (V, EXP), stage="MERGED"),
    *_every((DIRECTOR, AUDITOR), G, (V, EXP)),
    # Every BU reads the group's golden records; credit limits are for managers and finance.
    *_every((BU_MANAGER, FINANCE), BU, (V, EXP)),
    *_every(
        (FRONT_SALES, BACK_SUPPORT, LEGAL, DELIVERY, INTEGRATION),
        BU,
        (V,),
        fields={"credit_limit": "hidden"},
    ),
]

# BU people propose changes to golden records; HQ stewards decide (approve, amend, reject).
FILERS = (BU_MANAGER, FRONT_SALES, BACK_SUPPORT, LEGAL, FINANCE, DELIVERY)
CHANGE_REQUEST = [
    *_every(FILERS, Scope.OWN, (V, C)),
    RuleSpec(BU_MANAGER, BU, (V,)),
    *[
        RuleSpec(role, G, (V, APP), "PENDING", fields={"proposed": "write"})
        for role in (GROUP_ADMIN, STEWARD)
    ],
    *_every((GROUP_ADMIN, STEWARD, AUDITOR), G, (V,)),
]

SALES_POLICY = [
    *_every((GROUP_ADMIN, STEWARD), G, (V, C, E, D), default="write"),
    *_every((DIRECTOR, AUDITOR), G, (V,)),
    *_every(BU_READERS, BU, (V,)),
]

MATERIAL_CATEGORY = [
    *_every((GROUP_ADMIN, STEWARD), G, (V, C, E, D), default="write"),
    *_every((DIRECTOR, AUDITOR), G, (V,)),
    *_every(BU_READERS, BU, (V,)),
]

LOCAL_CUSTOMER = [
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V,)),
    # Managers give accounts to their owners (accountAssign); the owner is changed only so.
    RuleSpec(BU_MANAGER, BU, (V, C, E, ASG), default="write", fields={"sales_owner": "read"}),
    RuleSpec(FRONT_SALES, BU, (V, C, E), default="write", fields={"sales_owner": "read"}),
    *_every((BACK_SUPPORT, LEGAL, FINANCE, DELIVERY, INTEGRATION), BU, (V,)),
]

# Import and export jobs: what a job may touch is judged on the records, row by row; this only
# says who may start one and see it.
TRANSFER_JOB = [
    *_every((GROUP_ADMIN, STEWARD), G, (V, C)),
    RuleSpec(AUDITOR, G, (V,)),
    *_every((DIRECTOR, BU_MANAGER, FINANCE), Scope.OWN, (V, C)),
    RuleSpec(INTEGRATION, BU, (V, C)),
]

# -- the BU's sales work (#5) -----------------------------------------------------------------
OWN, TEAM = Scope.OWN, Scope.TEAM
BU_PEOPLE = (BU_MANAGER, FRONT_SALES, BACK_SUPPORT, LEGAL, FINANCE, DELIVERY)
EVERYONE = (GROUP_ADMIN, STEWARD, DIRECTOR, AUDITOR, *BU_PEOPLE)
LEAD_PERSONAL = ("first_name", "last_name", "email", "phone", "message")
CONTACT_PERSONAL = (
    "first_name",
    "last_name",
    "first_name_latin",
    "last_name_latin",
    "email",
    "phone",
    "mobile",
)


def _hide(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, "hidden")


# Status, owner and what the system records are changed by actions (qualify, assign...), not by
# editing the field.
LEAD_SYSTEM = dict.fromkeys(("status", "owner", "duplicates", "assignments", "overdue"), "read")
LEAD = [
    # HQ sees every BU's leads for the funnel, not the people behind them.
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V,), fields=_hide(*LEAD_PERSONAL)),
    RuleSpec(BU_MANAGER, BU, (V, C, E, ADV, RET, ASG, EXP), default="write", fields=LEAD_SYSTEM),
    RuleSpec(FRONT_SALES, OWN, (V, C, E, ADV, RET), default="write", fields=LEAD_SYSTEM),
    RuleSpec(BACK_SUPPORT, BU, (V,)),
    # Web forms and integrators capture leads.
    RuleSpec(INTEGRATION, BU, (V, C), default="write", fields=LEAD_SYSTEM),
]

CONTACT = [
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V,), fields=_hide(*CONTACT_PERSONAL)),
    RuleSpec(BU_MANAGER, BU, (V, C, E, D, ASG, EXP), default="write"),
    *_every((FRONT_SALES, BACK_SUPPORT), BU, (V, C)),
    *_every((FRONT_SALES, BACK_SUPPORT), OWN, (V, E, D), default="write"),
    *_every((LEGAL, FINANCE, DELIVERY), BU, (V,)),
    RuleSpec(INTEGRATION, BU, (V, C, E), default="write"),
]

ACTIVITY = [
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V,), fields=_hide("body")),
    RuleSpec(BU_MANAGER, BU, (V, C, E, D, EXP), default="write"),
    *_every((FRONT_SALES, BACK_SUPPORT, DELIVERY, LEGAL), BU, (V, C)),
    *_every((FRONT_SALES, BACK_SUPPORT, DELIVERY, LEGAL), OWN, (V, E, D), default="write"),
    RuleSpec(FINANCE, BU, (V,)),
    RuleSpec(INTEGRATION, BU, (V, C), default="write"),
]

TASK = [
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V,)),
    RuleSpec(BU_MANAGER, BU, (V, C, E, D, ADV, RET, ASG), default="write", fields=STATUS_READ),
    *_every(
        (FRONT_SALES, BACK_SUPPORT, LEGAL, FINANCE, DELIVERY),
        OWN,
        (V, C, E, ADV, RET),
        default="write",
        fields={**STATUS_READ, "owner": "read"},
    ),
    RuleSpec(INTEGRATION, BU, (V, C), default="write", fields=STATUS_READ),
]

DEAL_SYSTEM = dict.fromkeys(
    (
        "stage",
        "status",
        "owner",
        "amount_bu",
        "amount_group",
        "score",
        "probability",
        "events",
        "closed_on",
        "close_reason",
        "close_note",
        "team",
    ),
    "read",
)
OPPORTUNITY = [
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V, EXP)),
    RuleSpec(
        BU_MANAGER, BU, (V, C, E, ADV, RET, ASG, APP, EXP), default="write", fields=DEAL_SYSTEM
    ),
    # Salespeople work their own deals, and those whose account team they are on.
    RuleSpec(FRONT_SALES, OWN, (V, C, E, ADV, RET), default="write", fields=DEAL_SYSTEM),
    # Solution experts shape the offer on the deals they are on, and read the BU's others.
    RuleSpec(
        BACK_SUPPORT,
        OWN,
        (V, E),
        fields={"products": "write", "scorecard": "write", "custom_fields": "write"},
    ),
    RuleSpec(BACK_SUPPORT, BU, (V,)),
    RuleSpec(LEGAL, OWN, (V,)),
    RuleSpec(LEGAL, BU, (V,), stage="negotiation"),
    RuleSpec(FINANCE, BU, (V, EXP)),
    RuleSpec(DELIVERY, OWN, (V,)),
    RuleSpec(DELIVERY, BU, (V,), stage="won"),
    RuleSpec(INTEGRATION, BU, (V, C, E), default="write", fields=DEAL_SYSTEM),
]

BU_CONFIGURATION = [
    RuleSpec(GROUP_ADMIN, G, (V, C, E, D), default="write"),
    RuleSpec(BU_MANAGER, BU, (V, C, E, D), default="write"),
    *_every((DIRECTOR, AUDITOR), G, (V,)),
    *_every((FRONT_SALES, BACK_SUPPORT), BU, (V,)),
]

PIPELINE = [*BU_CONFIGURATION, *_every((LEGAL, FINANCE, DELIVERY, INTEGRATION), BU, (V,))]
FIELD_DEFINITION = [*BU_CONFIGURATION, *_every((LEGAL, FINANCE, DELIVERY, INTEGRATION), BU, (V,))]

# HQ (admin, sales director) defines the group's process; everyone reads it.
SALES_SETUP = [
    *_every((GROUP_ADMIN, DIRECTOR), G, (V, C, E, D), default="write"),
    *_every((STEWARD, AUDITOR), G, (V,)),
    *_every(BU_READERS, BU, (V,)),
]

CAMPAIGN = [
    *BU_CONFIGURATION,
    RuleSpec(FINANCE, BU, (V,)),
    RuleSpec(INTEGRATION, BU, (V,)),
]

NOTIFICATION = [RuleSpec(role, OWN, (V, E), default="write") for role in EVERYONE]

# Integrators report e-mails opened and links clicked; the BU's managers may too.
EXTERNAL_EVENT = [
    RuleSpec(INTEGRATION, BU, (V, C), default="write"),
    RuleSpec(BU_MANAGER, BU, (V, C), default="write"),
]

SALES_WORK: dict[str, list[RuleSpec]] = {
    "lead": LEAD,
    "contact": CONTACT,
    "activity": ACTIVITY,
    "task": TASK,
    "opportunity": OPPORTUNITY,
    "pipeline": PIPELINE,
    "sales_setup": SALES_SETUP,
    "campaign": CAMPAIGN,
    "lead_routing": BU_CONFIGURATION,
    "automation_rule": BU_CONFIGURATION,
    "field_definition": FIELD_DEFINITION,
    "notification": NOTIFICATION,
    "external_event": EXTERNAL_EVENT,
}

# -- quotes and contracts (#7) ----------------------------------------------------------------
# What actions and the system set, not edited as fields.
QUOTE_SYSTEM = dict.fromkeys(
    (
        "number",
        "version",
        "status",
        "opportunity",
        "account",
        "owner",
        "currency",
        "net_total",
        "tax_total",
        "gross_total",
        "margin",
        "max_discount",
        "approved_discount",
        "lines",
        "approvals",
        "versions",
        "document",
    ),
    "read",
)
# The margin (net minus standard cost) and a line's unit cost are for HQ, the BU's managers
# (who approve discounts against it) and finance; everyone else works on quotes without them:
# front-end sales, back-end support (the seed scenario: "never sees margin"), legal, delivery
# and integrations. Whoever sees a line's margin can work out its cost, so the two go together.
MARGIN_READERS = (GROUP_ADMIN, DIRECTOR, AUDITOR, BU_MANAGER, FINANCE)
NO_MARGIN = {"margin": "hidden"}
SENT_ON = ("SENT", "ACCEPTED", "REJECTED", "EXPIRED")
QUOTE = [
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V, EXP)),
    RuleSpec(BU_MANAGER, BU, (V, C, E, ADV, RET, APP, EXP), default="write", fields=QUOTE_SYSTEM),
    # Salespeople quote their own deals (and those whose team they are on); the margin is
    # not theirs to see.
    RuleSpec(
        FRONT_SALES, OWN, (V, C, E, ADV, RET), default="write", fields={**QUOTE_SYSTEM, **NO_MARGIN}
    ),
    # Back-end support prepares the lines (quote_line) and reads every quote of the BU.
    RuleSpec(BACK_SUPPORT, BU, (V,), fields=NO_MARGIN),
    RuleSpec(FINANCE, BU, (V, EXP)),
    # Legal reads the offers the customer holds (from sent on), as it reads deals in
    # negotiation and works on contracts from negotiation on.
    *[RuleSpec(LEGAL, BU, (V,), stage, fields=NO_MARGIN) for stage in SENT_ON],
    RuleSpec(INTEGRATION, BU, (V,), fields=NO_MARGIN),
    RuleSpec(DELIVERY, BU, (V,), stage="ACCEPTED", fields=NO_MARGIN),
]
# What a line's writer gives is its material, quantity, discount and tax code; the rest is
# priced.
QUOTE_LINE_SYSTEM = dict.fromkeys(
    ("unit_price", "price_source", "net", "gross", "unit_cost", "margin"), "read"
)
NO_COST_LINE = {"margin": "hidden", "unit_cost": "hidden"}
QUOTE_LINE = [
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V,)),
    RuleSpec(BU_MANAGER, BU, (V, C, E, D), default="write", fields=QUOTE_LINE_SYSTEM),
    # Back-end support prepares the lines (the technical solution); front-end sales may too.
    *_every(
        (BACK_SUPPORT, FRONT_SALES),
        BU,
        (V, C, E, D),
        default="write",
        fields={**QUOTE_LINE_SYSTEM, **NO_COST_LINE},
    ),
    RuleSpec(FINANCE, BU, (V,)),
    *_every((LEGAL, DELIVERY, INTEGRATION), BU, (V,), fields=NO_COST_LINE),
]
TAX_RATE = [
    *BU_CONFIGURATION,
    RuleSpec(FINANCE, BU, (V, C, E), default="write"),
    *_every((LEGAL, DELIVERY, INTEGRATION), BU, (V,)),
]
CONTRACT_SYSTEM = dict.fromkeys(
    (
        "number",
        "status",
        "quote",
        "opportunity",
        "account",
        "owner",
        "currency",
        "net_total",
        "tax_total",
        "total",
        "discount",
        "amount_group",
        "payment_plan",
        "approvals",
        "events",
        "signed_on",
        "signed_by",
    ),
    "read",
)
CONTRACT_STAGES = ("negotiation", "in_approval", "approved", "signed", "cancelled")
CONTRACT = [
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V, EXP)),
    RuleSpec(BU_MANAGER, BU, (V, C, E, ADV, RET, EXP), default="write", fields=CONTRACT_SYSTEM),
    RuleSpec(FRONT_SALES, OWN, (V, C, E, ADV), default="write", fields=CONTRACT_SYSTEM),
    RuleSpec(BACK_SUPPORT, OWN, (V,)),
    # Legal from negotiation on: writes the terms while they are negotiated.
    RuleSpec(LEGAL, BU, (V, E), stage="negotiation", fields={"terms": "write"}),
    *[RuleSpec(LEGAL, BU, (V,), stage) for stage in CONTRACT_STAGES[1:]],
    # Finance and delivery (service) from signed on: the payment plan, the work to do.
    RuleSpec(FINANCE, BU, (V, EXP), stage="signed"),
    RuleSpec(DELIVERY, BU, (V,), stage="signed"),
    RuleSpec(INTEGRATION, BU, (V,), stage="signed"),
]
# Whoever the BU's flows name decides (checked by the flow); the policy says who may approve at
# all, and managers may hand someone's approvals to a delegate.
APPROVAL = [
    *_every((GROUP_ADMIN, DIRECTOR), G, (V, APP)),
    RuleSpec(AUDITOR, G, (V,)),
    RuleSpec(BU_MANAGER, BU, (V, APP, ASG)),
    *_every((FRONT_SALES, BACK_SUPPORT, LEGAL, FINANCE, DELIVERY), BU, (V, APP)),
]
QUOTES_AND_CONTRACTS: dict[str, list[RuleSpec]] = {
    "quote": QUOTE,
    "quote_line": QUOTE_LINE,
    "tax_rate": TAX_RATE,
    "contract": CONTRACT,
    "approval": APPROVAL,
    "approval_flow": [*BU_CONFIGURATION, *_every((LEGAL, FINANCE), BU, (V,))],
}

ADMINISTRATION = {
    "policy": [RuleSpec(GROUP_ADMIN, G, (V, E), default="write"), RuleSpec(AUDITOR, G, (V,))],
    "api_key": [RuleSpec(GROUP_ADMIN, G, (V, C, D), default="write"), RuleSpec(AUDITOR, G, (V,))],
    "membership": [
        RuleSpec(GROUP_ADMIN, G, (V, C, D), default="write"),
        RuleSpec(AUDITOR, G, (V,)),
        RuleSpec(BU_MANAGER, BU, (V,)),
    ],
    "audit_entry": [RuleSpec(AUDITOR, G, (V, EXP)), RuleSpec(GROUP_ADMIN, G, (V,))],
    # Moving a business unit to another region (crm.regions.moves); edit is cancelling.
    "region_move": [RuleSpec(GROUP_ADMIN, G, (V, C, E)), RuleSpec(AUDITOR, G, (V,))],
    # Replication between the cells: versions, lag and refused batches (crm.replication).
    "replication": [RuleSpec(GROUP_ADMIN, G, (V,))],
    # People's names and e-mail are personal data. (A user name is set once: userUpdate has no
    # argument for it.)
    "user": [
        RuleSpec(GROUP_ADMIN, G, (V, C, E), default="write"),
        RuleSpec(AUDITOR, G, (V,)),
        RuleSpec(BU_MANAGER, BU, (V,)),
        *_every(
            (FRONT_SALES, BACK_SUPPORT, LEGAL, FINANCE, DELIVERY),
            BU,
            (V,),
            fields={"email": "hidden", "memberships": "hidden"},
        ),
    ],
    # BU managers organise their own BU's teams.
    "team": [
        RuleSpec(GROUP_ADMIN, G, (V, C, E, D), default="write"),
        RuleSpec(BU_MANAGER, BU, (V, C, E, D), default="write"),
        RuleSpec(AUDITOR, G, (V,)),
        *_every((DIRECTOR,), G, (V,)),
        *_every((FRONT_SALES, BACK_SUPPORT, LEGAL, FINANCE, DELIVERY), BU, (V,)),
    ],
}

# -- orders, invoices, credit notes, payments (#7) ---------------------------------------------
# HQ reads every BU's documents; the BU's back office and managers enter and confirm orders,
# delivery records what left, finance writes invoices, credit notes and payments; salespeople
# read the documents of the customers they look after (the own scope reaches a document through
# its account's sales owner); integrators (ERP, bank import) create orders and report payments.
LEDGER_HQ = _every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V, EXP))
ORDER_SYSTEM = dict.fromkeys(
    (
        "number",
        "owner",
        "status",
        "confirmed",
        "net_total",
        "tax_total",
        "taxes",
        "total",
        "total_group",
        "conversion",
        "invoiced_amount",
        "invoices",
    ),
    "read",
)
ORDER = [
    *LEDGER_HQ,
    RuleSpec(BU_MANAGER, BU, (V, C, E, ADV, RET, EXP), default="write", fields=ORDER_SYSTEM),
    RuleSpec(BACK_SUPPORT, BU, (V, C, E, ADV), default="write", fields=ORDER_SYSTEM),
    RuleSpec(FRONT_SALES, OWN, (V,)),
    # Finance confirms orders (credit control) and cancels them.
    RuleSpec(FINANCE, BU, (V, ADV, RET, EXP)),
    RuleSpec(DELIVERY, BU, (V, E), fields={"deliveries": "write"}),
    RuleSpec(INTEGRATION, BU, (V, C, E, ADV), default="write", fields=ORDER_SYSTEM),
]
INVOICE_SYSTEM = dict.fromkeys(
    (
        "number",
        "account",
        "owner",
        "status",
        "issue_date",
        "due_date",
        "payment_terms",
        "net_total",
        "tax_total",
        "taxes",
        "total",
        "total_group",
        "conversion",
        "credited_amount",
        "paid_amount",
        "open_amount",
        "open_amount_group",
        "credit_notes",
        "allocations",
        "document",
    ),
    "read",
)
INVOICE = [
    *LEDGER_HQ,
    RuleSpec(FINANCE, BU, (V, C, E, ADV, RET, EXP), default="write", fields=INVOICE_SYSTEM),
    RuleSpec(BU_MANAGER, BU, (V, EXP)),
    RuleSpec(FRONT_SALES, OWN, (V,)),
    RuleSpec(INTEGRATION, BU, (V,)),
]
CREDIT_NOTE = [
    *LEDGER_HQ,
    RuleSpec(
        FINANCE,
        BU,
        (V, C, EXP),
        default="write",
        fields=dict.fromkeys(
            (
                "number",
                "account",
                "owner",
                "net_amount",
                "tax_amount",
                "taxes",
                "amount_group",
                "conversion",
            ),
            "read",
        ),
    ),
    RuleSpec(BU_MANAGER, BU, (V, EXP)),
    RuleSpec(FRONT_SALES, OWN, (V,)),
    RuleSpec(INTEGRATION, BU, (V,)),
]
PAYMENT_SYSTEM = dict.fromkeys(
    ("number", "owner", "amount_group", "conversion", "allocated_amount", "unallocated_amount"),
    "read",
)
PAYMENT = [
    *LEDGER_HQ,
    RuleSpec(FINANCE, BU, (V, C, E, EXP), default="write", fields=PAYMENT_SYSTEM),
    RuleSpec(BU_MANAGER, BU, (V, EXP)),
    RuleSpec(FRONT_SALES, OWN, (V,)),
    RuleSpec(
        INTEGRATION, BU, (V, C), default="write", fields={**PAYMENT_SYSTEM, "allocations": "read"}
    ),
]
# Events to the ERP and finance (webhooks) and their endpoints: the BU's managers configure the
# endpoints and send events again (edit); integrators read what was sent and may ask for it
# again; finance and HQ's auditors read.
INTEGRATION_EVENT = [
    RuleSpec(GROUP_ADMIN, G, (V, E)),
    RuleSpec(AUDITOR, G, (V,)),
    *_every((BU_MANAGER, INTEGRATION), BU, (V, E)),
    RuleSpec(FINANCE, BU, (V,)),
]
INTEGRATION_ENDPOINT = [
    RuleSpec(GROUP_ADMIN, G, (V, C, E), default="write"),
    RuleSpec(AUDITOR, G, (V,)),
    RuleSpec(BU_MANAGER, BU, (V, C, E), default="write"),
    *_every((FINANCE, INTEGRATION), BU, (V,)),
]
LEDGER: dict[str, list[RuleSpec]] = {
    "order": ORDER,
    "invoice": INVOICE,
    "credit_note": CREDIT_NOTE,
    "payment": PAYMENT,
    "integration_event": INTEGRATION_EVENT,
    "integration_endpoint": INTEGRATION_ENDPOINT,
}

# Credit control (#7): finance releases the orders credit control holds (approve a waiting
# hold); the BU's managers and HQ see the holds, the releases and a customer's group-wide
# exposure (`customerCreditExposure` needs the holds' view).
CREDIT_CONTROL: dict[str, list[RuleSpec]] = {
    "credit_hold": [
        *LEDGER_HQ,
        RuleSpec(FINANCE, BU, (V, APP, EXP), stage="WAITING"),
        RuleSpec(FINANCE, BU, (V, EXP)),
        RuleSpec(BU_MANAGER, BU, (V, EXP)),
    ],
    "credit_release": [
        *LEDGER_HQ,
        RuleSpec(FINANCE, BU, (V, EXP)),
        RuleSpec(BU_MANAGER, BU, (V, EXP)),
    ],
}

# Group-wide views across the cells (pipeline, lead sources, receivables, channel ROI, customer
# distribution, RFM segments, receivables aging): aggregates only, for HQ's directors and the
# group's administrators; the group's finance (a finance role held in the HQ BU) sees the money
# owed and the customers' value.
GROUP_VIEW = [
    *_every((GROUP_ADMIN, DIRECTOR), G, (V, EXP)),
    RuleSpec(
        FINANCE,
        BU,
        (V, EXP),
        default="hidden",
        fields=dict.fromkeys(("receivables", "receivables_aging", "rfm"), "read"),
    ),
]

# The BU's dashboards (crm.tenants.insights): the scope of a rule is how far its figures reach
# (own: the customers one looks after), always within the records one may view. Managers and HQ
# see them all; finance the customers' value and distribution; salespeople their own customers'
# (the channel ROI weighs the BU's campaign budget: not theirs).
NO_ROI = {"channel_roi": "hidden"}
INSIGHT = [
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V, EXP)),
    RuleSpec(BU_MANAGER, BU, (V, EXP)),
    RuleSpec(FINANCE, BU, (V, EXP), fields=NO_ROI),
    RuleSpec(FRONT_SALES, OWN, (V,), fields=NO_ROI),
]

# -- targets and sales dashboards (#7) ---------------------------------------------------------
# Managers set the BU's targets; salespeople see their own and their teams' (and team leads
# those of their people: the team scope); HQ and finance read them. Subject, period and metric
# are chosen when a target is set: changing them is setting another target.
TARGET_SYSTEM = dict.fromkeys(("set_by", "updated_at"), "read")
TARGET = [
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V, EXP)),
    RuleSpec(BU_MANAGER, BU, (V, C, E, D, EXP), default="write", fields=TARGET_SYSTEM),
    *_every((FRONT_SALES, BACK_SUPPORT), OWN, (V,)),
    RuleSpec(FRONT_SALES, TEAM, (V,)),
    RuleSpec(FINANCE, BU, (V, EXP)),
]
# The BU's funnel (over the deals one may view) and leaderboard (everybody of the BU ranked).
SALES_DASHBOARD = [
    *_every((GROUP_ADMIN, DIRECTOR, AUDITOR), G, (V, EXP)),
    RuleSpec(BU_MANAGER, BU, (V, EXP)),
    RuleSpec(FRONT_SALES, BU, (V,)),
    RuleSpec(BACK_SUPPORT, BU, (V,), fields={"leaderboard": "hidden"}),
    RuleSpec(FINANCE, BU, (V,)),
]
PERFORMANCE: dict[str, list[RuleSpec]] = {"target": TARGET, "sales_dashboard": SALES_DASHBOARD}

# Data-subject rights in each cell (crm.regions.privacy): the data protection officer and the
# group's administrators handle requests and retention; auditors see that they were handled,
# not whom they were about. Consents are recorded by those who work with the people.
PRIVACY = {
    "data_subject_request": [
        *_every((PRIVACY_OFFICER, GROUP_ADMIN), G, (V, C, E, EXP), default="write"),
        RuleSpec(AUDITOR, G, (V,), fields={"identifier": "hidden"}),
    ],
    "retention_policy": [
        *_every((PRIVACY_OFFICER, GROUP_ADMIN), G, (V, C, E, D), default="write"),
        RuleSpec(AUDITOR, G, (V,)),
    ],
    "consent": [
        *_every((PRIVACY_OFFICER, GROUP_ADMIN, AUDITOR), G, (V,)),
        *_every((BU_MANAGER, FRONT_SALES, INTEGRATION), BU, (V, C), default="write"),
        *_every((BACK_SUPPORT, LEGAL, FINANCE, DELIVERY), BU, (V,)),
    ],
}

DEFAULT_POLICY: dict[str, list[RuleSpec]] = {
    "material": MATERIAL,
    "price_list": PRICE_LIST,
    "exchange_rate": EXCHANGE_RATE,
    "customer": CUSTOMER,
    "change_request": CHANGE_REQUEST,
    "local_customer": LOCAL_CUSTOMER,
    "sales_policy": SALES_POLICY,
    "material_category": MATERIAL_CATEGORY,
    "transfer_job": TRANSFER_JOB,
    **SALES_WORK,
    **QUOTES_AND_CONTRACTS,
    **ADMINISTRATION,
    **PRIVACY,
    "group_view": GROUP_VIEW,
    "insight": INSIGHT,
    **LEDGER,
    **CREDIT_CONTROL,
    **PERFORMANCE,
}


def install_default_roles(group: Group) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for code, label in DEFAULT_ROLES.items():
        names = {}
        for language in SUPPORTED:
            with override(language):
                names[f"name_{language.replace('-', '_')}"] = str(label)
        with override("en"):
            role, _created = Role.objects.get_or_create(
                group=group, code=code, defaults={"name": str(label), **names}
            )
        roles[code] = role
    return roles


def _default_rules(
    version: PolicyVersion, roles: dict[str, Role], object_types: list[str]
) -> list[PolicyRule]:
    return [
        PolicyRule(
            version=version,
            object_type=object_type,
            role=roles[spec.role],
            stage=spec.stage,
            scope=spec.scope,
            actions=list(spec.actions),
            default_field_mode=spec.default,
            field_modes=dict(spec.fields),
        )
        for object_type in object_types
        for spec in DEFAULT_POLICY[object_type]
    ]


@transaction.atomic
def install_default_policy(group: Group) -> PolicyVersion:
    """Roles and policy of a group: the defaults for a new group; for a group with a policy,
    a new version that adds the default rules of object types its policy does not know yet
    (types a release added). Rules the group has for known types are never touched.

    Run for every group of a cell on each deployment (`migrate_cell` does), so a new type is
    usable at once, as the defaults say, until the group's admin changes it.
    """
    roles = install_default_roles(group)
    current = PolicyVersion.objects.select_for_update().filter(group=group, active=True).first()
    if current is None:
        version = PolicyVersion.objects.create(
            group=group, number=1, active=True, note="default policy"
        )
        PolicyRule.objects.bulk_create(_default_rules(version, roles, list(DEFAULT_POLICY)))
        return version
    known = set(PolicyRule.objects.filter(version=current).values_list("object_type", flat=True))
    missing = [object_type for object_type in DEFAULT_POLICY if object_type not in known]
    if not missing:
        return current
    kept = list(PolicyRule.objects.filter(version=current))
    return current.succeed(
        [*kept, *_default_rules(current, roles, missing)],
        note=f"default rules for new object types: {', '.join(missing)}",
    )
