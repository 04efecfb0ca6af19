"""Helpers shared by the browser tests."""

from django.conf import settings
from django.test import Client

from tests.browser.conftest import CSP_MARKER

PHONE = {"width": 390, "height": 844}


def signed_in_page(browser, live_server, user, *, viewport=PHONE, **context_options):
    """A Korean page (phone-sized unless told) in a fresh context, already signed in as `user`
    (the session cookie of a test client's force_login); `page.csp_violations` collects CSP
    errors. `context_options` go to Playwright's `new_context` (e.g. accept_downloads)."""
    context = browser.new_context(locale="ko-KR", viewport=viewport, **context_options)
    context.set_default_timeout(10_000)
    context.add_cookies([session_cookie(live_server, user)])
    return watch_csp(context.new_page())


def session_cookie(live_server, user) -> dict:
    """The session cookie of `user` signed in (a test client's force_login) for the live server."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}


def watch_csp(page):
    """`page.csp_violations` collects the console errors the Content Security Policy raises."""
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text) if CSP_MARKER in message.text else None
        ),
    )
    return page
