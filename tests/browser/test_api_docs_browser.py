"""The API documentation opens in a browser under the portal's CSP, with nothing fetched from
another origin: Swagger UI and ReDoc both list the operations of the schema, on a phone
(390 px) and a desktop (1366 px), for a Korean and an English browser."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.viewports import LANGUAGES, SCREENS, VIEWPORTS, fits_width, page_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# ReDoc's sidebar always shows Redocly's logo from its CDN; the CSP blocks it (nothing leaves
# the browser) and ReDoc drops the image when it fails to load.
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _watch_origins(page, live_server):
    """Every request the page makes to an origin other than the portal's."""
    own = urlsplit(live_server.url).netloc
    foreign = []
    page.on(
        "request",
        lambda request: (
            foreign.append(request.url)
            if urlsplit(request.url).scheme in ("http", "https")
            and urlsplit(request.url).netloc != own
            else None
        ),
    )
    return foreign


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_swagger_ui_lists_the_operations(live_server, browser, screen, language):
    page = page_in(browser, live_server, screen=screen, language=language)
    foreign = _watch_origins(page, live_server)

    page.goto(f"{live_server.url}/api/docs/")

    expect(page.get_by_text("drf-spectacular")).to_have_count(0)  # no template text leaks
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible(timeout=20_000)
    assert operations.count() > 50
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/chain/receipts/")
    ).not_to_have_count(0)
    fits_width(page, VIEWPORTS[screen]["width"])
    assert page.csp_violations == []
    assert foreign == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_redoc_lists_the_operations_without_google_fonts(live_server, browser, screen, language):
    page = page_in(browser, live_server, screen=screen, language=language)
    foreign = _watch_origins(page, live_server)

    page.goto(f"{live_server.url}/api/redoc/")

    expect(page.get_by_text("Something went wrong")).to_have_count(0)
    expect(page.get_by_text("drf-spectacular")).to_have_count(0)  # no template text leaks
    operations = page.locator("[data-section-id^='tag/'], [data-section-id^='operation/']")
    expect(operations.first).to_be_attached(timeout=60_000)  # ReDoc renders on the CPU
    assert operations.count() > 50
    fits_width(page, VIEWPORTS[screen]["width"])
    assert [text for text in page.csp_violations if REDOCLY_LOGO not in text] == []
    assert [url for url in foreign if url != REDOCLY_LOGO] == []
