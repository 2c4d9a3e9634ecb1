"""Dated vertical lines on a time chart (breaks in a series, emergency measures, rule changes): each line labelled
on the chart with a short label from the data, a legend saying what each kind of line means, and a click on a
legend entry to show that kind alone (a second click shows every kind again).

Vega cannot keep labels apart by itself, so they are laid out here. A chart is drawn at the width of its container,
so the layout is made for the narrowest plot the site draws (the static SVG, about 230 px wide) and holds at every
wider width: labels only move apart. The labels sit in rows above the plot, each line rising to its label, so no
label lies on the data.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

import altair as alt
import pandas as pd

MIN_PLOT_WIDTH = 225  # px: the plot of the static SVG (300 px wide, less the y axis) is about 230 px
FONT_PX = 11
ROW_PX = 13  # one row of labels
GAP_PX = 6  # between two labels in a row
NUDGE_PX = 3  # from a line to its label
# Above the plot, a label may run this far left of it, over the y axis (whose labels and title lie lower down; the
# narrowest y axis on the site is about 45 px wide): a label there makes the chart no wider.
LEFT_SPILL_PX = 36
SELECTION = "line_kind"


@dataclass(frozen=True)
class LineKind:
    """One kind of dated line: what the legend says it means, and how it is drawn (dash, not colour alone)."""

    legend: str
    colour: str
    dash: tuple[int, ...] = ()


@dataclass(frozen=True)
class DateLines:
    # The lines, their labels and the legend, to layer under the data. They are coloured by the stroke and fill
    # channels, not color, so a chart's own colour legend stays its own; layer them with `layered`.
    layers: list[alt.Chart]
    labels: pd.DataFrame  # one row per label (LABEL_COLUMNS): text, kind, first and last line, n (how many), ...

    @property
    def height(self) -> int:
        """How far the labels rise above the plot."""
        return 0 if self.labels.empty else (int(self.labels["row"].max()) + 1) * ROW_PX

    @property
    def legend_offset(self):
        """For a legend above the plot: clear of the labels (Vega places a legend from the plot and its axes, not
        from the marks), or where Vega would put it when there are none."""
        return self.height + 8 if self.height else alt.Undefined

    def sentence(self, what: str) -> str:
        """What the lines are and what their labels say, for the chart's alt text."""
        if self.labels.empty:
            return ""
        n = int(self.labels["n"].sum())
        shared = self.labels[self.labels["n"] > 1]
        text = (f"{n} vertical {'line marks' if n == 1 else 'lines mark'} {what}, each labelled on the chart "
                f"({'; '.join(self.labels['text'])})")
        if not shared.empty:
            text += (". Lines too close together to label one by one share a label: "
                     + "; ".join(f"{r['n']} from {_month(r['first'])} to {_month(r['last'])} ({r['text']})"
                                 for _, r in shared.iterrows()))
        return text + "."


def _month(d) -> str:
    return pd.Timestamp(d).strftime("%B %Y")


# Advance widths in ems, rounded up from DejaVu Sans, the widest of the sans-serif fonts a reader's browser or the
# static renderer is likely to draw with (Arial, Helvetica and Liberation Sans are narrower): a label is laid out
# at least as long as it is drawn.
_WIDE = {"m": 0.98, "w": 0.82, "M": 0.87, "W": 0.99, "→": 0.84, "×": 0.84, "+": 0.84, "%": 0.95}
_NARROW = {"i": 0.28, "l": 0.28, "j": 0.28, ".": 0.32, ",": 0.32, ":": 0.34, ";": 0.34, "'": 0.28, "!": 0.4,
           " ": 0.32, "f": 0.36, "t": 0.4, "r": 0.42, "I": 0.3, "(": 0.4, ")": 0.4, "-": 0.37, "/": 0.34}


def text_width(text: str, font_px: float = FONT_PX) -> float:
    """How wide `text` is drawn, in pixels, at most."""
    em = 0.0
    for ch in text:
        if ch in _WIDE:
            em += _WIDE[ch]
        elif ch in _NARROW:
            em += _NARROW[ch]
        elif ch.isdigit():
            em += 0.64
        elif ch.isupper():
            em += 0.79
        else:
            em += 0.64
    return em * font_px


def joined(shorts: list[str]) -> str:
    """The label of lines that share one: their short labels, once each."""
    return " / ".join(dict.fromkeys(shorts))


LABEL_COLUMNS = ["text", "kind", "first", "last", "n", "row", "align", "x0", "x1"]


def layout(marks: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp, *, merge_px: float = 4,
           combine: Callable[[pd.DataFrame], str] | None = None, width: float = MIN_PLOT_WIDTH) -> pd.DataFrame:
    """One label per group of lines, with its row (0 next to the plot, counting up), alignment, and where it runs
    (x0 to x1, in pixels from the left of a plot `width` wide).

    Lines of the same kind closer than `merge_px` at `width`, and lines of any kind closer than 3 px (one line on
    screen), share a label: `combine` makes it from their rows (by default their short labels joined). A label goes
    beside its lines, right or left, within the plot's width (or a little left of it), in a row where it touches no
    other label; of the layouts tried, the one with the fewest lines crossing a label (a reader could take the label
    for that line's), then the fewest rows, is kept."""
    combine = combine or (lambda rows: joined(list(rows["short"])))
    m = marks.sort_values("date", kind="stable").reset_index(drop=True)
    span = max((pd.Timestamp(hi) - pd.Timestamp(lo)).total_seconds(), 1.0)
    m["px"] = [(pd.Timestamp(d) - pd.Timestamp(lo)).total_seconds() / span * width for d in m["date"]]
    groups: list[list[int]] = []
    for i in range(len(m)):
        if groups:
            prev = m.loc[groups[-1][-1]]
            gap = m.loc[i, "px"] - prev["px"]
            if gap < 3 or (gap < merge_px and m.loc[i, "kind"] == prev["kind"]):
                groups[-1].append(i)
                continue
        groups.append([i])
    texts = [combine(m.loc[g]) for g in groups]
    lines = [list(m.loc[g, "px"]) for g in groups]
    choices = []
    for i, (text, xs) in enumerate(zip(texts, lines)):
        w = text_width(text)
        spans = [(align, a, a + w) for align, a in (("left", xs[-1] + NUDGE_PX), ("right", xs[0] - NUDGE_PX - w))
                 if a >= -LEFT_SPILL_PX and a + w <= width]
        # Wider than the plot either way: it starts at its line and runs past the edge.
        choices.append(spans or [("left", xs[-1] + NUDGE_PX, xs[-1] + NUDGE_PX + w)])
    # Every choice of sides while there are few labels (a chart has a dozen at most), else each side first.
    sides = (list(itertools.product(*[[[s] for s in c] for c in choices]))
             if math.prod(len(c) for c in choices) <= 4096 else [[c[::p] for c in choices] for p in (1, -1)])
    best = min((_place(order, list(side), lines) for side in sides for order in (1, -1)),
               key=lambda placed: (_crossings(placed, lines), max((r for r, *_ in placed), default=-1)), default=[])
    out = [{"text": text, "kind": m.loc[g[0], "kind"], "first": m.loc[g[0], "date"], "last": m.loc[g[-1], "date"],
            "n": len(g), "row": row, "align": align, "x0": a, "x1": b}
           for g, text, (row, align, a, b) in zip(groups, texts, best)]
    return pd.DataFrame(out, columns=LABEL_COLUMNS)


def _place(order: int, choices: list, lines: list) -> list[tuple[int, str, float, float]]:
    """Labels placed one by one (in date order, or from the latest back), each on the first side it may take, in
    the lowest row where it touches no other label and no line crosses it; failing that, the lowest row where it
    touches no other label (the crossing line passes behind the label's halo)."""
    placed: dict[int, tuple[int, str, float, float]] = {}
    for i in list(range(len(choices)))[::order]:
        spans = choices[i]
        used = max((r for r, *_ in placed.values()), default=-1) + 1
        others = [(r, a, b, lines[j]) for j, (r, _, a, b) in placed.items()]
        row, (align, a, b) = next(
            ((r, span) for r in range(used + 1) for span in spans if _free(r, span[1], span[2], lines[i], others)),
            next((r, span) for r in range(used + 1) for span in spans
                 if _free(r, span[1], span[2], lines[i], others, crossing=True)))
        placed[i] = (row, align, a, b)
    return [placed[i] for i in range(len(choices))]


def _crossings(placed: list, lines: list) -> int:
    """How many times a line passes behind another group's label on its way up to its own."""
    return sum(1 for i, (r, _, a, b) in enumerate(placed) for j, (r2, *_) in enumerate(placed)
               if j != i and r2 > r for x in lines[j] if a - 1 <= x <= b + 1)


def _free(row: int, a: float, b: float, xs: list[float], placed, crossing: bool = False) -> bool:
    """Whether a label from a to b in `row` (0 next to the plot), whose lines rise to it from xs, touches no other
    label, and (unless `crossing`) crosses no line that rises past it and has no line of its own crossing a label
    below it."""
    for r, a2, b2, xs2 in placed:
        if r == row and a < b2 + GAP_PX and a2 < b + GAP_PX:
            return False
        if crossing:
            continue
        if r > row and any(a - 1 <= x <= b + 1 for x in xs2):
            return False
        if r < row and any(a2 - 1 <= x <= b2 + 1 for x in xs):
            return False
    return True


def _iso(values) -> list[str]:
    return [pd.Timestamp(v).strftime("%Y-%m-%d") for v in values]


def date_lines(marks: pd.DataFrame, kinds: dict[str, LineKind], lo: pd.Timestamp, hi: pd.Timestamp, *,
               legend_title: str, x: str = "date", label_title: str = "What changed", merge_px: float = 4,
               combine: Callable[[pd.DataFrame], str] | None = None, data_span: tuple | None = None) -> DateLines:
    """The layers that draw those of `marks` (columns date, kind, short, label) between `lo` and `hi` on a chart
    whose x field is `x` and whose data run over `data_span` (by default lo to hi): the lines and the data make the
    chart's x domain. Only the kinds that occur are in the legend; a kind's legend entry, clicked, shows that kind
    alone (clicked again, every kind)."""
    marks = marks.assign(date=pd.to_datetime(marks["date"]))
    marks = marks[(marks["date"] >= lo) & (marks["date"] <= hi)]
    first, last = (pd.Timestamp(d) for d in (data_span or (lo, hi)))
    if not marks.empty:
        first, last = min(first, marks["date"].min()), max(last, marks["date"].max())
    labels = layout(marks, first, last, merge_px=merge_px, combine=combine)
    if marks.empty:
        return DateLines([], labels)
    unknown = set(marks["kind"]) - set(kinds)
    if unknown:
        raise ValueError(f"dated lines of unknown kind {sorted(unknown)}; known: {sorted(kinds)}")
    used = [k for k in kinds if k in set(marks["kind"])]
    domain = [kinds[k].legend for k in used]
    colour = alt.Scale(domain=domain, range=[kinds[k].colour for k in used])
    dash = alt.Scale(domain=domain, range=[list(kinds[k].dash) or [1, 0] for k in used])
    # Bound to the legend, with no selection every kind shows: so does the static picture, which cannot be clicked.
    pick = alt.selection_point(name=SELECTION, fields=["kind"], bind="legend", toggle="true")
    shown = alt.condition(pick, alt.value(1), alt.value(0))
    # Each line rises above the plot to the row of its label.
    row = [int(labels.loc[(labels["first"] <= d) & (labels["last"] >= d), "row"].iloc[0]) for d in marks["date"]]
    data = pd.DataFrame({x: _iso(marks["date"]), "kind": [kinds[k].legend for k in marks["kind"]],
                         "short": list(marks["short"]), "label": list(marks["label"]),
                         "top": [_label_top(r) for r in row]})
    rules = alt.Chart(data).mark_rule(strokeWidth=1.4).encode(
        x=alt.X(f"{x}:T", title=None), y=alt.Y("top:Q", scale=None, axis=None), y2=alt.value("height"),
        stroke=alt.Stroke("kind:N", scale=colour, title=legend_title,
                          legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0, titleLimit=0,
                                            symbolType="stroke", symbolStrokeWidth=2)),
        strokeDash=alt.StrokeDash("kind:N", scale=dash, title=legend_title),
        opacity=shown,
        tooltip=[alt.Tooltip(f"{x}:T", title="Date", format="%d %b %Y"), alt.Tooltip("kind:N", title="Kind"),
                 alt.Tooltip("short:N", title="Label"), alt.Tooltip("label:N", title=label_title)],
    ).add_params(pick)
    layers = [rules]
    text = pd.DataFrame({x: _iso([f if a == "right" else la for f, la, a in
                                  zip(labels["first"], labels["last"], labels["align"])]),
                         "kind": [kinds[k].legend for k in labels["kind"]], "text": list(labels["text"]),
                         "top": [_label_top(r) for r in labels["row"]], "align": list(labels["align"]),
                         "n": list(labels["n"])})
    for align, dx in (("left", NUDGE_PX), ("right", -NUDGE_PX)):
        part = text[text["align"] == align].drop(columns="align")
        if part.empty:
            continue
        enc = dict(x=alt.X(f"{x}:T", title=None), y=alt.Y("top:Q", scale=None, axis=None), text="text:N",
                   opacity=shown)
        # A white halo under each label keeps it legible where another group's line runs up behind it.
        layers.append(alt.Chart(part).mark_text(align=align, baseline="top", dx=dx, fontSize=FONT_PX,
                                                stroke="#ffffff", strokeWidth=5, strokeJoin="round").encode(**enc))
        layers.append(alt.Chart(part).mark_text(align=align, baseline="top", dx=dx, fontSize=FONT_PX).encode(
            fill=alt.Fill("kind:N", scale=colour, legend=None), **enc,
            tooltip=[alt.Tooltip("text:N", title="Label"), alt.Tooltip("n:Q", title="Lines it names")]))
    return DateLines(layers, labels)


def _label_top(row: int) -> int:
    """Where a label in `row` (0 next to the plot) starts, in pixels from the top of the plot: above it."""
    return -(int(row) + 1) * ROW_PX


def layered(lines: DateLines, *charts: alt.Chart, under: tuple = ()) -> alt.LayerChart:
    """The dated lines over `under` (bars, which would hide them, or shaded gaps) and under the data (`charts`).
    The data's layers are a layer of their own, resolved apart from the lines, so each keeps its legends whole
    (series told apart by colour, dash and shape keep one legend for all three)."""
    under = tuple(c for c in under if c is not None)
    data = [alt.layer(*[c for c in charts if c is not None])] if any(c is not None for c in charts) else []
    return alt.layer(*under, *lines.layers, *data).resolve_scale(
        **{channel: "independent" for channel in ("color", "fill", "stroke", "strokeDash", "shape", "size")})
