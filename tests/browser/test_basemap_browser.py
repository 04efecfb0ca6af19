"""Without a tile server, the safety maps draw the offline base map of Busan: the 16 districts
named in the page's language, the land around the city and the coastline; a tap places the pin."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from busanhub.accounts.models import User
from safety import geo
from safety.seed import seed_catalogue
from tests.browser.helpers import session_cookie, watch_csp

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
LANGUAGES = {"ko": ("ko-KR", "해운대구", "Haeundae-gu"), "en": ("en-US", "Haeundae-gu", "해운대구")}


def _page(browser, live_server, *, screen, language, user=None):
    context = browser.new_context(locale=LANGUAGES[language][0], **SCREENS[screen])
    context.set_default_timeout(10_000)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    if user is not None:
        cookies.append(session_cookie(live_server, user))
    context.add_cookies(cookies)
    return watch_csp(context.new_page())


def _expect_base_map(page, map_selector, language):
    element = page.locator(map_selector)
    expect(element).to_have_attribute("data-basemap", "ready")
    expect(element).to_have_attribute("data-basemap-districts", "16")
    # Leaflet draws each feature as one SVG path: 16 districts, the neighbours, the coastline.
    expect(element.locator("path.basemap-district")).to_have_count(16)
    assert element.locator("path.basemap-neighbour").count() >= 5
    expect(element.locator("path.basemap-coastline")).to_have_count(1)
    expect(element.locator(".leaflet-tile")).to_have_count(0)
    # The sea is the map's background, the land is filled over it.
    sea = element.evaluate("node => getComputedStyle(node).backgroundColor")
    assert sea == "rgb(207, 227, 243)"
    # District names in the page's language, never in the other; every shown one inside the map.
    labels = element.locator(".basemap-label")
    expect(labels).to_have_count(16)
    own, other = LANGUAGES[language][1], LANGUAGES[language][2]
    expect(element.locator(".basemap-label", has_text=own)).to_be_visible()
    expect(element.locator(".basemap-label", has_text=other)).to_have_count(0)
    box = element.bounding_box()
    shown = element.locator(".basemap-label:not(.basemap-label-hidden)")
    assert shown.count() >= 6
    rects = [shown.nth(index).bounding_box() for index in range(shown.count())]
    for rect in rects:
        assert box["x"] <= rect["x"] and rect["x"] + rect["width"] <= box["x"] + box["width"]
        assert box["y"] <= rect["y"] and rect["y"] + rect["height"] <= box["y"] + box["height"]
    for index, one in enumerate(rects):
        for other_rect in rects[index + 1 :]:
            apart = (
                one["x"] + one["width"] <= other_rect["x"]
                or other_rect["x"] + other_rect["width"] <= one["x"]
                or one["y"] + one["height"] <= other_rect["y"]
                or other_rect["y"] + other_rect["height"] <= one["y"]
            )
            assert apart, (one, other_rect)
    expect(element.locator(".leaflet-control-attribution")).to_contain_text(
        "국토지리정보원" if language == "ko" else "NGII"
    )


@pytest.mark.parametrize("screen", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["ko", "en"])
def test_report_form_draws_the_base_map_and_a_tap_places_the_pin(
    live_server, browser, screen, language, settings
):
    # Given no tile server (the default) and a signed-in citizen
    settings.SAFETY_TILE_URL = ""
    seed_catalogue()
    citizen = User.objects.create_user(
        email="map@example.kr", password="x", name="Map", preferred_language=language
    )
    page = _page(browser, live_server, screen=screen, language=language, user=citizen)

    # When they open the report form
    page.goto(f"{live_server.url}/safety/report/?category=POTHOLE")

    # Then the map shows the districts, the land around Busan and the coastline
    _expect_base_map(page, "#report-map", language)

    # When they tap the map where Haeundae-gu is drawn
    centre = page.evaluate(
        """() => {
          const label = document.querySelector('.basemap-label[data-district="haeundae"]');
          const rect = label.getBoundingClientRect();
          return [rect.x + rect.width / 2, rect.y + rect.height + 8];
        }"""
    )
    if screen == "phone":
        page.touchscreen.tap(centre[0], centre[1])
    else:
        page.mouse.click(centre[0], centre[1])

    # Then the pin stands there and the coordinates are in the form, inside Haeundae-gu
    expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
    lat = float(page.locator("#id_lat").input_value())
    long = float(page.locator("#id_long").input_value())
    assert geo.is_in_busan(lat=lat, long=long)
    assert geo.district_of(lat=lat, long=long) == "haeundae"
    assert page.csp_violations == []


@pytest.mark.parametrize("screen", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["ko", "en"])
def test_public_map_draws_the_base_map(live_server, browser, screen, language, settings):
    settings.SAFETY_TILE_URL = ""
    seed_catalogue()
    page = _page(browser, live_server, screen=screen, language=language)

    page.goto(f"{live_server.url}/safety/map/")

    _expect_base_map(page, "#public-map", language)
    assert page.csp_violations == []
