#!/usr/bin/env python3
"""The demo's timeline picture: one row per key (kid), from the key registry seen over time.

`make demo` feeds a `History` with the private key registry object
(`.jwks-rotation/<bucketPath>.registry.json`: publishedAt / activatedAt / retiredAt /
tokenTtlSeconds per kid, and the revoked kids) after every event, then calls `render`, which
writes an SVG with matplotlib (Agg/SVG backend, headless). Each row shows when the key was
published but not signing, when it signed, when it was retired but still published, and, on a
hatched band under it, how long the tokens it signed may still be presented (retiredAt to
retiredAt + token lifetime): the key stays published until the last of them has expired.
Revocations and emergency rotations are marked.

The registry holds public keys only; nothing here reads or writes private key material.

Usage: timeline.py render HISTORY.json OUT.svg   (draw a history the demo saved)
       timeline.py check OUT.svg KIDS.txt         (exit 1 unless the picture names every kid)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display, no GUI toolkit

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

# Colours of the spans (colour-blind safe, readable in print).
NEXT_COLOUR = "#9ecae1"  # published, not signing yet
SIGNING_COLOUR = "#08519c"  # signing
RETIRED_COLOUR = "#bdbdbd"  # retired, still published
TOKEN_COLOUR = "#e6550d"  # tokens signed by the key still valid
REVOKED_COLOUR = "#cb181d"
EMERGENCY_COLOUR = "#6a3d9a"
# Room drawn right of the end of the run, where the keys still published are shown going on.
AFTER_END = timedelta(days=8)


@dataclass
class KeySpan:
    """What the registry told about one kid, and when the demo saw it leave."""

    kid: str
    published_at: datetime
    activated_at: datetime | None = None
    retired_at: datetime | None = None
    token_ttl_seconds: int | None = None
    removed_at: datetime | None = None  # first observation without the kid in the registry
    revoked_at: datetime | None = None


@dataclass
class History:
    """Registry observations merged into one `KeySpan` per kid, plus the operator's events."""

    start: datetime
    end: datetime
    max_token_validity: timedelta
    title: str = ""
    keys: dict[str, KeySpan] = field(default_factory=dict)
    emergencies: list[tuple[datetime, str | None]] = field(default_factory=list)

    def observe(self, registry: dict, now: datetime) -> None:
        """Merges one read of the registry object, made at `now` (the Lambda's clock)."""
        present = set()
        for key in registry.get("keys", []):
            kid = key["jwk"]["kid"]
            present.add(kid)
            span = self.keys.setdefault(kid, KeySpan(kid, parse_time(key["publishedAt"])))
            span.activated_at = parse_time(key.get("activatedAt")) or span.activated_at
            span.retired_at = parse_time(key.get("retiredAt")) or span.retired_at
            span.token_ttl_seconds = key.get("tokenTtlSeconds") or span.token_ttl_seconds
        for kid, when in registry.get("revoked", {}).items():
            span = self.keys.get(kid)
            if span is not None and span.revoked_at is None:
                span.revoked_at = parse_time(when)
        for span in self.keys.values():
            if span.kid not in present and span.removed_at is None:
                span.removed_at = span.revoked_at or now
        self.end = max(self.end, now)

    def note_emergency(self, when: datetime, new_kid: str | None) -> None:
        """Records an emergency rotation that made `new_kid` sign at `when`."""
        self.emergencies.append((when, new_kid))

    def kids(self) -> list[str]:
        """Every kid seen, in publication order."""
        return list(self.keys)

    def to_json(self) -> str:
        """The history as JSON (public data only), for re-rendering without a demo run."""

        def encode(value):
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, timedelta):
                return value.total_seconds()
            raise TypeError(type(value))

        data = {
            "start": self.start,
            "end": self.end,
            "maxTokenValidity": self.max_token_validity,
            "title": self.title,
            "keys": [asdict(span) for span in self.keys.values()],
            "emergencies": self.emergencies,
        }
        return json.dumps(data, default=encode, indent=1)

    @classmethod
    def from_json(cls, text: str) -> History:
        """The inverse of `to_json`."""
        data = json.loads(text)
        history = cls(
            parse_time(data["start"]),
            parse_time(data["end"]),
            timedelta(seconds=data["maxTokenValidity"]),
            data.get("title", ""),
        )
        for raw in data["keys"]:
            span = KeySpan(**raw)
            for name in ("published_at", "activated_at", "retired_at", "removed_at", "revoked_at"):
                setattr(span, name, parse_time(getattr(span, name)))
            history.keys[span.kid] = span
        history.emergencies = [(parse_time(when), kid) for when, kid in data["emergencies"]]
        return history


def parse_time(text: str | None) -> datetime | None:
    """An RFC 3339 time as written by chrono (`Z`, up to nanoseconds), or None."""
    if not text:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def span_bars(span: KeySpan, end: datetime) -> list[tuple[datetime, datetime, str]]:
    """The key's published life as (from, to, colour) bars: NEXT, signing, retired."""
    gone = span.removed_at or end
    bars = []
    signing_from = span.activated_at or gone
    bars.append((span.published_at, signing_from, NEXT_COLOUR))
    if span.activated_at is not None:
        bars.append((span.activated_at, span.retired_at or gone, SIGNING_COLOUR))
    if span.retired_at is not None:
        bars.append((span.retired_at, gone, RETIRED_COLOUR))
    return [(start, stop, colour) for start, stop, colour in bars if stop > start]


def token_window(span: KeySpan, default_ttl: timedelta) -> tuple[datetime, datetime] | None:
    """When tokens the key signed may still be presented after it retired, or None."""
    if span.retired_at is None:
        return None
    ttl = timedelta(seconds=span.token_ttl_seconds) if span.token_ttl_seconds else default_ttl
    return span.retired_at, span.retired_at + ttl


def render(history: History, path: Path) -> Path:
    """Draws the history as an SVG at `path` (text kept as <text>, so kids are searchable)."""
    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "jwks-rotation", "font.size": 9})
    kids = history.kids()
    figure, axes = plt.subplots(figsize=(11, 2.2 + 0.36 * len(kids)), layout="constrained")
    for row, kid in enumerate(kids):
        draw_row(axes, row, history.keys[kid], history)
    for when, _kid in history.emergencies:
        mark_time(axes, when, "emergency rotation", EMERGENCY_COLOUR)
    mark_time(axes, history.end, "end of run", "#555555", upright=True)
    axes.set_yticks(range(len(kids)), kids, fontfamily="monospace", fontsize=8)
    axes.set_ylim(len(kids) - 0.4, -1.0)
    axes.set_xlim(mdates.date2num(history.start), mdates.date2num(history.end + AFTER_END))
    axes.xaxis.set_major_locator(mdates.MonthLocator())
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    axes.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.set_title(history.title or f"{len(kids)} keys", fontsize=10, loc="left")
    axes.set_xlabel("time (UTC, the Lambda's clock)")
    figure.legend(handles=legend_handles(), loc="outside lower center", ncol=3, frameon=False, fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)
    return path


def bar(axes, start: datetime, stop: datetime, y: float, height: float, **style) -> None:
    """A horizontal bar from `start` to `stop`, its top edge at `y` (rows grow downwards)."""
    left = mdates.date2num(start)
    axes.broken_barh([(left, mdates.date2num(stop) - left)], (y, height), **style)


def mark_time(axes, when: datetime, label: str, colour: str, upright: bool = False) -> None:
    """A dashed vertical line across every row at `when`, labelled at its top left (upright:
    written along the line, for a mark close to another one)."""
    x = mdates.date2num(when)
    axes.axvline(x, color=colour, linestyle="--", linewidth=0.9)
    axes.annotate(label, (x, -0.95 if upright else -0.65), color=colour, ha="right",
                  va="top" if upright else "center", rotation=90 if upright else 0, fontsize=8,
                  xytext=(-2, 0), textcoords="offset points")


def draw_row(axes, row: int, span: KeySpan, history: History) -> None:
    """One key: its published life as bars, its token window hatched under them, its marks."""
    bars = span_bars(span, history.end)
    for start, stop, colour in bars:
        bar(axes, start, stop, row - 0.3, 0.4, facecolors=colour, edgecolor="none")
    if bars and span.removed_at is None:  # still published when the run ended: it goes on
        bar(axes, history.end, history.end + AFTER_END, row - 0.3, 0.4, facecolors=bars[-1][2],
            edgecolor="none", alpha=0.35)
    window = token_window(span, history.max_token_validity)
    if window is not None:
        start, stop = window
        cut = min(stop, max(start, span.revoked_at)) if span.revoked_at else stop
        for begin, end, colour in ((start, cut, TOKEN_COLOUR), (cut, stop, REVOKED_COLOUR)):
            if end > begin:
                bar(axes, begin, end, row + 0.13, 0.17, facecolors="none", edgecolor=colour,
                    hatch="////", linewidth=0.6)
    if span.revoked_at is not None:
        axes.plot(mdates.date2num(span.revoked_at), row - 0.1, marker="X", markersize=9,
                  color=REVOKED_COLOUR, linestyle="none")
    for when, kid in history.emergencies:
        if kid == span.kid:
            axes.plot(mdates.date2num(when), row - 0.1, marker="*", markersize=11,
                      color=EMERGENCY_COLOUR, linestyle="none")


def legend_handles() -> list:
    """The legend: what each colour, hatch and mark means."""
    return [
        Patch(facecolor=NEXT_COLOUR, label="published as NEXT, not signing"),
        Patch(facecolor=SIGNING_COLOUR, label="signing (AWSCURRENT)"),
        Patch(facecolor=RETIRED_COLOUR, label="retired, still published"),
        Patch(facecolor=SIGNING_COLOUR, alpha=0.35, label="faded: as it stands when the run ends"),
        Patch(facecolor="none", edgecolor=TOKEN_COLOUR, hatch="////",
              label="its tokens still valid (retiredAt + max token validity)"),
        Patch(facecolor="none", edgecolor=REVOKED_COLOUR, hatch="////",
              label="its tokens rejected after a revocation"),
        Line2D([], [], marker="X", color=REVOKED_COLOUR, linestyle="none", markersize=8,
               label="revoked: leaves the JWKS, its tokens stop verifying"),
        Line2D([], [], marker="*", color=EMERGENCY_COLOUR, linestyle="none", markersize=10,
               label="emergency rotation: the fresh key signs at once"),
    ]


def svg_texts(path: Path) -> list[str]:
    """The text of every <text> element of an SVG (with `svg.fonttype: none`, all labels)."""
    tree = ElementTree.parse(path)
    return ["".join(node.itertext()) for node in tree.iter() if node.tag.endswith("}text") or node.tag == "text"]


def missing_kids(path: Path, kids: list[str]) -> list[str]:
    """The kids that no text of the SVG names (all of them if the file is missing)."""
    if not path.is_file():
        return list(kids)
    texts = svg_texts(path)
    return [kid for kid in kids if not any(kid in text for text in texts)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    draw = commands.add_parser("render", help="draw a saved history (target/demo/timeline.json)")
    draw.add_argument("history", type=Path)
    draw.add_argument("svg", type=Path)
    check = commands.add_parser("check", help="fail unless the SVG names every kid of the file")
    check.add_argument("svg", type=Path)
    check.add_argument("kids", type=Path, help="one kid a line (target/demo/kids.txt)")
    args = parser.parse_args()
    if args.command == "render":
        out = render(History.from_json(args.history.read_text()), args.svg)
        print(f"==> wrote {out}")
        return 0
    kids = args.kids.read_text().split() if args.kids.is_file() else []
    if not kids:
        print(f"{args.kids} names no kid: the run saw none, or did not finish")
        return 1
    missing = missing_kids(args.svg, kids)
    if missing:
        print(f"{args.svg} does not name {len(missing)} of the {len(kids)} kids of the run: {' '.join(missing)}")
        return 1
    print(f"==> {args.svg} names all {len(kids)} kids of the run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
