"""Money as Decimal, stored as integer fen (分).

One helper makes every amount (``D``), as beancount's ``core/number.py`` does, so that no float
ever becomes money by accident.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
FEN = Decimal("0.01")
FEN_PER_YUAN = 100
YUAN_PER_WAN = 10_000


def D(value: str | int | Decimal) -> Decimal:
    """Make a Decimal amount in yuan. Floats are refused: they are not money."""
    if isinstance(value, float):
        raise TypeError("money must not be made from a float; pass a str, int or Decimal")
    return value if isinstance(value, Decimal) else Decimal(value)


def to_fen(amount: Decimal) -> int:
    """Yuan → integer fen. Refuses amounts finer than one fen instead of rounding them away."""
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} has more than two decimals (finer than one fen)")
    return int(fen)


def from_fen(fen: int) -> Decimal:
    """Integer fen → Decimal yuan with two decimals."""
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(FEN)


def to_wan(amount: Decimal) -> Decimal:
    """Yuan → 万元 with two decimals, the way reports print budgets (ROUND_HALF_UP)."""
    return (amount / YUAN_PER_WAN).quantize(FEN, rounding=ROUND_HALF_UP)


def rate(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """A percentage with two decimals from *summed* amounts; None when there is no budget."""
    if denominator == ZERO:
        return None
    return (numerator * 100 / denominator).quantize(FEN, rounding=ROUND_HALF_UP)


def exact_rate(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """A percentage from *summed* amounts, not rounded: what a threshold is compared with (a
    rounded 10.00% may be 9.9996%). None when there is no budget."""
    if denominator == ZERO:
        return None
    return numerator * 100 / denominator


def near(value: Decimal | None, limit: Decimal | None) -> str | None:
    """A rate for display beside the limit it is judged by: two decimals, or as many more as it
    takes for the shown figure to stand on the same side of the limit as the exact one (9.9996%
    against 10%, never "10.00%" when it is under)."""
    if value is None:
        return None
    if limit is None:
        return two(value)
    side = (value > limit) - (value < limit)
    for places in range(2, 11):
        shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if (shown > limit) - (shown < limit) == side:
            return f"{shown:.{places}f}"
    return f"{value:f}"


def two(value: Decimal | None) -> str | None:
    """An amount or a rate as text with two decimals, the way the evaluation prints them."""
    return None if value is None else f"{value.quantize(FEN, rounding=ROUND_HALF_UP):.2f}"
