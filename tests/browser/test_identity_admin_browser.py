"""Staff approve one B Pass application from its admin page in a real Chromium, in Korean and
in English (issue #18 item 9): the page reads in words, the Approve button issues it."""

import os

import pytest
from django.apps import apps
from playwright.sync_api import expect

from busanhub.accounts.roles import grant_app_permissions
from busanhub.accounts.tests.factories import StaffFactory, UserFactory
from identity.models import Credential
from identity.tests.factories import ApplicationFactory
from tests.browser.helpers import signed_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "")  # a folder: save the pages there

WORDS = {
    "ko": {
        "district": "해운대구",
        "type": "부산 시민",
        "approve": "승인하고 증명서 발급",
        "reject": "이 사유로 반려",
        "done": "승인했습니다. 증명서가 신청자의 지갑에 들어갔습니다.",
        "english": "Haeundae-gu",
    },
    "en": {
        "district": "Haeundae-gu",
        "type": "Busan resident",
        "approve": "Approve and issue the credential",
        "reject": "Reject with this reason",
        "done": "Approved: the credential is in the applicant's wallet.",
        "english": None,
    },
}


@pytest.mark.parametrize("language", ["ko", "en"])
def test_staff_approve_an_application_from_its_page(live_server, browser, settings, language):
    settings.SITE_URL = live_server.url
    # Transactional tests that ran before may have flushed the groups the migrations made.
    grant_app_permissions(apps, None, group_name="identity-issuer", app_labels=["identity"])
    staff = StaffFactory(
        email=f"issuer-{language}@busan.go.kr",
        roles=["identity-issuer"],
        preferred_language=language,
    )
    application = ApplicationFactory(applicant=UserFactory(preferred_language="ko"))
    words = WORDS[language]
    page = signed_in_page(browser, live_server, staff, viewport=DESKTOP)

    # Given the application's page: in words, with no raw JSON, Save or Delete
    page.goto(f"{live_server.url}/admin/identity/credentialapplication/{application.pk}/change/")
    claims = page.locator(".field-claims_in_words")
    expect(claims).to_contain_text(words["type"])
    expect(claims).to_contain_text(words["district"])
    if words["english"]:
        expect(claims).not_to_contain_text(words["english"])
    expect(page.locator("textarea[name=claims]")).to_have_count(0)
    expect(page.locator(".deletelink")).to_have_count(0)
    expect(page.locator("input[name=_save]")).to_have_count(0)
    expect(page.get_by_role("button", name=words["reject"])).to_be_visible()
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/admin-application-{language}.png", full_page=True)

    # When staff click Approve
    page.get_by_role("button", name=words["approve"]).click()

    # Then the credential is issued, and the page says so in place of the buttons
    expect(page.locator(".messagelist")).to_contain_text(words["done"])
    expect(page.locator('.bpass-decided[data-status="approved"]')).to_be_visible()
    expect(page.get_by_role("button", name=words["approve"])).to_have_count(0)
    application.refresh_from_db()
    assert application.status == "approved"
    assert Credential.objects.get() == application.credential
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/admin-approved-{language}.png", full_page=True)
    assert page.csp_violations == [], page.csp_violations
