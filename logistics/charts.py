"""Server-side pictures and facts for the provenance page (SVG built here: no inline scripts)."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from shapely.geometry import box, shape

from busanhub import basemap

from . import coldchain
from .epcis import identifiers, vocabulary

# The consumer page speaks Busan's time whatever the server's zone: the journey, the chart's axis
# and tooltips and the breach's period, each labelled KST.
BUSAN_TIME = ZoneInfo("Asia/Seoul")

STEPS = {
    "commissioning": _("Caught and landed"),
    "receiving": _("Received"),
    "shipping": _("Shipped"),
    "departing": _("Departed"),
    "arriving": _("Arrived"),
    "storing": _("Stored cold"),
    "packing": _("Packed"),
    "transforming": _("Processed"),
    "retail_selling": _("Sold"),
    "stocking": _("On the shelf"),
    "inspecting": _("Inspected"),
    "sensor_reporting": _("Temperature recorded"),
    "holding": pgettext_lazy("cold chain step", "Held"),
    "unpacking": _("Unpacked"),
    "loading": _("Loaded"),
}
AUCTION_STEP = "buy"


def timeline(journey) -> list[dict]:
    rows = []
    for event in journey.events:
        step = vocabulary.bare_term(event.biz_step)
        gln = identifiers.parse(event.biz_location or event.read_point).gln
        location = journey.locations.get(gln)
        label = STEPS.get(step)
        if event.event_type == "TransformationEvent":
            label = _("Processed")
        elif event.event_type == "AggregationEvent" and not label:
            label = _("Packed")
        elif event.event_type == "TransactionEvent" and location and location.kind == "auction":
            label = _("Sold at auction")
        rows.append(
            {
                "time": event.event_time,
                "label": label or step or event.event_type,
                "location": location.localized_name if location else "",
                "event_id": event.event_id,
                "digest": event.anchor_digest,
            }
        )
    return rows


def _vessel_name(name: str, journey) -> str:
    """The ILMD's vesselName is the English name the event carried; the vessel's location, when
    it is that one, has it in the reader's language."""
    for location in journey.locations.values():
        if location.kind == "vessel" and location.name == name:
            return location.localized_name
    return name


def catch_facts(lot, journey) -> dict:
    """Species, catch area, vessel, catch date and gear from the ILMD of the lot or its origins."""
    sources = [lot.ilmd, *[origin.ilmd for origin in journey.origins]]
    facts: dict = {}
    for ilmd in sources:
        for key, value in (ilmd or {}).items():
            name = key.split(":")[-1]
            facts.setdefault(name, value)
    return {
        "species": facts.get("speciesName") or lot.product.species,
        "catch_area": facts.get("catchArea", ""),
        "vessel": _vessel_name(facts.get("vesselName", ""), journey),
        "catch_date": facts.get("harvestStartDate", ""),
        "gear": facts.get("fishingGearTypeCode", ""),
        "trace_number": lot.trace_number or facts.get("traceNumber", ""),
    }


def _local(moment: datetime) -> datetime:
    return moment.astimezone(BUSAN_TIME)


def _celsius(value: Decimal | float) -> str:
    """7.20 → "7.2", −18.00 → "−18" (a real minus sign)."""
    text = f"{Decimal(str(value)).quantize(Decimal('0.1'))}".rstrip("0").rstrip(".")
    return text.replace("-", "−")


def celsius_text(value: Decimal | float) -> str:
    """7.20 → "7.2 °C" with a no-break space: a phone never wraps the unit from its number."""
    return f"{_celsius(value)}\N{NO-BREAK SPACE}°C"


def safe_range_text(storage_class: str) -> str:
    """The storage class's safe range in words ("0–4 °C", "−18 °C or colder")."""
    rule = coldchain.RULES.get(storage_class)
    if rule is None:
        return ""
    if rule.low is None and rule.high is not None:
        return str(_("%(high)s or colder") % {"high": celsius_text(rule.high)})
    if rule.high is None and rule.low is not None:
        return str(_("%(low)s or warmer") % {"low": celsius_text(rule.low)})
    return f"{_celsius(rule.low or 0)}–{celsius_text(rule.high or 0)}"


def period_text(start: datetime, end: datetime) -> str:
    """ "2026-12-03 11:00–12:00 KST", or with both dates when the period crosses midnight."""
    start, end = _local(start), _local(end)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {start:%Z}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} {end:%Z}"


def breach_summaries(breaches, readings, storage_class: str) -> list[dict]:
    """What the page says of each breach: when (Korean time, from the first out-of-range reading
    until the readings were back in range), how long, how far and the safe range."""
    rule = coldchain.RULES.get(storage_class)
    rows = []
    for breach in breaches:
        series = [
            coldchain.Reading(time=reading.time, celsius=Decimal(reading.celsius))
            for reading in readings
            if reading.lot_id == breach.lot_id
        ]
        end = (
            coldchain.back_in_range_at(series, rule, breach.ended_at)
            if rule is not None
            else breach.ended_at
        )
        rows.append(
            {
                "breach": breach,
                "period": period_text(breach.started_at, end),
                "minutes": breach.minutes_out_of_range,
                "extreme": celsius_text(breach.extreme_celsius),
                "safe_range": safe_range_text(storage_class),
            }
        )
    return rows


def _hour_ticks(t0: datetime, t1: datetime, most: int = 6) -> list[datetime]:
    """Whole Korean-time hours between t0 and t1: every 1, 2, 3, 6 or 12 hours (on hours that
    divide the day), or every few days at midnight, at most `most` of them."""
    hours = (t1 - t0).total_seconds() / 3600
    step = next((s for s in (1, 2, 3, 6, 12) if hours / s <= most), None)
    if step is None:
        step = 24 * max(1, math.ceil(hours / 24 / most))
    moment = _local(t0).replace(minute=0, second=0, microsecond=0)
    if moment < _local(t0):
        moment += timedelta(hours=1)
    while moment.hour % min(step, 24):
        moment += timedelta(hours=1)
    ticks = []
    while moment <= _local(t1):
        ticks.append(moment)
        moment += timedelta(hours=step)
    return ticks


def temperature_svg(
    readings, storage_class: str, width: int = 480, height: int = 250
) -> SafeString:
    """A line chart of the readings, the storage class's range shaded and breaches marked.

    The time axis is in Korean time (Asia/Seoul, labelled KST), like the journey; each reading
    has a tooltip with its time and temperature.
    """
    if not readings:
        return mark_safe("")
    rule = coldchain.RULES.get(storage_class)
    values = [Decimal(r.celsius) for r in readings]
    times = [r.time for r in readings]
    bounds = [rule.low, rule.high] if rule is not None else []
    low = float(min(values + [b for b in bounds if b is not None])) - 1
    high = float(max(values + [b for b in bounds if b is not None])) + 1
    t0, t1 = times[0], max(times[-1], times[0] + timedelta(seconds=1))
    left, right, top, bottom = 46, width - 14, 12, height - 48

    def x(moment: datetime) -> float:
        return left + (moment - t0).total_seconds() / (t1 - t0).total_seconds() * (right - left)

    def y(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    font = 'font-size="13" fill="#333"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="temperature-chart" role="img" aria-labelledby="temperature-title">',
        f'<title id="temperature-title">{escape(str(_("Temperature during the journey")))}</title>',
    ]
    if rule is not None:
        band_top = y(float(rule.high)) if rule.high is not None else top
        band_bottom = y(float(rule.low)) if rule.low is not None else bottom
        parts.append(
            f'<rect class="chart-band" x="{left}" y="{band_top:.1f}" width="{right - left}" '
            f'height="{max(band_bottom - band_top, 0):.1f}" fill="#d8f0e0"/>'
        )
    # Temperature labels: the safe range's edges and the extremes, never two on top of another.
    marks = sorted({*(float(b) for b in bounds if b is not None), float(max(values))})
    placed: list[float] = []
    for value in marks:
        if all(abs(y(value) - other) >= 15 for other in placed):
            placed.append(y(value))
            parts.append(
                f'<text class="chart-y" x="{left - 6}" y="{y(value) + 4:.1f}" {font} '
                f'text-anchor="end">{_celsius(value)}°</text>'
            )
    parts.append(
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#888" '
        'stroke-width="1"/>'
    )
    previous_date = None
    for tick in _hour_ticks(t0, t1):
        tx = x(tick)
        anchor = "start" if tx - left < 18 else "end" if right - tx < 18 else "middle"
        label = f"{tick:%H:%M}"
        if tick.date() != previous_date and previous_date is not None:
            label = f"{tick:%m-%d %H:%M}"
        previous_date = tick.date()
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{bottom}" stroke="#e3e3e3" '
            f'stroke-width="1"/><text class="chart-x" x="{tx:.1f}" y="{bottom + 17}" {font} '
            f'text-anchor="{anchor}">{label}</text>'
        )
    first_local = _local(times[0])
    parts.append(
        f'<text class="chart-zone" x="{left}" y="{height - 8}" {font}>'
        f"{first_local:%Y-%m-%d}</text>"
        f'<text class="chart-zone" x="{right}" y="{height - 8}" {font} text-anchor="end">'
        f"{escape(str(_('Korean time (KST, UTC+9)')))}</text>"
    )
    points = " ".join(f"{x(t):.1f},{y(float(v)):.1f}" for t, v in zip(times, values, strict=True))
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
    for t, v in zip(times, values, strict=True):
        outside = rule is not None and not rule.in_range(v)
        tip = f"{_local(t):%Y-%m-%d %H:%M %Z} · {_celsius(v)} °C"
        if outside:
            tip += f" · {_('outside the safe range')}"
        parts.append(
            f'<circle class="{"chart-breach" if outside else "chart-reading"}" '
            f'cx="{x(t):.1f}" cy="{y(float(v)):.1f}" r="{4 if outside else 3}" '
            f'fill="{"#c0392b" if outside else "#1f5fa8"}"><title>{escape(tip)}</title></circle>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is a number or escaped


def route_stops(journey) -> list:
    """The journey's locations with coordinates, in order, without repeating a stop."""
    stops: list = []
    for event in journey.events:
        gln = identifiers.parse(event.biz_location or event.read_point).gln
        location = journey.locations.get(gln)
        if location is None or location.latitude is None or location.longitude is None:
            continue
        if stops and stops[-1].pk == location.pk:
            continue
        stops.append(location)
    return stops


def route_svg(journey, language: str = "ko", width: int = 420, height: int = 340) -> SafeString:
    """The route on the offline base map of Busan: numbered stops (their names are listed under
    the map, so no label overlaps another or leaves the picture), district names in the page's
    language, the coastline and the land around the city."""
    stops = route_stops(journey)
    if not stops:
        return mark_safe("")
    coordinates = [(float(s.longitude), float(s.latitude)) for s in stops]
    frame = RouteFrame.around(coordinates, width=width, height=height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="route-map" role="img" aria-labelledby="route-title">',
        f'<title id="route-title">{escape(str(_("Route of the journey")))}</title>',
        f'<rect class="route-sea" x="0" y="0" width="{width}" height="{height}" fill="#cfe3f3"/>',
        *frame.base_map(),
    ]
    pixels = [frame.project(lon, lat) for lon, lat in coordinates]
    points = " ".join(f"{px:.1f},{py:.1f}" for px, py in pixels)
    parts.append(
        f'<polyline class="route-line" points="{points}" fill="none" stroke="#0b3d6e" '
        'stroke-width="2.5" stroke-dasharray="7 4"/>'
    )
    badges = _place_badges(pixels, width=width, height=height)
    for number, ((px, py), (bx, by)) in enumerate(zip(pixels, badges, strict=True), start=1):
        parts.append(
            f'<line x1="{px:.1f}" y1="{py:.1f}" x2="{bx:.1f}" y2="{by:.1f}" stroke="#0b3d6e" '
            f'stroke-width="1"/><circle class="route-stop" cx="{px:.1f}" cy="{py:.1f}" r="4" '
            f'fill="#0b3d6e"/><g class="route-badge"><circle cx="{bx:.1f}" cy="{by:.1f}" '
            f'r="{BADGE_RADIUS}" fill="#fff" stroke="#0b3d6e" stroke-width="2"/>'
            f'<text x="{bx:.1f}" y="{by + 4.5:.1f}" font-size="13" font-weight="700" '
            f'fill="#0b3d6e" text-anchor="middle">{number}</text></g>'
        )
    parts.extend(frame.district_labels(language, avoid=[*pixels, *badges]))
    parts.append(
        f'<text class="route-attribution" x="{width - 4}" y="{height - 5}" font-size="9" '
        f'fill="#555" text-anchor="end">{escape(str(_("Boundaries: NGII 2023")))}</text>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - names and texts are escaped


BADGE_RADIUS = 10


def _place_badges(
    pixels: list[tuple[float, float]], *, width: int, height: int
) -> list[tuple[float, float]]:
    """A spot for each stop's number badge near its stop: inside the picture, clear of the other
    badges and stops (greedy, nearest ring first)."""
    placed: list[tuple[float, float]] = []
    margin = BADGE_RADIUS + 2
    for px, py in pixels:
        choice = None
        for distance in (16, 28, 40, 54, 70):
            for angle in range(-45, 315, 45):
                bx = px + distance * math.cos(math.radians(angle))
                by = py - distance * math.sin(math.radians(angle))
                inside = margin <= bx <= width - margin and margin <= by <= height - margin
                clear = all(math.dist((bx, by), other) >= 2 * BADGE_RADIUS + 3 for other in placed)
                off_stops = all(math.dist((bx, by), stop) >= BADGE_RADIUS + 5 for stop in pixels)
                if inside and clear and off_stops:
                    choice = (bx, by)
                    break
            if choice:
                break
        placed.append(choice or (min(max(px, margin), width - margin), margin))
    return placed


@dataclass(frozen=True)
class RouteFrame:
    """A longitude/latitude window onto the base map and its equirectangular projection."""

    west: float
    south: float
    east: float
    north: float
    width: int
    height: int

    @classmethod
    def around(cls, coordinates, *, width: int, height: int) -> "RouteFrame":
        lons = [lon for lon, _ in coordinates]
        lats = [lat for _, lat in coordinates]
        scale_x = math.cos(math.radians(sum(lats) / len(lats)))
        span_lon = max(max(lons) - min(lons), 0.02) * 1.3
        span_lat = max(max(lats) - min(lats), 0.02) * 1.3
        # Widen whichever side is short so that the picture keeps the map's proportions.
        if span_lon * scale_x / span_lat < width / height:
            span_lon = span_lat * width / height / scale_x
        else:
            span_lat = span_lon * scale_x * height / width
        centre_lon = (max(lons) + min(lons)) / 2
        centre_lat = (max(lats) + min(lats)) / 2
        return cls(
            west=centre_lon - span_lon / 2,
            south=centre_lat - span_lat / 2,
            east=centre_lon + span_lon / 2,
            north=centre_lat + span_lat / 2,
            width=width,
            height=height,
        )

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            (lon - self.west) / (self.east - self.west) * self.width,
            (self.north - lat) / (self.north - self.south) * self.height,
        )

    def _path(self, geometry) -> str:
        # Cut a little outside the picture, so that the cut's own edges are not drawn.
        pad_lon, pad_lat = (self.east - self.west) * 0.05, (self.north - self.south) * 0.05
        window = box(
            self.west - pad_lon, self.south - pad_lat, self.east + pad_lon, self.north + pad_lat
        )
        clipped = geometry.intersection(window)
        if clipped.is_empty:
            return ""
        commands = []
        for line in _lines(clipped):
            previous = None
            for index, (lon, lat) in enumerate(line.coords):
                px, py = self.project(lon, lat)
                point = (round(px, 1), round(py, 1))
                if previous is not None and math.dist(point, previous) < 0.8:
                    continue
                commands.append(f"{'M' if index == 0 else 'L'}{point[0]:g} {point[1]:g}")
                previous = point
            if line.is_ring:
                commands.append("Z")
        return "".join(commands)

    def base_map(self) -> list[str]:
        parts = []
        for feature in basemap.features("neighbour"):
            path = self._path(shape(feature["geometry"]))
            if path:
                parts.append(
                    f'<path class="route-neighbour" d="{path}" fill="#e3e0d6" stroke="#b9b5a8" '
                    'stroke-width="0.8" fill-rule="evenodd"/>'
                )
        for district in basemap.districts():
            path = self._path(district.geometry)
            if path:
                parts.append(
                    f'<path class="route-district" data-district="{district.code}" d="{path}" '
                    'fill="#fbfaf5" stroke="#8b8fa0" stroke-width="0.8" stroke-dasharray="3 2" '
                    'fill-rule="evenodd"/>'
                )
        for feature in basemap.features("coastline"):
            path = self._path(shape(feature["geometry"]))
            if path:
                parts.append(
                    f'<path class="route-coast" d="{path}" fill="none" stroke="#2f6aa3" '
                    'stroke-width="1.2"/>'
                )
        return parts

    def district_labels(self, language: str, *, avoid: list[tuple[float, float]]) -> list[str]:
        """Each district's name at its label point, when it fits: inside the picture and clear
        of the stops, the badges and the other names (bigger districts first)."""
        taken: list[tuple[float, float, float, float]] = [
            (x - BADGE_RADIUS - 2, y - BADGE_RADIUS - 2, x + BADGE_RADIUS + 2, y + BADGE_RADIUS + 2)
            for x, y in avoid
        ]
        parts = []
        size = 12
        for district in sorted(basemap.districts(), key=lambda d: -d.geometry.area):
            name = district.name(language)
            x, y = self.project(*district.label)
            text_width = sum(size if ord(char) > 0x2E80 else size * 0.62 for char in name)
            rect = (x - text_width / 2, y - size, x + text_width / 2, y + 3)
            inside = rect[0] >= 2 and rect[2] <= self.width - 2 and rect[1] >= 2
            inside = inside and rect[3] <= self.height - 14
            if not inside or any(_overlap(rect, other) for other in taken):
                continue
            taken.append(rect)
            parts.append(
                f'<text class="route-district-name" x="{x:.1f}" y="{y:.1f}" font-size="{size}" '
                f'fill="#5a6070" text-anchor="middle">{escape(name)}</text>'
            )
        return parts


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def _lines(geometry):
    """The rings and lines of a (multi)polygon or (multi)line, for drawing."""
    if geometry.geom_type == "Polygon":
        yield geometry.exterior
        yield from geometry.interiors
    elif geometry.geom_type == "LineString":
        yield geometry
    elif hasattr(geometry, "geoms"):
        for part in geometry.geoms:
            yield from _lines(part)
