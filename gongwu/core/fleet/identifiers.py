"""Validation of Chinese licence plates (GA 36-2018) and VINs (GB 16735 / ISO 3779, with check digit)."""

from __future__ import annotations

import re

from gongwu.core.errors import InvalidInput

__all__ = ["normalise_plate", "normalise_vin", "plate_is_new_energy", "vin_check_digit"]

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_L = "A-HJ-NP-Z"  # letters used on plates: no I, no O
_ORDINARY = re.compile(rf"^[{PROVINCES}][{_L}][{_L}0-9]{{4}}[{_L}0-9挂学警港澳]$")
_NEV_SMALL = re.compile(rf"^[{PROVINCES}][{_L}][DFABCEGHJK][{_L}0-9][0-9]{{4}}$")
_NEV_LARGE = re.compile(rf"^[{PROVINCES}][{_L}][0-9]{{5}}[DFABCEGHJK]$")

_VIN_VALUE = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def normalise_plate(plate: str) -> str:
    """Upper-cased, spaces and the middle dot removed; raises InvalidInput when not a valid plate."""
    value = re.sub(r"[\s·•.-]", "", plate).upper()
    if _ORDINARY.match(value) or _NEV_SMALL.match(value) or _NEV_LARGE.match(value):
        return value
    raise InvalidInput(
        f"“{plate}” is not a valid Chinese licence plate (e.g. 京A12345, or 京AD12345 for a new-energy car).",
        code="fleet.bad_plate",
        message_zh=f"“{plate}”不是有效的车牌号（例如 京A12345，新能源车如 京AD12345）。",
        details={"plate": plate},
    )


def plate_is_new_energy(plate: str) -> bool:
    return bool(_NEV_SMALL.match(plate) or _NEV_LARGE.match(plate))


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) a 17-character VIN must carry."""
    total = sum(_VIN_VALUE[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalise_vin(vin: str) -> str:
    value = vin.strip().upper()
    if len(value) != 17 or any(c not in _VIN_VALUE for c in value):
        raise InvalidInput(
            f"A VIN has 17 characters, digits and letters other than I, O and Q; got {vin!r}.",
            code="fleet.bad_vin",
            message_zh=f"车架号应为 17 位数字和字母（不含 I、O、Q），而不是 {vin!r}。",
            details={"vin": vin},
        )
    expected = vin_check_digit(value)
    if value[8] != expected:
        raise InvalidInput(
            f"VIN {value} fails its check digit (position 9 should be {expected}, not {value[8]}).",
            code="fleet.bad_vin_check_digit",
            message_zh=f"车架号 {value} 校验位不符（第 9 位应为 {expected}，而不是 {value[8]}）。",
            details={"vin": vin, "expected": expected},
        )
    return value
