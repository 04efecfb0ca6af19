"""Shared Playwright fixtures: a headless Chromium (the system's /usr/bin/chromium) and a fresh
page per test. Use them with pytest-django's `live_server` and mark tests `browser`."""

import os
import shutil

import pytest

CSP_MARKER = "Content Security Policy"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def _allow_django_under_playwright():
    # Playwright's sync API runs an event loop in this thread; Django would refuse its ORM calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(_allow_django_under_playwright):
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM} (set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, _allow_django_under_playwright):
    """A page in a fresh browser context (no cookies), Korean locale, phone-sized viewport.

    `page.csp_violations` collects console errors the Content Security Policy raised; tests
    assert it stays empty.
    """
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text) if CSP_MARKER in message.text else None
        ),
    )
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _close_contexts_left_open(request):
    """Closes every browser context a test opened (signed_in_page and the like): a page left
    open goes on polling the session's live server (the trading page's candles), and its
    requests' errors would surface in whichever test runs next."""
    yield
    browser = request.node.funcargs.get("browser")
    if browser is None and "page" in request.fixturenames:
        browser = request.getfixturevalue("browser")
    for context in list(browser.contexts if browser is not None else []):
        context.close()
