"""What makes two customer records the same company: normalized tax ids and names.

Tax ids are validated and compacted with python-stdnum in the format of the customer's country
(EU VAT numbers with their country prefix, China's unified social credit code, Japan's corporate
number, the US EIN); other countries get a compact upper-case form without a checksum test.
Names are compared without case, punctuation, width variants or legal-form words ("GmbH",
"Co., Ltd.", "株式会社", "有限公司"), so that "Bosch GmbH" and "BOSCH" meet.
"""

from __future__ import annotations

import re
import unicodedata
from types import ModuleType

import pycountry
from stdnum import util as stdnum_util
from stdnum.cn import uscc
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.jp import cn as jp_corporate_number
from stdnum.us import ein

from crm.platform.core.errors import CrmError, ErrorCode

# Countries whose registration number has a known format, and the module that checks it.
_BY_COUNTRY: dict[str, ModuleType] = {
    "CN": uscc,
    "JP": jp_corporate_number,
    "US": ein,
}
_LEGAL_FORMS = (
    "gmbh & co kg|gmbh & co. kg|gmbh|mbh|ag|kgaa|kg|ohg|se|e.k.|co., ltd.|co. ltd.|co ltd|co.,ltd."
    "|ltd.|ltd|limited|inc.|inc|corp.|corp|corporation|llc|l.l.c.|plc|s.a.|sa|s.a.s.|sas|srl"
    "|s.r.l.|b.v.|bv|n.v.|nv|k.k.|kk|pte|pty|company|co."
)
_LEGAL_FORM_WORDS = re.compile(
    r"(?<![\w])(" + "|".join(re.escape(f) for f in _LEGAL_FORMS.split("|")) + r")(?![\w])"
)
# Legal forms written without spaces in Chinese and Japanese names.
_CJK_FORMS = re.compile(
    "股份有限公司|有限责任公司|有限公司|集团公司|株式会社|有限会社|合同会社|公司"
)
_NOT_WORD = re.compile(r"[\W_]+")


def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 code, or INVALID_ARGUMENT."""
    code = (value or "").strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise CrmError(
            ErrorCode.INVALID_ARGUMENT, field="country", reason=f"{value!r} is not ISO 3166-1"
        )
    return code


def tax_id(country: str, value: str) -> str:
    """The tax or registration id in its country's compact form; INVALID_TAX_ID if it fails."""
    raw = (value or "").strip()
    if not raw:
        return ""
    module = _BY_COUNTRY.get(country)
    vat_prefix = "EL" if country == "GR" else country  # Greece's VAT numbers start with EL
    try:
        if country.lower() in eu_vat.MEMBER_STATES:
            compact = stdnum_util.clean(raw, " -./").upper()
            if not compact[:2].isalpha():
                compact = vat_prefix + compact
            if compact[:2] != vat_prefix:
                raise CrmError(
                    ErrorCode.INVALID_TAX_ID,
                    field="taxId",
                    country=country,
                    reason=f"a VAT number of {country} starts with {vat_prefix}",
                )
            return str(eu_vat.validate(compact))
        if module is not None:
            return str(module.validate(raw))
    except ValidationError as error:
        raise CrmError(
            ErrorCode.INVALID_TAX_ID, field="taxId", country=country, reason=str(error)
        ) from None
    compact = stdnum_util.clean(raw, " -./").upper()
    if not compact.isalnum():
        raise CrmError(
            ErrorCode.INVALID_TAX_ID,
            field="taxId",
            country=country,
            reason="letters and digits only",
        )
    return compact


def search_key(text: str) -> str:
    """Text as search compares it: no case, width variants or punctuation (legal forms kept:
    people search for "AG")."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def search_text(*parts: str) -> str:
    """One text of everything a search may match: codes, tax ids, names in every language."""
    return " ".join(key for key in (search_key(part) for part in parts if part) if key)


def normalized_name(name: str) -> str:
    """The name as duplicate detection compares it."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _CJK_FORMS.sub(" ", text)
    text = _LEGAL_FORM_WORDS.sub(" ", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


# Words of these lengths, without digits, also match with one character wrong, missing, extra
# or two swapped; other words, codes and numbers only as they are.
FUZZY_MIN_LENGTH = 4
FUZZY_MAX_LENGTH = 40
_DIGITS = frozenset("0123456789")


def coded(word: str) -> bool:
    """Whether a word is code-like (digits with letters, or more than four digits: customer
    codes, tax ids), one of a kind: customer_search_terms leaves such words out, and pairs
    starting with one. Mirrors the SQL test in migration 0007."""
    digits = sum(c in _DIGITS for c in word)
    return digits > 0 and (digits < len(word) or len(word) > 4)


def fuzzy_keys(word: str) -> set[str]:
    """The word and, for FUZZY_MIN_LENGTH to FUZZY_MAX_LENGTH characters without digits, each
    spelling with one character left out. Two words match when their keys meet: "seimens" and
    "siemens" share "simens". The SQL function customer_search_terms (migration 0007) indexes
    every word (but `coded` ones) of a record's search text and normalized name under these
    keys."""
    keys = {word}
    if FUZZY_MIN_LENGTH <= len(word) <= FUZZY_MAX_LENGTH and not any(c in _DIGITS for c in word):
        keys.update(word[:i] + word[i + 1 :] for i in range(len(word)))
    return keys


def tsquery_term(text: str) -> str:
    """`text` as one quoted lexeme of a tsquery, taken as it is (no parser, no dictionary)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
