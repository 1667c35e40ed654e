"""The business unit's field configuration: custom field definitions and required built-ins.

Who: the policy's `field_definition` type (BU managers and group admins write, the BU's other
roles read). Every refusal is typed and changes nothing:
- INVALID_ARGUMENT: a bad record type, code, kind, label, option, validation rule, stage, or a
  change of kind;
- ALREADY_EXISTS: the code is taken for that record type (by an active or inactive field);
- UNKNOWN_CURRENCY / UNKNOWN_LANGUAGE: a fixed currency or a label language that does not exist;
- IN_USE: removing an option that records still hold;
- NOT_FOUND: no such field (or requirement) in this business unit.

Validation rules apply to values written afterwards; stored values are kept as they are.
Deactivating a field keeps its values in the records; it is then neither shown nor accepted,
and a required or filterable deactivated field is neither required nor indexed.
"""

from __future__ import annotations

import datetime
import importlib
import logging
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Max
from kombu.exceptions import KombuError
from modeltranslation.utils import build_localized_fieldname

from crm.i18n import languages
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.core.money import currency as known_currency
from crm.platform.permissions.engine import Access
from crm.platform.permissions.vocabulary import Action
from crm.tenants.customfields.access import FIELD_DEFINITION
from crm.tenants.customfields.indexes import CODE_PATTERN, MODELS, RANGE_KINDS
from crm.tenants.customfields.models import (
    CustomRecordType,
    FieldDefinition,
    FieldKind,
    FieldRequirement,
)
from crm.tenants.customfields.services import (
    LEAD_STAGE_ORDER,
    MAX_CHOICES,
    NUMBER_DECIMALS,
    NUMBER_LIMIT,
    REQUIRABLE,
    TEXT_CAP,
)

LABEL_LENGTH = 200
HELP_LENGTH = 500
PATTERN_LENGTH = 300
MAX_DEFINITIONS = 200  # per record type, active or not: forms and caches stay small
OPTION_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
CHOICE_KINDS = (FieldKind.CHOICE, FieldKind.MULTI_CHOICE)
UNSET: Any = object()

_sre: Any = importlib.import_module("re._parser")
logger = logging.getLogger(__name__)


def _invalid(field: str, reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field=field, reason=reason)


# -- checks ------------------------------------------------------------------------------------


def checked_record_type(record_type: str) -> str:
    if record_type not in CustomRecordType.values:
        raise _invalid("recordType", f"one of {', '.join(CustomRecordType.values)}")
    return record_type


def checked_code(code: str) -> str:
    code = (code or "").strip()
    if not CODE_PATTERN.fullmatch(code):
        raise _invalid(
            "code", "1 to 40 lower-case letters, digits or underscores, starting with a letter"
        )
    return code


def checked_kind(kind: str) -> str:
    if kind not in FieldKind.values:
        raise _invalid("kind", f"one of {', '.join(FieldKind.values)}")
    return kind


def checked_texts(
    texts: Mapping[str, str], *, field: str, limit: int, needed: bool
) -> dict[str, str]:
    """{language: text}, languages supported, texts trimmed and capped; one at least if
    `needed`."""
    result: dict[str, str] = {}
    for language, text in texts.items():
        code = languages.supported(language)
        if code is None or code != language:
            raise CrmError(ErrorCode.UNKNOWN_LANGUAGE, field=field, language=language)
        text = (text or "").strip()
        if len(text) > limit:
            raise _invalid(field, f"at most {limit} characters")
        result[code] = text
    if needed and not any(result.values()):
        raise _invalid(field, "give a text in one language at least")
    return result


def checked_options(kind: str, options: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    given = list(options or [])
    if kind not in CHOICE_KINDS:
        if given:
            raise _invalid("options", "only choice and multiple-choice fields have options")
        return []
    if not given:
        raise _invalid("options", "a choice field needs options")
    if len(given) > MAX_CHOICES:
        raise _invalid("options", f"at most {MAX_CHOICES} options")
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for option in given:
        code = str(option.get("code") or "").strip()
        if not OPTION_CODE.fullmatch(code):
            raise _invalid("options", f"option code {code!r}: 1 to 40 letters, digits, _ or -")
        if code in seen:
            raise _invalid("options", f"option code {code} given twice")
        seen.add(code)
        labels = checked_texts(
            option.get("labels") or {}, field="options", limit=LABEL_LENGTH, needed=True
        )
        result.append({"code": code, "labels": {k: v for k, v in labels.items() if v}})
    return result


def _nested_repeat(pattern: Any, inside: bool = False) -> bool:
    """Whether a regular expression repeats something of variable length itself (`(a+)+`,
    `([a-z]+)*@`, `(a?){2,}`), or refers back to a group: the shapes that backtrack
    catastrophically. Fixed counts inside (`(ab{3})+`) are fine."""
    for op, av in pattern:
        name = str(op)
        if name in ("GROUPREF", "GROUPREF_EXISTS"):
            return True
        repeat = name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
        repeats = repeat and av[1] > 1
        if repeat and inside and av[1] != av[0]:  # a variable count inside a repetition
            return True
        for child in _children(av):
            if _nested_repeat(child, inside or repeats):
                return True
    return False


def _children(av: Any) -> Iterable[Any]:
    if isinstance(av, _sre.SubPattern):
        yield av
    elif isinstance(av, (tuple, list)):
        for item in av:
            if isinstance(item, _sre.SubPattern):
                yield item
            elif isinstance(item, list):
                yield from (sub for sub in item if isinstance(sub, _sre.SubPattern))


def checked_pattern(pattern: str) -> str:
    pattern = pattern or ""
    if not pattern:
        return ""
    if len(pattern) > PATTERN_LENGTH:
        raise _invalid("validation.pattern", f"at most {PATTERN_LENGTH} characters")
    try:
        re.compile(pattern)
        parsed = _sre.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        raise _invalid("validation.pattern", "not a valid regular expression") from None
    if _nested_repeat(parsed):
        raise _invalid(
            "validation.pattern",
            "nested repetitions and back-references are not allowed (they can take forever)",
        )
    return pattern


def _limit(value: Any, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise _invalid(field, "a decimal number") from None
    exponent = number.normalize().as_tuple().exponent
    if (
        not number.is_finite()
        or abs(number) >= NUMBER_LIMIT
        or (isinstance(exponent, int) and exponent < -NUMBER_DECIMALS)
    ):
        raise _invalid(field, "a number below 10^15 in magnitude, at most 4 decimal places")
    return number


def _day(value: Any, field: str) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise _invalid(field, "a date (YYYY-MM-DD)") from None


def apply_validation(definition: FieldDefinition, validation: Mapping[str, Any]) -> None:
    """Set the validation rules that fit the kind; a rule for another kind is refused."""
    kind = definition.kind
    allowed = {
        FieldKind.TEXT: {"max_length", "pattern"},
        FieldKind.NUMBER: {"minimum", "maximum"},
        FieldKind.MONEY: {"minimum", "maximum", "currency"},
        FieldKind.DATE: {"min_date", "max_date"},
    }.get(FieldKind(kind), set())
    for name, value in validation.items():
        if value is not None and value != "" and name not in allowed:
            raise _invalid(f"validation.{name}", f"not a rule for {kind} fields")
    max_length = validation.get("max_length")
    if max_length is not None and (
        not isinstance(max_length, int) or not 1 <= max_length <= TEXT_CAP
    ):
        raise _invalid("validation.maxLength", f"from 1 to {TEXT_CAP}")
    minimum = _limit(validation.get("minimum"), "validation.minimum")
    maximum = _limit(validation.get("maximum"), "validation.maximum")
    if kind == FieldKind.MONEY and minimum is not None and minimum < 0:
        raise _invalid("validation.minimum", "amounts are never negative")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise _invalid("validation.maximum", "at least the minimum")
    min_date = _day(validation.get("min_date"), "validation.minDate")
    max_date = _day(validation.get("max_date"), "validation.maxDate")
    if min_date and max_date and min_date > max_date:
        raise _invalid("validation.maxDate", "on or after the minimum date")
    currency_code = str(validation.get("currency") or "").strip().upper()
    if currency_code:
        known_currency(currency_code, field="validation.currency")
    definition.max_length = int(max_length) if max_length is not None else None
    definition.pattern = checked_pattern(str(validation.get("pattern") or ""))
    definition.minimum, definition.maximum = minimum, maximum
    definition.min_date, definition.max_date = min_date, max_date
    definition.currency = currency_code


def checked_stage(record_type: str, stage: str, *, field: str) -> str:
    """ "" (always), or a stage the record type goes through in this BU."""
    stage = (stage or "").strip()
    if not stage:
        return ""
    if record_type == "lead":
        if stage not in LEAD_STAGE_ORDER:
            raise _invalid(field, f"a lead status: {', '.join(LEAD_STAGE_ORDER)}")
        return stage
    if record_type == "opportunity":
        from crm.tenants.opportunities.models import Stage

        if not Stage.objects.filter(code=stage).exists():
            raise _invalid(field, f"no pipeline of this business unit has the stage {stage}")
        return stage
    raise _invalid(field, f"{record_type} records have no stages")


def _required(definition: FieldDefinition, required: bool, from_stage: str) -> None:
    if required and from_stage:
        raise _invalid("requiredFromStage", "a field is required always or from a stage")
    definition.required = bool(required)
    definition.required_from_stage = checked_stage(
        definition.record_type, from_stage, field="requiredFromStage"
    )


def _filterable(definition: FieldDefinition, filterable: bool) -> None:
    if filterable and definition.kind not in RANGE_KINDS:
        raise _invalid(
            "filterable",
            "only number and date fields are marked filterable (for range filters); "
            "every field can be filtered by equality",
        )
    definition.filterable = bool(filterable)


def _set_texts(definition: FieldDefinition, field: str, texts: Mapping[str, str]) -> None:
    for language, text in texts.items():
        setattr(definition, build_localized_fieldname(field, language), text)


def _schedule_index(definition: FieldDefinition, before: bool) -> None:
    """After commit, have the worker build or drop the range index (see indexes.py)."""
    from crm.tenants.customfields.indexes import wanted
    from crm.tenants.customfields.tasks import sync_index_task

    if before or wanted(definition):
        record_type, code = definition.record_type, definition.code

        def send() -> None:
            try:
                sync_index_task.delay(record_type, code)
            except KombuError:  # the definition is saved; the BU installer repairs the index
                logger.warning("custom field index of %s.%s not scheduled", record_type, code)

        transaction.on_commit(send)


# -- definitions -------------------------------------------------------------------------------


def define(
    *,
    access: Access,
    record_type: str,
    code: str,
    kind: str,
    labels: Mapping[str, str],
    help_texts: Mapping[str, str] | None = None,
    options: Iterable[Mapping[str, Any]] | None = None,
    validation: Mapping[str, Any] | None = None,
    required: bool = False,
    required_from_stage: str = "",
    position: int | None = None,
    filterable: bool = False,
) -> FieldDefinition:
    written = ["record_type", "code", "label", "kind", "position", "active"]
    written += ["help_text"] if help_texts else []
    written += ["options"] if options else []
    written += ["validation"] if validation else []
    written += ["required"] if required else []
    written += ["required_from_stage"] if required_from_stage else []
    written += ["filterable"] if filterable else []
    access.require(Action.CREATE, FIELD_DEFINITION, written)
    definition = FieldDefinition(
        record_type=checked_record_type(record_type),
        code=checked_code(code),
        kind=checked_kind(kind),
    )
    _set_texts(
        definition, "label", checked_texts(labels, field="labels", limit=LABEL_LENGTH, needed=True)
    )
    _set_texts(
        definition,
        "help_text",
        checked_texts(help_texts or {}, field="helpTexts", limit=HELP_LENGTH, needed=False),
    )
    definition.options = checked_options(definition.kind, options)
    apply_validation(definition, validation or {})
    _filterable(definition, filterable)
    if position is not None and position < 0:
        raise _invalid("position", "0 or more")
    with transaction.atomic():
        _required(definition, required, required_from_stage)
        taken = FieldDefinition.objects.select_for_update().filter(
            record_type=definition.record_type, code=definition.code
        )
        if taken.exists():
            raise CrmError(
                ErrorCode.ALREADY_EXISTS,
                field="code",
                object=FIELD_DEFINITION.name,
                value=definition.code,
            )
        if (
            FieldDefinition.objects.filter(record_type=definition.record_type).count()
            >= MAX_DEFINITIONS
        ):
            raise _invalid("code", f"at most {MAX_DEFINITIONS} fields per record type")
        if position is None:
            last = FieldDefinition.objects.filter(record_type=definition.record_type).aggregate(
                last=Max("position")
            )["last"]
            position = 0 if last is None else last + 10
        definition.position = position
        try:
            with transaction.atomic():
                definition.save()
        except IntegrityError:  # defined at the same moment by someone else
            raise CrmError(
                ErrorCode.ALREADY_EXISTS,
                field="code",
                object=FIELD_DEFINITION.name,
                value=definition.code,
            ) from None
        _schedule_index(definition, before=False)
    return definition


def definition_of(access: Access, record_type: str, code: str, *, lock: bool) -> FieldDefinition:
    queryset = access.visible(
        FIELD_DEFINITION,
        FieldDefinition.objects.filter(record_type=checked_record_type(record_type), code=code),
    )
    found = (queryset.select_for_update() if lock else queryset).first()
    if found is None:
        raise CrmError(
            ErrorCode.NOT_FOUND, field="code", object=FIELD_DEFINITION.name, id=str(code)
        )
    return found


def _records_holding(definition: FieldDefinition, option: str) -> bool:
    model = apps.get_model(MODELS[definition.record_type])
    value: Any = option if definition.kind == FieldKind.CHOICE else [option]
    return bool(model.objects.filter(custom__contains={definition.code: value}).exists())


def update(
    *,
    access: Access,
    record_type: str,
    code: str,
    kind: str | None = None,
    labels: Mapping[str, str] | None = None,
    help_texts: Mapping[str, str] | None = None,
    options: Iterable[Mapping[str, Any]] | None = None,
    validation: Mapping[str, Any] | None = None,
    required: bool | None = None,
    required_from_stage: str | None = None,
    position: int | None = None,
    filterable: bool | None = None,
) -> FieldDefinition:
    """Change what is given; options are replaced by the list given (new ones added, labels
    changed; a removed option still held by a record is IN_USE)."""
    changed = {
        "label": labels,
        "help_text": help_texts,
        "options": options,
        "validation": validation,
        "required": required,
        "required_from_stage": required_from_stage,
        "position": position,
        "filterable": filterable,
    }
    with transaction.atomic():
        definition = definition_of(access, record_type, code, lock=True)
        access.require(
            Action.EDIT, definition, [name for name, value in changed.items() if value is not None]
        )
        if kind is not None and kind != definition.kind:
            raise _invalid("kind", "the kind of a field is never changed: define a new field")
        if labels is not None:
            texts = checked_texts(labels, field="labels", limit=LABEL_LENGTH, needed=False)
            _set_texts(definition, "label", texts)
            if not any(
                getattr(definition, build_localized_fieldname("label", language))
                for language in languages.SUPPORTED
            ):
                raise _invalid("labels", "give a text in one language at least")
        if help_texts is not None:
            texts = checked_texts(help_texts, field="helpTexts", limit=HELP_LENGTH, needed=False)
            _set_texts(definition, "help_text", texts)
        if options is not None:
            new = checked_options(definition.kind, options)
            kept = {option["code"] for option in new}
            for removed in [c for c in _option_codes(definition) if c not in kept]:
                if _records_holding(definition, removed):
                    raise CrmError(
                        ErrorCode.IN_USE,
                        field="options",
                        object=FIELD_DEFINITION.name,
                        id=f"{definition.code}.{removed}",
                    )
            definition.options = new
        if validation is not None:
            apply_validation(definition, validation)
        if required is not None or required_from_stage is not None:
            _required(
                definition,
                definition.required if required is None else required,
                definition.required_from_stage
                if required_from_stage is None
                else required_from_stage,
            )
        if position is not None:
            if position < 0:
                raise _invalid("position", "0 or more")
            definition.position = position
        indexed_before = definition.filterable and definition.active
        if filterable is not None:
            _filterable(definition, filterable)
        definition.save()
        _schedule_index(definition, before=indexed_before)
    return definition


def _option_codes(definition: FieldDefinition) -> list[str]:
    return [str(option.get("code")) for option in definition.options or []]


def set_active(*, access: Access, record_type: str, code: str, active: bool) -> FieldDefinition:
    with transaction.atomic():
        definition = definition_of(access, record_type, code, lock=True)
        access.require(Action.EDIT, definition, ["active"])
        indexed_before = definition.filterable and definition.active
        if definition.active != active:
            definition.active = active
            definition.save(update_fields=["active"])
        _schedule_index(definition, before=indexed_before)
    return definition


def listed(access: Access, record_type: str | None) -> list[FieldDefinition]:
    access.require_some(Action.VIEW, FIELD_DEFINITION)
    queryset = FieldDefinition.objects.all()
    if record_type is not None:
        queryset = queryset.filter(record_type=checked_record_type(record_type))
    return list(access.visible(FIELD_DEFINITION, queryset).order_by("record_type", "position"))


# -- required built-in fields ------------------------------------------------------------------


def checked_builtin(record_type: str, field: str) -> str:
    requirable = REQUIRABLE[checked_record_type(record_type)]
    if field not in requirable:
        raise _invalid(
            "field", f"an optional field of {record_type}: {', '.join(sorted(requirable))}"
        )
    return field


def requirements(access: Access, record_type: str | None) -> list[FieldRequirement]:
    access.require_some(Action.VIEW, FIELD_DEFINITION)
    queryset = FieldRequirement.objects.all()
    if record_type is not None:
        queryset = queryset.filter(record_type=checked_record_type(record_type))
    return list(queryset.order_by("record_type", "field"))


def requirement_set(
    *, access: Access, record_type: str, field: str, from_stage: str = ""
) -> FieldRequirement:
    """Require a built-in field always ("") or from a stage; replaces the field's requirement."""
    access.require(Action.EDIT, FIELD_DEFINITION, ["required", "required_from_stage"])
    field = checked_builtin(record_type, field)
    stage = checked_stage(record_type, from_stage, field="fromStage")
    with transaction.atomic():
        FieldRequirement.objects.filter(record_type=record_type, field=field).exclude(
            from_stage=stage
        ).delete()
        requirement, _created = FieldRequirement.objects.get_or_create(
            record_type=record_type, field=field, from_stage=stage
        )
    return requirement


def requirement_remove(*, access: Access, record_type: str, field: str) -> None:
    access.require(Action.EDIT, FIELD_DEFINITION, ["required", "required_from_stage"])
    field = checked_builtin(record_type, field)
    deleted, _ = FieldRequirement.objects.filter(record_type=record_type, field=field).delete()
    if not deleted:
        raise CrmError(
            ErrorCode.NOT_FOUND, field="field", object="field requirement", id=f"{field}"
        )
