"""Charts drawn on the server as SVG (no JavaScript, no CDN): each chart is shown with the table of
its figures beneath it, so it reads without colour or sight too. Values are integers (fen,
counts); labels are escaped by the template engine's ``Markup``-free string building here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ["#0172ad", "#c0392b", "#1e8449", "#b9770e", "#6c3483", "#117a65", "#7f8c8d", "#2e4053"]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


def _nice_max(value: int) -> int:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return value


def _axis(top: int, fmt: Callable[[int], str], height: int, left: int, width: int, y0: int) -> list[str]:
    parts = []
    for i in range(5):
        value = top * i // 4
        y = y0 - height * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" stroke="#e5e8eb"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#6b7785">'
            f"{escape(fmt(value))}</text>"
        )
    return parts


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[int], str] = str,
    width: int = 720,
    height: int = 260,
) -> Markup:
    left, right, top_pad, bottom = 90, 20, 20, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    y0 = top_pad + plot_h
    top = _nice_max(max((max(s.values) for s in series if s.values), default=0))
    n = max(len(labels), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
    ]
    parts += _axis(top, fmt, plot_h, left, plot_w, y0)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y0 - plot_h * v / top:.1f}" for i, v in enumerate(s.values))
        if len(s.values) > 1:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{points}"/>')
        for i, v in enumerate(s.values):
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y0 - plot_h * v / top:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(labels[i])}: {escape(fmt(v))}</title></circle>"
            )
    step = max(1, n // 8)
    for i in range(0, len(labels), step):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 14}" text-anchor="middle" font-size="11" fill="#6b7785">'
            f"{escape(labels[i])}</text>"
        )
    parts += _legend(series, left, width)
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[int], str] = str,
    width: int = 720,
    height: int = 260,
    stacked: bool = False,
) -> Markup:
    left, right, bottom = 90, 20, 40
    legend, legend_rows = _legend_rows(series, left, width)
    top_pad = max(20, 4 + 16 * legend_rows)
    height += top_pad - 20
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    y0 = top_pad + plot_h
    n = max(len(labels), 1)
    if stacked:
        peak = max((sum(s.values[i] for s in series) for i in range(len(labels))), default=0)
    else:
        peak = max((max(s.values) for s in series if s.values), default=0)
    top = _nice_max(peak)
    group_w = plot_w / n
    bar_w = group_w * 0.7 / (1 if stacked else max(len(series), 1))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
    ]
    parts += _axis(top, fmt, plot_h, left, plot_w, y0)
    for i, label in enumerate(labels):
        base = y0
        for k, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top
            bx = left + group_w * i + group_w * 0.15 + (0 if stacked else bar_w * k)
            by = (base - h) if stacked else (y0 - h)
            parts.append(
                f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(label)} · {escape(s.name)}: '
                f"{escape(fmt(value))}</title></rect>"
            )
            if stacked:
                base -= h
        parts.append(
            f'<text x="{left + group_w * (i + 0.5):.1f}" y="{height - 14}" text-anchor="middle" '
            f'font-size="11" fill="#6b7785">{escape(label)}</text>'
        )
    parts += legend
    parts.append("</svg>")
    return Markup("".join(parts))


def _text_width(text: str, size: int = 11) -> float:
    """About how wide ``text`` is drawn: CJK characters are square, Latin ones about 0.6 of the size."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text)


def _legend(series: Sequence[Series], left: int, width: int) -> list[str]:
    return _legend_rows(series, left, width)[0]


def _legend_rows(series: Sequence[Series], left: int, width: int) -> tuple[list[str], int]:
    """The keys of several series, wrapped onto as many rows as they need; returns the parts and the
    number of rows (none for a single series)."""
    if len(series) < 2:
        return [], 0
    parts, x, row = [], float(left), 0
    for k, s in enumerate(series):
        key_w = 14 + _text_width(s.name) + 16
        if x + key_w > width and x > left:
            x, row = float(left), row + 1
        y = 2 + row * 16
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{x + 14:.1f}" y="{y + 9}" font-size="11" fill="#333">{escape(s.name)}</text>'
        )
        x += key_w
    return parts, row + 1


def hbar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[int], str] = str,
    width: int = 720,
    row_height: int = 26,
    label_width: int = 170,
    stacked: bool = True,
) -> Markup:
    """Horizontal bars, one row per label (long names such as prefectures or providers read across);
    several series are stacked along the row, and each row ends with its total."""
    value_width = 110
    legend, legend_rows = _legend_rows(series, label_width, width)
    top_pad = 6 + 16 * legend_rows
    plot_w = width - label_width - value_width
    n = len(labels)
    height = top_pad + row_height * max(n, 1) + 6
    totals = [
        sum(s.values[i] for s in series) if stacked else max((s.values[i] for s in series), default=0) for i in range(n)
    ]
    top = _nice_max(max(totals, default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart chart-h"><title>{escape(title)}</title>'
    ]
    for i, label in enumerate(labels):
        y = top_pad + row_height * i
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row_height * 0.65:.1f}" text-anchor="end" font-size="12" '
            f'fill="#333">{escape(label)}</text>'
        )
        x = float(label_width)
        for k, s in enumerate(series):
            value = s.values[i]
            w = plot_w * value / top
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_height - 8}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(label)} · {escape(s.name)}: '
                f"{escape(fmt(value))}</title></rect>"
            )
            if stacked:
                x += w
        end = label_width + plot_w * totals[i] / top
        parts.append(
            f'<text x="{end + 6:.1f}" y="{y + row_height * 0.65:.1f}" font-size="11" fill="#6b7785">'
            f"{escape(fmt(totals[i]))}</text>"
        )
    parts += legend
    parts.append("</svg>")
    return Markup("".join(parts))
