"""The consumer page speaks Korean time (KST) everywhere, states the breach's real period and
draws the route on the base map with readable labels."""

import io
import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from logistics import charts, coldchain, demo
from logistics.models import Breach, Lot, Reading

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


def _demo_page(language):
    demo.seed(stdout=io.StringIO(), users={})
    lot = Lot.objects.select_related("product").get(lot_code=demo.DEMO_FILLET)
    html = Client(HTTP_ACCEPT_LANGUAGE=language).get(f"/01/{lot.product.gtin}/10/{lot.lot_code}")
    assert html.status_code == 200
    return lot, html.content.decode()


def _expected_period():
    """The breach's period from the stored readings themselves: from the first reading out of
    0–4 °C until the first reading after the last one out of range (each reading holds until the
    next), in Korean time."""
    readings = list(Reading.objects.order_by("time"))
    out = [r for r in readings if not (Decimal(0) <= r.celsius <= Decimal(4))]
    start = out[0].time
    end = next(r.time for r in readings if r.time > out[-1].time)
    return start.astimezone(SEOUL), end.astimezone(SEOUL), max(r.celsius for r in out)


def _period_words(start, end):
    """How the page words a period: one date, or both when it crosses KST midnight (the demo's
    readings end at the hour the demo is loaded, so some hours of the day cross it)."""
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} KST"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} KST"


def test_breach_text_states_the_period_duration_and_safe_range_from_the_data():
    _lot, html = _demo_page("en")
    start, end, extreme = _expected_period()
    breach = Breach.objects.get()
    minutes = int((end - start).total_seconds() // 60)
    # the detector's minutes agree with the period the page states
    assert breach.minutes_out_of_range == minutes == 60
    expected = (
        f"Outside the safe range of 0–4\N{NO-BREAK SPACE}°C for {minutes} minutes "
        f"({_period_words(start, end)}), "
        f"up to {extreme.normalize()}\N{NO-BREAK SPACE}°C."
    )
    assert expected in html
    # the old text counted to the last bad reading: 45 minutes' span for 60 minutes out
    assert f"–{breach.ended_at.astimezone(SEOUL):%H:%M} KST" not in html


def test_breach_text_in_korean():
    _lot, html = _demo_page("ko")
    start, end, _extreme = _expected_period()
    assert (
        f"{_period_words(start, end)}에 60분 동안 안전 범위(0–4\N{NO-BREAK SPACE}°C)를 "
        "벗어났고, 최고 7.2\N{NO-BREAK SPACE}°C였습니다." in html
    )


def test_chart_axis_tooltips_and_journey_are_in_korean_time():
    _lot, html = _demo_page("en")
    readings = list(Reading.objects.order_by("time"))
    first, last = readings[0].time.astimezone(SEOUL), readings[-1].time.astimezone(SEOUL)
    # the axis: every whole Korean hour of the readings, labelled in KST (a tick on a new day
    # with its date: the demo's readings cross midnight at some hours of the day)
    hours = []
    moment = first.replace(minute=0) + (timedelta(hours=1) if first.minute else timedelta())
    while moment <= last:
        new_day = bool(hours) and moment.hour == 0
        hours.append(f"{moment:%m-%d %H:%M}" if new_day else f"{moment:%H:%M}")
        moment += timedelta(hours=1)
    labels = re.findall(r'<text class="chart-x"[^>]*>([^<]+)</text>', html)
    assert labels == hours
    assert labels[0] != f"{readings[0].time.astimezone(UTC):%H:%M}"  # not UTC
    assert "Korean time (KST, UTC+9)" in html
    # every reading's tooltip: its Korean time and value
    tips = re.findall(r"<circle class=\"chart-[a-z]+\"[^>]*><title>([^<]+)</title>", html)
    assert len(tips) == len(readings)
    for reading, tip in zip(readings, tips, strict=True):
        assert tip.startswith(f"{reading.time.astimezone(SEOUL):%Y-%m-%d %H:%M} KST · ")
    # the journey: Korean time with the zone shown
    times = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', html)
    assert len(times) == 9
    assert all(time.endswith(" KST") for time in times)


def test_axis_ticks_cross_midnight_with_the_date():
    readings = [
        SimpleNamespace(time=datetime(2026, 12, 3, 13, 0, tzinfo=UTC), celsius=Decimal("2")),
        SimpleNamespace(time=datetime(2026, 12, 3, 17, 30, tzinfo=UTC), celsius=Decimal("3")),
    ]
    svg = str(charts.temperature_svg(readings, "chilled"))
    labels = re.findall(r'<text class="chart-x"[^>]*>([^<]+)</text>', svg)
    # 22:00 to 02:30 KST on the next day, a tick every hour
    assert labels == ["22:00", "23:00", "12-04 00:00", "01:00", "02:00"]


def test_back_in_range_is_the_next_reading_after_the_last_bad_one():
    rule = coldchain.RULES["chilled"]
    start = datetime(2026, 11, 20, tzinfo=UTC)
    series = [
        coldchain.Reading(time=start + timedelta(minutes=15 * i), celsius=Decimal(v))
        for i, v in enumerate(["2", "6", "7", "6", "3", "2"])
    ]
    finding = coldchain.detect(series, rule)
    assert finding is not None
    assert (finding.started_at, finding.ended_at) == (
        start + timedelta(minutes=15),
        start + timedelta(minutes=45),
    )
    end = coldchain.back_in_range_at(series, rule, finding.ended_at)
    assert end == start + timedelta(minutes=60)
    assert (end - finding.started_at) == timedelta(minutes=finding.minutes_out_of_range)
    # no reading after the last bad one: the breach ends there
    assert coldchain.back_in_range_at(series[:4], rule, series[3].time) == series[3].time


def test_route_badges_stay_inside_the_picture_and_apart():
    _lot, html = _demo_page("en")
    svg = re.search(r'<svg[^>]*class="route-map".*?</svg>', html, re.S).group(0)
    width, height = (int(value) for value in re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())
    badges = [
        (float(x), float(y))
        for x, y in re.findall(r'<g class="route-badge"><circle cx="([\d.]+)" cy="([\d.]+)"', svg)
    ]
    stops = re.findall(r'<circle class="route-stop" cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert len(badges) == len(stops) == 6
    radius = charts.BADGE_RADIUS
    for x, y in badges:
        assert radius <= x <= width - radius and radius <= y <= height - radius
    for index, one in enumerate(badges):
        for other in badges[index + 1 :]:
            assert math.dist(one, other) >= 2 * radius, (one, other)
    # the names are listed under the map, in order, not drawn over each other on it
    legend = re.search(r'<ol class="route-legend"[^>]*>(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r"<li>([^<]+)</li>", legend)[0] == "Daeyang-ho 7"
    assert "Daeyang-ho" not in svg
    # the base map is drawn under the route, with district names in the page's language
    assert svg.count('class="route-district"') >= 10
    assert 'class="route-coast"' in svg
    assert ">Gangseo-gu</text>" in svg


def test_route_district_names_follow_the_language():
    _lot, html = _demo_page("ko")
    svg = re.search(r'<svg[^>]*class="route-map".*?</svg>', html, re.S).group(0)
    assert ">강서구</text>" in svg
    assert "Gangseo-gu" not in svg
