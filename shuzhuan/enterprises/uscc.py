"""统一社会信用代码 (GB 32100-2015): normalisation and validation with a reason in Chinese.

The check character is computed by python-stdnum; we only add the wording an officer
needs to fix the cell.
"""

from __future__ import annotations

import re

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError

from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.text import squash

_ALPHABET = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def uscc_normalize(raw: object) -> str:
    return squash(raw).upper()


def uscc_validate(raw: object) -> str:
    """Return the normalised code, or raise ApplicationError saying what is wrong with it."""
    code = uscc_normalize(raw)
    if not code:
        raise ApplicationError("统一社会信用代码为空", field="uscc")
    if len(code) != 18:
        raise ApplicationError(f"统一社会信用代码应为18位，实际为{len(code)}位：{code}", field="uscc")
    if not _ALPHABET.match(code):
        raise ApplicationError(
            f"统一社会信用代码含有不允许的字符（I、O、Z、S、V 不可用）：{code}", field="uscc"
        )
    if not code[:8].isdigit():
        raise ApplicationError(
            f"统一社会信用代码前8位（登记管理部门、机构类别、行政区划码）应为数字：{code}", field="uscc"
        )
    try:
        stdnum_uscc.validate(code)
    except ValidationError:
        try:
            expected = stdnum_uscc.calc_check_digit(code[:17])
        except Exception:  # pragma: no cover - the alphabet check above makes this unreachable
            expected = "?"
        if expected != code[17]:
            raise ApplicationError(
                f"统一社会信用代码校验位错误：{code}（第18位应为 {expected}）", field="uscc"
            ) from None
        raise ApplicationError(f"统一社会信用代码格式不正确：{code}", field="uscc") from None
    return code


def uscc_make(body17: str) -> str:
    """Complete a 17-character body with its check character (used by demo data and tests)."""
    return body17 + stdnum_uscc.calc_check_digit(body17)
