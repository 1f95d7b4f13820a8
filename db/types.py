"""Column types. Money is a Decimal in Python and an integer number of fen in the database.

SQLite has no decimal type (``Numeric`` silently goes through float), so every backend stores
integer fen and sums exactly (docs/PITFALLS.md, "SQLAlchemy / databases").
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, String
from sqlalchemy.types import TypeDecorator

from monitor.money import from_fen, to_fen


class Money(TypeDecorator[Decimal]):
    """Decimal yuan ↔ BIGINT fen. Refuses floats and amounts finer than one fen."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
            raise TypeError(f"Money column needs a Decimal, got {type(value).__name__}")
        return to_fen(Decimal(value))

    def process_result_value(self, value: int | None, dialect) -> Decimal | None:
        return None if value is None else from_fen(value)

    @property
    def python_type(self) -> type:
        return Decimal


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal that is not money (a target value, a weight, a reported figure) as its exact
    text: neither backend may round it through float, and nothing sums these in SQL."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
            raise TypeError(f"ExactDecimal column needs a Decimal, got {type(value).__name__}")
        text = format(Decimal(value), "f")
        if len(text) > 40:
            raise ValueError(f"{text[:20]}… has more than 40 characters")
        return text

    def process_result_value(self, value: str | None, dialect) -> Decimal | None:
        return None if value is None else Decimal(value)

    @property
    def python_type(self) -> type:
        return Decimal
