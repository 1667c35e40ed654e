"""What makes two customers the same company: tax ids per country, ISO countries, plain names.

Unit tests of `crm.masterdata.customers.identity`; no HTTP and no database.
"""

from __future__ import annotations

import pytest

from crm.masterdata.customers import identity
from crm.platform.core.errors import CrmError, ErrorCode


def refused(call, *args: str) -> CrmError:
    with pytest.raises(CrmError) as caught:
        call(*args)
    return caught.value


# -- tax ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["DE 136 695 976", "DE136695976", "de 136.695.976", "DE-136695976"]
)
def test_a_german_vat_number_is_compacted_with_its_prefix(typed):
    assert identity.tax_id("DE", typed) == "DE136695976"


def test_a_german_vat_number_without_its_prefix_gets_the_prefix():
    assert identity.tax_id("DE", "136695976") == "DE136695976"
    assert identity.tax_id("DE", "136 695 976") == "DE136695976"


def test_a_wrong_german_check_digit_is_an_invalid_tax_id():
    error = refused(identity.tax_id, "DE", "DE 136 695 977")
    assert error.code is ErrorCode.INVALID_TAX_ID
    assert error.field == "taxId"
    assert error.params["country"] == "DE"


def test_a_french_vat_number_is_not_a_german_one():
    assert identity.tax_id("FR", "FR 40 303 265 045") == "FR40303265045"  # valid in France
    error = refused(identity.tax_id, "DE", "FR40303265045")
    assert error.code is ErrorCode.INVALID_TAX_ID
    assert error.field == "taxId"


def test_a_greek_vat_number_is_checked_like_other_eu_ones():
    assert identity.tax_id("GR", "EL 094259216") == "EL094259216"
    error = refused(identity.tax_id, "GR", "EL094259217")  # wrong check digit
    assert error.code is ErrorCode.INVALID_TAX_ID


def test_a_chinese_unified_social_credit_code_is_checked():
    assert identity.tax_id("CN", "91350100M000100Y43") == "91350100M000100Y43"
    error = refused(identity.tax_id, "CN", "91350100M000100Y44")
    assert error.code is ErrorCode.INVALID_TAX_ID
    assert error.field == "taxId"
    assert error.params["country"] == "CN"


def test_a_japanese_corporate_number_is_checked():
    assert identity.tax_id("JP", "5835678256246") == "5835678256246"
    error = refused(identity.tax_id, "JP", "5835678256247")
    assert error.code is ErrorCode.INVALID_TAX_ID


def test_a_us_ein_loses_its_dash():
    assert identity.tax_id("US", "04-3419001") == "043419001"
    assert refused(identity.tax_id, "US", "04-34190").code is ErrorCode.INVALID_TAX_ID


def test_a_country_without_a_known_format_keeps_a_compact_upper_case_form():
    assert identity.tax_id("BR", "12.345.678/0001-95") == "12345678000195"
    assert identity.tax_id("BR", " ab 12-34 ") == "AB1234"


@pytest.mark.parametrize("typed", ["12@345", "12#34", "ABC_123"])
def test_symbols_are_refused_where_no_format_is_known(typed):
    error = refused(identity.tax_id, "BR", typed)
    assert error.code is ErrorCode.INVALID_TAX_ID
    assert error.field == "taxId"


@pytest.mark.parametrize("country", ["DE", "CN", "JP", "US", "BR"])
@pytest.mark.parametrize("empty", ["", "   ", None])
def test_no_tax_id_stays_empty(country, empty):
    assert identity.tax_id(country, empty) == ""


# -- countries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "code"), [("de", "DE"), ("DE", "DE"), (" jp ", "JP")])
def test_a_country_is_an_upper_case_alpha_2_code(typed, code):
    assert identity.country_code(typed) == code


@pytest.mark.parametrize("typed", ["XX", "DEU", "D", "", None, "Germany"])
def test_anything_else_is_not_a_country(typed):
    error = refused(identity.country_code, typed)
    assert error.code is ErrorCode.INVALID_ARGUMENT
    assert error.field == "country"


# -- names --------------------------------------------------------------------------------------


def test_legal_forms_and_case_do_not_make_another_company():
    assert identity.normalized_name("Bosch GmbH") == identity.normalized_name("BOSCH") == "bosch"


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Robert Bosch GmbH & Co. KG", "robert bosch"),
        ("深圳华星光电技术有限公司", "深圳华星光电技术"),
        ("ＴＯＹＯＴＡ株式会社", "toyota"),  # full-width letters
        ("Acme Co., Ltd.", "acme"),
        ("Acme Co.,Ltd.", "acme"),
        ("Siemens AG", "siemens"),
        ("  Müller   GmbH ", "müller"),
    ],
)
def test_a_name_is_normalized_for_comparison(name, normalized):
    assert identity.normalized_name(name) == normalized


def test_a_legal_form_inside_a_word_is_kept():
    assert identity.normalized_name("Agfa Incorporated Systems") == "agfa incorporated systems"


# -- search keys --------------------------------------------------------------------------------


def test_words_one_letter_apart_share_a_key():
    def alike(a: str, b: str) -> bool:
        return bool(identity.fuzzy_keys(a) & identity.fuzzy_keys(b))

    assert alike("seimens", "siemens")  # two letters swapped
    assert alike("contnental", "continental")  # one missing
    assert alike("boschh", "bosch")  # one extra
    assert alike("bosch", "bosck")  # one wrong
    assert alike("深圳华星光电技朮", "深圳华星光电技术")
    assert not alike("bosch", "busck")
    assert not alike("siemens", "simmons")


def test_short_words_codes_and_numbers_match_only_as_they_are():
    assert identity.fuzzy_keys("abc") == {"abc"}
    assert identity.fuzzy_keys("k1001") == {"k1001"}
    assert identity.fuzzy_keys("2024") == {"2024"}
    assert identity.fuzzy_keys("abcd") == {"abcd", "bcd", "acd", "abd", "abc"}
    assert identity.fuzzy_keys("a" * 41) == {"a" * 41}


def test_a_tsquery_term_is_quoted_as_it_is():
    assert identity.tsquery_term("co ltd") == "'co ltd'"
    assert identity.tsquery_term("it's") == "'it''s'"
    assert identity.tsquery_term("a\\b") == "'a\\\\b'"
