"""Charts drawn on the server as SVG geometry (no JavaScript, nothing fetched): the templates
`admin/charts/*_chart.html` turn these numbers into `<rect>` and `<polyline>` elements,
each with a `<title>` a pointer shows."""

from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 200
LEFT, BOTTOM, TOP = 56, 28, 12  # room for the value axis and the labels


def nice_max(value: int) -> int:
    """A round axis top at or above `value` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def ticks(top: int, count: int = 4) -> list[tuple[int, float]]:
    """(value, y) of the value axis' lines: whole numbers, never the same one twice."""
    count = max(1, min(count, top))
    plot = HEIGHT - BOTTOM - TOP
    return [(top * i // count, HEIGHT - BOTTOM - plot * i / count) for i in range(count + 1)]


@dataclass
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class BarChart:
    title: str
    bars: list[Bar]
    ticks: list[tuple[int, float]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM


def bar_chart(title: str, items: list[tuple[str, int]]) -> BarChart:
    top = nice_max(max((value for _, value in items), default=0))
    plot_width, plot_height = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_width / max(len(items), 1)
    bars = []
    for index, (label, value) in enumerate(items):
        height = plot_height * value / top
        bars.append(
            Bar(
                label=label,
                value=value,
                x=LEFT + index * slot + slot * 0.15,
                y=HEIGHT - BOTTOM - height,
                width=slot * 0.7,
                height=height,
            )
        )
    return BarChart(title, bars, ticks(top))


@dataclass
class Line:
    name: str
    css: str
    points: str  # "x,y x,y …" for <polyline points>
    total: int
    dots: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, title


@dataclass
class LineChart:
    title: str
    lines: list[Line]
    ticks: list[tuple[int, float]]
    labels: list[tuple[float, str]]  # x, text under the axis
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM


def line_chart(title: str, days: list, series: list[tuple[str, str, str]]) -> LineChart:
    """`days`: objects with a `day` and an attribute per series; `series`: (attribute,
    name, css class)."""
    top = nice_max(max((getattr(d, attr) for d in days for attr, _, _ in series), default=0))
    plot_width, plot_height = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_width / max(len(days) - 1, 1)
    lines = []
    for attr, name, css in series:
        coordinates = [
            (LEFT + i * step, HEIGHT - BOTTOM - plot_height * getattr(d, attr) / top, d)
            for i, d in enumerate(days)
        ]
        lines.append(
            Line(
                name=name,
                css=css,
                points=" ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coordinates),
                total=sum(getattr(d, attr) for d in days),
                dots=[
                    (x, y, f"{d.day:%d %b}: {getattr(d, attr):,} {name.lower()}")
                    for x, y, d in coordinates
                    if getattr(d, attr)
                ],
            )
        )
    labels = [(LEFT + i * step, f"{d.day:%d %b}") for i, d in enumerate(days) if i % 15 == 0]
    return LineChart(title, lines, ticks(top), labels)
