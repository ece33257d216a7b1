"""Sums of money in the database, exact on both backends.

PostgreSQL keeps ``numeric`` exactly, but SQLite stores a DECIMAL column as a binary REAL, so a
plain ``SUM(amount)`` there can be off in the last place. Every sum is therefore taken over
the amount in ten-thousandths, rounded to a whole number per row (exact: amounts have at most
11 digits before the point, well inside a REAL's 15), and added up as integers."""

from decimal import Decimal

from django.db.models import BigIntegerField, DecimalField, ExpressionWrapper, F, Sum, Value
from django.db.models.functions import Cast, Round

from .money import STORED_PLACES

_SCALE = Decimal(10) ** STORED_PLACES


def minor_total(field: str = "amount") -> Sum:
    """An aggregate: the sum of ``field`` in ten-thousandths, as an integer."""
    scaled = ExpressionWrapper(
        F(field) * Value(_SCALE), output_field=DecimalField(max_digits=30, decimal_places=4)
    )
    return Sum(Cast(Round(scaled), BigIntegerField()))


def as_money(total) -> Decimal:
    """A ``minor_total`` result back as a Decimal (None, for no rows, is zero)."""
    return (Decimal(int(total or 0)) / _SCALE).quantize(Decimal(1).scaleb(-STORED_PLACES))


def money_sum(queryset, field: str = "amount") -> Decimal:
    return as_money(queryset.aggregate(total=minor_total(field))["total"])
