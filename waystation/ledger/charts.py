"""Monthly income and spending as server-side SVG, drawn the way outreach draws its statistics
(pygal, no script, the same colours). Amounts become floats only here, as bar heights; the
tables beside the charts give the exact figures."""

import pygal
from django.utils.translation import gettext as _

from waystation.core.charts import chart_style, svg

from .models import Category


def _months(rows) -> list[str]:
    return [row.month.strftime("%Y-%m") for row in rows]


def income_chart(rows, currency: str) -> bytes:
    chart = pygal.Bar(
        js=[],
        style=chart_style(),
        width=720,
        height=320,
        x_label_rotation=45,
        title=_("Donations and spending per month, %(currency)s") % {"currency": currency},
    )
    chart.x_labels = _months(rows)
    chart.add(_("Donations"), [float(row.income) for row in rows])
    chart.add(_("Spending"), [float(row.spent) for row in rows])
    return svg(chart)


def category_chart(rows, currency: str) -> bytes:
    style = chart_style()
    style.colors = (
        "#2f5d62",
        "#e8b44f",
        "#8c4b5e",
        "#5b8c5a",
        "#c97b3d",
        "#4f6fa8",
        "#7d6b91",
        "#9a9a9a",
    )
    chart = pygal.StackedBar(
        js=[],
        style=style,
        width=720,
        height=360,
        x_label_rotation=45,
        title=_("Spending per month by category, %(currency)s") % {"currency": currency},
    )
    chart.x_labels = _months(rows)
    for code, label in Category.choices:
        if any(code in row.spending for row in rows):
            chart.add(str(label), [float(row.spending.get(code, 0)) for row in rows])
    return svg(chart)
