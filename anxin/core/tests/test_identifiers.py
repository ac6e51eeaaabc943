"""Worked examples of ../shared/rules.md §6, plus properties of the check characters."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anxin.core import identifiers as ids

pytestmark = pytest.mark.smoke


@pytest.mark.parametrize(
    "value,valid",
    [
        ("11010519491231002X", True),
        ("440524188001010014", True),
        ("11010519491231002x", True),  # lower-case x is accepted and normalised
        ("110105194912310021", False),  # wrong check character
        ("11010519491331002X", False),  # month 13
        ("1101051949123100", False),  # too short
        ("", False),
    ],
)
def test_citizen_id_numbers(value, valid):
    assert ids.id_number_is_valid(value) is valid


@pytest.mark.parametrize(
    "value,well_formed,check_ok",
    [
        ("91310110666007217T", True, True),
        ("91310115591693856A", True, True),
        ("91350100M0001TGQXM", True, False),  # an early code that fails: warn, don't reject
        ("91310110666007217I", False, False),  # I is not in the alphabet
        ("9131011066600721", False, False),
    ],
)
def test_credit_codes(value, well_formed, check_ok):
    assert ids.credit_code_is_well_formed(value) is well_formed
    assert ids.credit_code_check_ok(value) is check_ok


@given(st.text(alphabet=ids.CREDIT_ALPHABET, min_size=17, max_size=17))
def test_a_computed_credit_check_character_always_verifies(first17):
    assert ids.credit_code_check_ok(first17 + ids.credit_code_check_char(first17))


@given(
    st.dates(
        min_value=__import__("datetime").date(1900, 1, 1),
        max_value=__import__("datetime").date(2020, 12, 31),
    ),
    st.integers(min_value=0, max_value=999),
)
def test_a_computed_id_check_character_always_verifies(born, seq):
    first17 = f"110105{born:%Y%m%d}{seq:03d}"
    assert ids.id_number_is_valid(first17 + ids.id_number_check_char(first17))


def test_masks_hide_the_identifying_middle():
    assert ids.mask_id_number("11010519491231002X") == "1101**********002X"
    assert ids.mask_phone("13812345678") == "138****5678"
    assert ids.mask_name("张三丰") == "张**"
    assert ids.mask_address("示范市安平区城关街道和平路12号") == "示范市安平区****"
