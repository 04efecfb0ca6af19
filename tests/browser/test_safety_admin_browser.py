"""The safety admin's queue of reports on a desktop (1366 px, beside the filters and the
sidebar) and a phone: the page never scrolls sideways, and on the desktop the table fits its
own box (on a phone it scrolls inside it)."""

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group

from busanhub.accounts.models import User
from busanhub.accounts.roles import grant_app_permissions
from safety import services
from safety.models import Category
from safety.seed import SAMPLE_REPORTS, seed_catalogue
from tests.browser.viewports import LANGUAGES, SCREENS, VIEWPORTS, fits_width, page_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_the_queue_fits_the_screen(live_server, browser, screen, language):
    # Given the demo's reports (their longest category names) and a safety officer
    seed_catalogue()
    reporter = User.objects.create_user(email="reporter@example.kr", password="x" * 12)
    for code, lat, long, text, answers in SAMPLE_REPORTS:
        services.report_create(
            category=Category.objects.get(service_code=code),
            lat=lat,
            long=long,
            description=text,
            answers=answers,
            reporter=reporter,
        )
    officer = User.objects.create_user(
        email="officer@busan.go.kr", password="x" * 12, is_staff=True, preferred_language=language
    )
    grant_app_permissions(django_apps, None, group_name="staff-safety", app_labels=["safety"])
    officer.groups.add(Group.objects.get(name="staff-safety"))

    # When the officer opens the queue
    page = page_in(browser, live_server, screen=screen, language=language, user=officer)
    page.goto(f"{live_server.url}/admin/safety/report/")
    page.locator("#result_list").wait_for()

    # Then the page does not scroll sideways
    fits_width(page, VIEWPORTS[screen]["width"])
    if screen == "desktop":
        # and the table fits its box, its last column visible without scrolling
        table, box = page.evaluate(
            "[document.querySelector('#result_list').offsetWidth,"
            " document.querySelector('#changelist .results').clientWidth]"
        )
        assert table <= box
    assert page.csp_violations == []
