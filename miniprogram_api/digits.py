"""Digits as a client means them: str.isdigit() also accepts '²' and '١٢٣', which int() then refuses
or reads as a number nobody typed."""
from __future__ import annotations


def plain_digits(raw: str) -> bool:
    return raw.isascii() and raw.isdigit()
