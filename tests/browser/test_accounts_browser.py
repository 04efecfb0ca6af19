import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from busanhub.accounts.models import User

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EMAIL = "haeun@example.kr"
PASSWORD = "jagalchi-market-2026"


def test_sign_up_confirm_and_switch_language(live_server, page):
    # Given a visitor on the Korean sign-up page
    page.goto(f"{live_server.url}/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", level=1)).to_have_text("회원가입")

    # When they sign up
    page.get_by_label("이메일").fill(EMAIL)
    page.get_by_label("비밀번호", exact=False).first.fill(PASSWORD)
    page.get_by_label("비밀번호 (확인)").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="회원가입").click()

    # Then they must confirm their email first
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)
    user = User.objects.get(email=EMAIL)
    assert user.last_login is None

    # When they open the link and confirm
    page.goto(f"{live_server.url}{path}")
    page.locator("main").get_by_role("button").click()

    # Then they land on their dashboard, signed in, in Korean
    expect(page).to_have_url(f"{live_server.url}/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("나의 부산허브")
    page.get_by_role("button", name="메뉴").click()  # a phone: the account links fold
    expect(page.get_by_role("button", name="로그아웃")).to_be_visible()

    # When they switch to English
    page.get_by_label("언어").select_option("en")
    page.get_by_role("button", name="변경").click()

    # Then the page is English and the choice is remembered on their account
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("My BusanHub")
    user.refresh_from_db()
    assert user.preferred_language == "en"

    # And back to Korean
    page.get_by_role("button", name="Menu").click()
    page.get_by_label("Language").select_option("ko")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", level=1)).to_have_text("나의 부산허브")
    user.refresh_from_db()
    assert user.preferred_language == "ko"
    assert page.csp_violations == [], page.csp_violations
