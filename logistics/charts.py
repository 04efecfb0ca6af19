"""Server-side pictures and facts for the provenance page (SVG built here: no inline scripts)."""

from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import coldchain
from .epcis import identifiers, vocabulary

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
                "location": location.name if location else "",
                "event_id": event.event_id,
                "digest": event.anchor_digest,
            }
        )
    return rows


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
        "vessel": facts.get("vesselName", ""),
        "catch_date": facts.get("harvestStartDate", ""),
        "gear": facts.get("fishingGearTypeCode", ""),
        "trace_number": lot.trace_number or facts.get("traceNumber", ""),
    }


def temperature_svg(
    readings, storage_class: str, width: int = 640, height: int = 220
) -> SafeString:
    """A line chart of the readings with the storage class's range shaded and breaches marked."""
    if not readings:
        return mark_safe("")
    rule = coldchain.RULES.get(storage_class)
    values = [Decimal(r.celsius) for r in readings]
    times = [r.time.timestamp() for r in readings]
    low = min(values + ([rule.low] if rule and rule.low is not None else []))
    high = max(values + ([rule.high] if rule and rule.high is not None else []))
    low, high = float(low) - 1, float(high) + 1
    t0, t1 = times[0], max(times[-1], times[0] + 1)
    left, right, top, bottom = 44, width - 10, 10, height - 28

    def x(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * (right - left)

    def y(v: float) -> float:
        return bottom - (v - low) / (high - low) * (bottom - top)

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
    for value in (low + 1, (low + high) / 2, high - 1):
        parts.append(
            f'<text x="4" y="{y(value) + 4:.1f}" font-size="11" fill="#444">{value:.0f}°C</text>'
        )
    points = " ".join(f"{x(t):.1f},{y(float(v)):.1f}" for t, v in zip(times, values, strict=True))
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
    for t, v in zip(times, values, strict=True):
        if rule is not None and not rule.in_range(v):
            parts.append(
                f'<circle class="chart-breach" cx="{x(t):.1f}" cy="{y(float(v)):.1f}" r="4" '
                f'fill="#c0392b"><title>{v}°C</title></circle>'
            )
    first, last = readings[0].time, readings[-1].time
    parts.append(
        f'<text x="{left}" y="{height - 8}" font-size="11" fill="#444">'
        f"{first:%m-%d %H:%M}</text>"
        f'<text x="{right}" y="{height - 8}" font-size="11" fill="#444" text-anchor="end">'
        f"{last:%m-%d %H:%M}</text>"
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is a number or escaped


def route_svg(journey, width: int = 640, height: int = 240) -> SafeString:
    """The route as a line between the locations' coordinates, labelled in order."""
    seen = []
    for event in journey.events:
        gln = identifiers.parse(event.biz_location or event.read_point).gln
        location = journey.locations.get(gln)
        if location is None or location.latitude is None or location.longitude is None:
            continue
        if seen and seen[-1].pk == location.pk:
            continue
        seen.append(location)
    stops = seen
    if not stops:
        return mark_safe("")
    lats = [float(s.latitude) for s in stops]
    lons = [float(s.longitude) for s in stops]
    pad = 0.01
    lat0, lat1 = min(lats) - pad, max(lats) + pad
    lon0, lon1 = min(lons) - pad, max(lons) + pad

    def px(lon: float) -> float:
        return 20 + (lon - lon0) / (lon1 - lon0) * (width - 40)

    def py(lat: float) -> float:
        return height - 20 - (lat - lat0) / (lat1 - lat0) * (height - 40)

    points = " ".join(f"{px(lo):.1f},{py(la):.1f}" for la, lo in zip(lats, lons, strict=True))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="route-map" role="img" aria-labelledby="route-title">',
        f'<title id="route-title">{escape(str(_("Route of the journey")))}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#eef4fa"/>',
        f'<polyline points="{points}" fill="none" stroke="#1f5fa8" stroke-width="2" '
        f'stroke-dasharray="6 4"/>',
    ]
    for number, (stop, la, lo) in enumerate(zip(stops, lats, lons, strict=True), start=1):
        parts.append(
            f'<circle cx="{px(lo):.1f}" cy="{py(la):.1f}" r="6" fill="#0b3d6e"/>'
            f'<text x="{px(lo) + 9:.1f}" y="{py(la) + 4:.1f}" font-size="12" fill="#111">'
            f"{number}. {escape(stop.name)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - names are escaped
