"""Identifier validation: the published vectors pass; every substitution and transposition fails."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from sifa.core.divisions import historical_division, is_ever_valid
from sifa.core.identifiers import (
    USCC_ALPHABET,
    IdentifierError,
    iso7064_mod37_36,
    make_uscc,
    parse_id_number,
    uscc_is_valid,
    validate_division_code,
    validate_uscc,
)

pytestmark = pytest.mark.smoke

ID_VECTOR = "11010519491231002X"
USCC_VECTORS = ["91350100M000100Y43", "11100000000013338W", "11210000001100230L"]
ID_ALPHABET = "0123456789X"


def _id_valid(value: str) -> bool:
    try:
        parse_id_number(value, today=dt.date(2026, 11, 27))
    except IdentifierError:
        return False
    return True


def test_published_vectors_pass():
    parsed = parse_id_number(ID_VECTOR)
    assert parsed.region_code == "110105"
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "女"
    for code in USCC_VECTORS:
        assert validate_uscc(code) == code


def test_lowercase_x_and_spaces_are_normalized():
    assert parse_id_number(" 11010519491231002x ").value == ID_VECTOR


@pytest.mark.parametrize("index", range(18))
def test_every_single_substitution_of_the_id_vector_fails(index):
    for ch in ID_ALPHABET:
        if ch == ID_VECTOR[index]:
            continue
        candidate = ID_VECTOR[:index] + ch + ID_VECTOR[index + 1 :]
        assert not _id_valid(candidate), candidate


@pytest.mark.parametrize("code", USCC_VECTORS)
def test_every_single_substitution_of_uscc_vectors_fails(code):
    for index in range(18):
        for ch in USCC_ALPHABET:
            if ch != code[index]:
                assert not uscc_is_valid(code[:index] + ch + code[index + 1 :])


@pytest.mark.parametrize("code", [ID_VECTOR, *USCC_VECTORS])
def test_every_adjacent_transposition_fails(code):
    validator = _id_valid if code == ID_VECTOR else uscc_is_valid
    for index in range(17):
        if code[index] != code[index + 1]:
            swapped = code[:index] + code[index + 1] + code[index] + code[index + 2 :]
            assert not validator(swapped), swapped


@st.composite
def valid_id_numbers(draw):
    region = draw(st.sampled_from(["110105", "330106", "440305", "510107", "650102"]))
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 11, 27)))
    seq = draw(st.integers(0, 999))
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


@st.composite
def valid_usccs(draw):
    dept = draw(st.sampled_from("123456789ANY"))
    cat = draw(st.sampled_from("12359"))
    region = draw(st.sampled_from(["110000", "330106", "350100", "440305"]))
    body = draw(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
    code = make_uscc(dept, cat, region, body)
    assume_ok = all(ch in USCC_ALPHABET for ch in code)
    return code if assume_ok else None


@settings(max_examples=200, deadline=None)
@given(valid_id_numbers(), st.integers(0, 17), st.sampled_from(ID_ALPHABET))
def test_hypothesis_id_substitution_is_rejected(value, index, ch):
    assert _id_valid(value)
    assert ric.calc_check_digit(value) == value[-1]  # agrees with python-stdnum
    if ch != value[index]:
        assert not _id_valid(value[:index] + ch + value[index + 1 :])


@settings(max_examples=200, deadline=None)
@given(valid_id_numbers(), st.integers(0, 16))
def test_hypothesis_id_transposition_is_rejected(value, index):
    swapped = value[:index] + value[index + 1] + value[index] + value[index + 2 :]
    if swapped != value:
        assert not _id_valid(swapped)


@settings(max_examples=200, deadline=None)
@given(valid_usccs(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_hypothesis_uscc_substitution_is_rejected(code, index, ch):
    if code is None:
        return
    assert uscc_is_valid(code)
    assert uscc.calc_check_digit(code[:17]) == code[17]  # agrees with python-stdnum
    if ch != code[index]:
        assert not uscc_is_valid(code[:index] + ch + code[index + 1 :])


@settings(max_examples=200, deadline=None)
@given(valid_usccs(), st.integers(0, 16))
def test_hypothesis_uscc_transposition_is_rejected(code, index):
    if code is None:
        return
    swapped = code[:index] + code[index + 1] + code[index] + code[index + 2 :]
    if swapped != code:
        assert not uscc_is_valid(swapped)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "id_number.length"),
        ("1101051949123100", "id_number.length"),
        ("11010519491231002A", "id_number.format"),
        ("110105194912310021", "id_number.check_digit"),
    ],
)
def test_malformed_id_numbers_have_stable_codes(value, code):
    with pytest.raises(IdentifierError) as exc:
        parse_id_number(value)
    assert exc.value.code == code
    assert exc.value.message  # Chinese text for people


def test_impossible_birth_date_is_rejected():
    first17 = "11010519490230002"  # 30 February
    with pytest.raises(IdentifierError) as exc:
        parse_id_number(first17 + ric.calc_check_digit(first17 + "0"))
    assert exc.value.code == "id_number.birth_date"


def test_future_birth_date_is_rejected():
    first17 = "11010520990101001"
    value = first17 + ric.calc_check_digit(first17 + "0")
    with pytest.raises(IdentifierError) as exc:
        parse_id_number(value, today=dt.date(2026, 11, 27))
    assert exc.value.code == "id_number.birth_date_future"


def _with_address(code: str) -> str:
    first17 = code + ID_VECTOR[6:17]
    return first17 + ric.calc_check_digit(first17 + "0")


@pytest.mark.parametrize(
    ("code", "name"),
    [("110103", "崇文区"), ("110104", "宣武区"), ("310103", "卢湾区"), ("330103", "下城区")],
)
def test_an_address_code_that_was_valid_once_is_valid_for_life(code, name):
    # 居民身份证法 §3: the number never changes, so a district merged away keeps its holders' numbers.
    assert parse_id_number(_with_address(code)).region_code == code
    division = historical_division(code)
    assert division is not None and division.name == name


@pytest.mark.parametrize("code", ["339999", "500157", "130171", "000000", "990101"])
def test_an_address_code_that_never_was_a_gbt2260_code_is_rejected(code):
    # 500157 两江新区 is a 国家级新区 and 130171 a development zone: neither is a division.
    with pytest.raises(IdentifierError) as exc:
        parse_id_number(_with_address(code))
    assert exc.value.code == "id_number.region"
    assert "行政区划代码" in exc.value.message
    assert not is_ever_valid(code)


def test_the_historical_list_covers_current_codes_and_the_2019_to_2026_changes():
    for code in ("110101", "500105", "500112", "330113", "653132", "710000", "810000"):
        assert is_ever_valid(code), code


def test_uscc_with_bad_embedded_orgcode_is_rejected():
    # Valid 18th character but a wrong 组织机构代码 check character (position 17).
    first16 = "91350100M0001000"
    for ch in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        first17 = first16 + ch
        from sifa.core.identifiers import orgcode_check_char, uscc_check_char

        if ch != orgcode_check_char(first16[8:]):
            code = first17 + uscc_check_char(first17)
            with pytest.raises(IdentifierError) as exc:
                validate_uscc(code)
            assert exc.value.code == "uscc.orgcode_check"
            return


def test_division_codes():
    assert validate_division_code("110101") == "110101"
    assert validate_division_code("110101001") == "110101001000"
    for bad in ["", "11010", "abcdef", "000000", "1101011"]:
        with pytest.raises(IdentifierError):
            validate_division_code(bad)


@pytest.mark.parametrize(
    "identifier",
    [
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
        "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
    ],
)
def test_iso7064_mod37_36_on_real_licence_identifiers(identifier):
    parts = identifier.split(".")
    body = "".join(parts[5:-1])
    assert iso7064_mod37_36(body) == parts[-1]


def test_today_is_the_day_in_beijing_not_the_server_clocks():
    """At 03:00 on 7 December in Beijing a UTC server clock still says 6 December: a child born on
    the 7th is born today, not in the future, and the day's texts are those of the 7th."""
    import time_machine

    from sifa.core.identifiers import id_number_check_digit, local_today

    first17 = "33010620261207001"
    born_today = first17 + id_number_check_digit(first17)
    with time_machine.travel(dt.datetime(2026, 12, 6, 19, 0, tzinfo=dt.UTC), tick=False):
        assert local_today() == dt.date(2026, 12, 7)
        assert parse_id_number(born_today).birth_date == dt.date(2026, 12, 7)


def test_the_consent_text_in_effect_is_chosen_by_the_day_in_beijing(monkeypatch):
    """A new version of a notice takes effect at midnight in Beijing (16:00 UTC the day before)."""
    import dataclasses

    import time_machine

    from sifa.accounts import consents

    old = consents.current(consents.REGISTER_ID_NUMBER)
    new = dataclasses.replace(old, version="2027-01-v2", effective=dt.date(2027, 1, 1))
    monkeypatch.setattr(consents, "_TEXTS", (*consents._TEXTS, new))
    with time_machine.travel(dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC), tick=False):
        assert consents.current(consents.REGISTER_ID_NUMBER).version == "2027-01-v2"
    with time_machine.travel(dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC), tick=False):
        assert consents.current(consents.REGISTER_ID_NUMBER).version == old.version
