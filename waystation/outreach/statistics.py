"""Response rates and times to answer, per organisation kind, country and channel, per month,
and the organisations that never answered — as numbers and as server-side SVG charts."""

import statistics as stats
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import pygal
from django.utils.translation import gettext as _
from django_countries import countries

from waystation.accounts.policy import Perm, visible
from waystation.core.charts import chart_style, svg
from waystation.core.dates import format_named

from .models import Approach, Channel, Organisation, OrganisationKind, ResponseKind


@dataclass(frozen=True)
class NoAnswer:
    """The approaches sent in one month ("2024-02") and how many of them have no answer."""

    month: str
    sent: int
    silent: int

    @property
    def share(self) -> float:
        return self.silent / self.sent if self.sent else 0.0

    @property
    def label(self) -> str:
        """The month as the reader writes it ("фев. 2024 г.", "Feb 2024")."""
        year, month = self.month.split("-")
        return format_named(date(int(year), int(month), 1), "SHORT_YEAR_MONTH_FORMAT")


@dataclass(frozen=True)
class GroupFigures:
    key: str
    label: str
    approaches: int
    answered: int
    median_days: float | None

    @property
    def rate(self) -> float:
        return self.answered / self.approaches if self.approaches else 0.0


def _figures(groups: dict[str, list[tuple]], labels: dict[str, str]) -> list[GroupFigures]:
    rows = []
    for key, items in groups.items():
        answered = [item for item in items if item[1] != ResponseKind.NONE]
        days = [
            (answered_on - sent).days for sent, _outcome, answered_on in answered if answered_on
        ]
        rows.append(
            GroupFigures(
                key,
                str(labels.get(key, key) or "—"),
                len(items),
                len(answered),
                stats.median(days) if days else None,
            )
        )
    return sorted(rows, key=lambda r: (-r.approaches, r.label))


def outreach_statistics(viewer, *, since: date | None = None, until: date | None = None) -> dict:
    """One pass over the approaches of the period (a values() query, no model objects)."""
    qs = visible(viewer, Approach.objects.all(), Perm.OUTREACH_VIEW)
    if since:
        qs = qs.filter(date__gte=since)
    if until:
        qs = qs.filter(date__lte=until)
    by_kind, by_country, by_channel = defaultdict(list), defaultdict(list), defaultdict(list)
    sent_per_month, answered_per_month = defaultdict(int), defaultdict(int)
    silent_per_month = defaultdict(int)  # approaches sent that month still without an answer
    answered_organisations, asked_organisations = set(), set()
    country_names = {}
    rows = qs.values_list(
        "organisation_id",
        "organisation__kind",
        "organisation__country",
        "channel",
        "date",
        "outcome",
        "answered_on",
    )
    for org_id, kind, country, channel, sent, outcome, answered_on in rows.iterator(5000):
        item = (sent, outcome, answered_on)
        by_kind[kind].append(item)
        by_country[country or ""].append(item)
        by_channel[channel].append(item)
        sent_per_month[sent.strftime("%Y-%m")] += 1
        if answered_on:
            answered_per_month[answered_on.strftime("%Y-%m")] += 1
        asked_organisations.add(org_id)
        if outcome != ResponseKind.NONE:
            answered_organisations.add(org_id)
        else:
            silent_per_month[sent.strftime("%Y-%m")] += 1
    if by_country:
        country_names = {code: name for code, name in countries if code in by_country}
    months = sorted(set(sent_per_month) | set(answered_per_month))
    never = (
        visible(viewer, Organisation.objects.all(), Perm.OUTREACH_VIEW)
        .filter(pk__in=asked_organisations - answered_organisations)
        .order_by("name")
    )
    return {
        "kind": _figures(by_kind, dict(OrganisationKind.choices)),
        "country": _figures(by_country, country_names),
        "channel": _figures(by_channel, dict(Channel.choices)),
        "months": [(m, sent_per_month[m], answered_per_month[m]) for m in months],
        "no_answer": [
            NoAnswer(m, sent_per_month[m], silent_per_month[m]) for m in sorted(sent_per_month)
        ],
        "never_answered": list(never),
        "total": sum(len(v) for v in by_kind.values()),
    }


def rate_chart(figures: list[GroupFigures], title: str) -> bytes:
    chart = pygal.HorizontalBar(
        js=[],
        style=chart_style(),
        width=640,
        height=60 + 36 * max(1, len(figures)),
        show_legend=False,
        range=(0, 100),
        value_formatter=lambda v: f"{v:.0f} %",
        title=title,
    )
    chart.x_labels = [f.label for f in figures]
    chart.add(_("Answered"), [round(100 * f.rate, 1) for f in figures])
    return svg(chart)


def months_chart(months: list[tuple[str, int, int]]) -> bytes:
    chart = pygal.Bar(
        js=[],
        style=chart_style(),
        width=720,
        height=320,
        x_label_rotation=45,
        title=_("Approaches and answers per month"),
    )
    chart.x_labels = [m for m, _sent, _answered in months]
    chart.add(_("Approaches"), [sent for _m, sent, _a in months])
    chart.add(_("Answers"), [answered for _m, _s, answered in months])
    return svg(chart)


def no_answer_chart(months: list[NoAnswer]) -> bytes:
    """The share of each month's approaches that has had no answer at all: where it stays
    high, follow-ups or other channels are needed."""
    chart = pygal.Bar(
        js=[],
        style=chart_style(),
        width=720,
        height=320,
        x_label_rotation=45,
        show_legend=False,
        range=(0, 100),
        value_formatter=lambda v: f"{v:.0f} %",
        title=_("Share of approaches with no answer, by month sent"),
    )
    chart.x_labels = [row.label for row in months]
    chart.add(_("No answer"), [round(100 * row.share, 1) for row in months])
    return svg(chart)
