"""统一社会信用代码: normalisation, and a reason an officer can act on for every kind of bad code."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.uscc import uscc_make, uscc_normalize, uscc_validate

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, Z, S, V
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_char(body17: str) -> str:
    """GB 32100-2015 §4.4, written out here independently of the code under test."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(body17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


VALID = uscc_make("91330282MA2AB1234")


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _error(raw: object) -> str:
    with pytest.raises(ApplicationError) as info:
        uscc_validate(raw)
    assert info.value.field == "uscc"
    return info.value.message


def test_make_appends_the_standard_check_character() -> None:
    assert len(VALID) == 18
    assert "91330282MA2AB1234" + check_char("91330282MA2AB1234") == VALID
    # Worked by hand: 9·1 + 1·3 + 3·9 + 3·27 + 0·19 + 2·26 + 8·16 + 2·17 = 334; 31 − 334 mod 31 = 7.
    assert check_char("91330282000000000") == "7"
    assert uscc_make("91330282000000000") == "913302820000000007"


@pytest.mark.parametrize(
    "body",
    ["91330282MA2AB1234", "91330282MA7H0Y5X3", "12330282003000000", "52330282MJ9876543", "93330282000000001"],
)
def test_valid_codes_pass_unchanged(body: str) -> None:
    code = uscc_make(body)
    assert uscc_validate(code) == code


@given(
    st.text(alphabet="0123456789", min_size=8, max_size=8), st.text(alphabet=ALPHABET, min_size=9, max_size=9)
)
def test_every_made_code_is_valid_and_every_other_check_char_is_refused(head: str, tail: str) -> None:
    body = head + tail
    code = uscc_make(body)
    assert code[17] == check_char(body)
    assert uscc_validate(code) == code
    wrong = next(c for c in ALPHABET if c != code[17])
    assert f"第18位应为 {code[17]}" in _error(body + wrong)


def test_wrong_check_character_names_the_expected_one() -> None:
    wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    message = _error(wrong)
    assert "校验位错误" in message
    assert f"第18位应为 {VALID[17]}" in message
    assert wrong in message


@pytest.mark.parametrize(("raw", "length"), [(VALID[:17], 17), (VALID + "1", 19), ("9133", 4)])
def test_wrong_length(raw: str, length: int) -> None:
    message = _error(raw)
    assert "应为18位" in message
    assert f"实际为{length}位" in message


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_forbidden_letters(letter: str) -> None:
    code = VALID[:10] + letter + VALID[11:]
    message = _error(code)
    assert "不允许的字符" in message
    assert "I、O、Z、S、V" in message


def test_forbidden_letter_in_lower_case_is_still_refused() -> None:
    assert "不允许的字符" in _error((VALID[:10] + "o" + VALID[11:]).lower())


def test_first_eight_must_be_digits() -> None:
    body = "9133028A" + "MA2AB1234"
    message = _error(body + check_char(body))
    assert "前8位" in message


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_empty(raw: object) -> None:
    assert _error(raw) == "统一社会信用代码为空"


@pytest.mark.parametrize(
    "raw",
    [
        VALID.lower(),
        _full_width(VALID),
        _full_width(VALID.lower()),
        f"  {VALID}\u3000",
        f"{VALID[:6]} {VALID[6:12]}\u3000{VALID[12:]}",
        f"\t{VALID}\n",
    ],
    ids=["lower", "full-width", "full-width-lower", "outer-spaces", "inner-spaces", "tab-newline"],
)
def test_normalisation(raw: str) -> None:
    assert uscc_normalize(raw) == VALID
    assert uscc_validate(raw) == VALID


def test_punctuation_is_not_silently_dropped() -> None:
    assert "应为18位" in _error(f"{VALID[:8]}-{VALID[8:]}")
