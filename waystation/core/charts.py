"""What every server-side chart shares: pygal's SVG without its script, in the site's colours.
Charts are shown as images, with their numbers in a table beside them."""

import re

import pygal

_SCRIPT = re.compile(rb"<script.*?</script>", re.S)


def svg(chart) -> bytes:
    """pygal's SVG without its inline script: the chart is shown as an image, where nothing
    runs anyway, and the page's policy allows no inline script at all."""
    return _SCRIPT.sub(b"", chart.render())


def chart_style():
    """A fresh style each time: a chart may change its colours without touching the others."""
    return pygal.style.Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1d2a33",
        foreground_strong="#1d2a33",
        foreground_subtle="#5b6770",
        colors=("#2f5d62", "#e8b44f"),
        font_family="system-ui, sans-serif",
    )
