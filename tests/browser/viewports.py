"""Pages on a phone or a desktop, in Korean or English, for the browser tests that check every
combination (`@pytest.mark.parametrize` over SCREENS and LANGUAGES)."""

from django.conf import settings

from tests.browser.helpers import session_cookie, watch_csp

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
SCREENS = list(VIEWPORTS)
LANGUAGES = ["ko", "en"]
BROWSER_LOCALES = {"ko": "ko-KR", "en": "en-US"}


def page_in(browser, live_server, *, screen: str, language: str, user=None, **context_options):
    """A page in a fresh context of `screen`'s size whose browser asks for `language` (the
    Accept-Language header and the language cookie); signed in as `user` when given (whose
    preferred_language then decides, as after a real login). `page.csp_violations` collects
    CSP errors."""
    context = browser.new_context(
        locale=BROWSER_LOCALES[language], viewport=VIEWPORTS[screen], **context_options
    )
    context.set_default_timeout(10_000)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    if user is not None:
        cookies.append(session_cookie(live_server, user))
    context.add_cookies(cookies)
    return watch_csp(context.new_page())


def page_width(page) -> int:
    """How wide the document is (wider than the viewport: the page scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth")


def fits_width(page, width: int) -> None:
    assert page_width(page) <= width, f"{page.url}: {page_width(page)} px wide on {width} px"
