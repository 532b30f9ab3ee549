"""The /stats chart as a PNG: readiness per topic (with the goal's forecast) above answers per day.

matplotlib draws it on the Agg canvas (no display). The caller runs `render_png` in a worker thread
(asyncio.to_thread) so the event loop never waits for it.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import texts
from bot.domain.chart import ChartData

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# matplotlib's documentation says it is not thread-safe; a render takes tens of milliseconds, so two /stats
# at once simply take turns.
_LOCK = threading.Lock()
DPI = 100
WIDTH_IN = 8.0
ROW_IN = 0.3
DAYS_IN = 2.3
GAP_IN = 0.95
NOW_COLOR = "#3b6fb6"
FORECAST_COLOR = "#e08a2c"
DAY_COLOR = "#5a9e6f"
BAR_COLOR = "#b03a2e"
GRID_COLOR = "#e4e4e4"
# PNG compression barely shrinks flat-coloured charts past level 3 and costs most of the encoding time.
PNG_OPTIONS = {"compress_level": 3}


def render_png(data: ChartData) -> bytes:
    """The chart as PNG bytes (blocking: call it in a thread)."""
    with _LOCK:
        return _render(data)


def _render(data: ChartData) -> bytes:
    # Imported here: ~0.3 s that only the first chart pays, in its worker thread, not the bot's start-up.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(len(data.topics), 1)
    top_in = ROW_IN * rows + 0.6
    height = top_in + DAYS_IN + GAP_IN + 1.0
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    topics_ax, days_ax = fig.subplots(2, 1, height_ratios=(top_in, DAYS_IN))
    fig.subplots_adjust(
        left=0.3, right=0.95, top=1 - 0.55 / height, bottom=0.45 / height, hspace=GAP_IN / ((top_in + DAYS_IN) / 2)
    )
    _topics(topics_ax, data)
    _days(days_ax, data)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, pil_kwargs=PNG_OPTIONS)
    return out.getvalue()


def _bars(ax: Axes, spans: Sequence[tuple[float, float, float, float]], color: str, label: str | None = None) -> None:
    """Rectangles (x0, y0, x1, y1) as one collection: one artist instead of a patch per bar (bar() costs 3x)."""
    from matplotlib.collections import PolyCollection

    polys = [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)] for x0, y0, x1, y1 in spans]
    ax.add_collection(PolyCollection(polys, facecolors=color, edgecolors="none", label=label), autolim=False)


def _style(ax: Axes, title: str) -> None:
    # A fixed title position: matplotlib's automatic one measures every tick label again.
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", y=1.0, pad=8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _topics(ax: Axes, data: ChartData) -> None:
    n = len(data.topics)
    ys = [n - 1 - i for i in range(n)]
    has_forecast = any(t.forecast is not None for t in data.topics)
    half = 0.2 if has_forecast else 0.35
    lift = half if has_forecast else 0.0
    _bars(
        ax,
        [(0, y + lift - half, t.readiness * 100, y + lift + half) for y, t in zip(ys, data.topics, strict=True)],
        NOW_COLOR,
        texts.CHART_NOW,
    )
    if has_forecast:
        spans = [
            (0, y - lift - half, (t.forecast or 0.0) * 100, y - lift + half)
            for y, t in zip(ys, data.topics, strict=True)
        ]
        _bars(ax, spans, FORECAST_COLOR, texts.chart_forecast_label(data.goal[0] if data.goal else None))
    if data.goal is not None:
        ax.axvline(data.goal[1] * 100, color=BAR_COLOR, linestyle="--", linewidth=1.2, label=texts.CHART_BAR)
    # Labels as plain text, not ticks: each tick carries two lines and two labels, a third of the drawing time.
    ax.set_yticks([])
    labels = ax.get_yaxis_transform()
    for y, t in zip(ys, data.topics, strict=True):
        ax.text(-0.015, y, t.topic, transform=labels, ha="right", va="center", fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xticks([0, 20, 40, 60, 80, 100], ["0", "20", "40", "60", "80", "100%"], fontsize=8)
    ax.grid(axis="x", color=GRID_COLOR)
    _style(ax, texts.chart_readiness_title(data.level))
    if has_forecast or data.goal is not None:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=3, fontsize=8, frameon=False, borderaxespad=1.6)


def _days(ax: Axes, data: ChartData) -> None:
    from matplotlib.ticker import MaxNLocator

    counts = [c for _, c in data.days]
    _bars(ax, [(x - 0.4, 0, x + 0.4, c) for x, c in enumerate(counts) if c], DAY_COLOR)
    xs = range(len(counts))
    ticks = [x for x in xs if (len(counts) - 1 - x) % 7 == 0]
    ax.set_xticks(ticks, [data.days[x][0].strftime(texts.CHART_DAY_FORMAT) for x in ticks], fontsize=8)
    ax.set_xlim(-0.7, len(counts) - 0.3)
    top = max([*counts, 1])
    ax.set_ylim(0, top * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", color=GRID_COLOR)
    _style(ax, texts.chart_days_title(sum(counts)))
