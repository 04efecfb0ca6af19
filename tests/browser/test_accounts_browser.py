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

    # When they sign up, giving their name and accepting the terms and the privacy policy
    page.get_by_label("이름").fill("이하은")
    page.get_by_label("이메일").fill(EMAIL)
    page.get_by_label("비밀번호", exact=False).first.fill(PASSWORD)
    page.get_by_label("비밀번호 (확인)").fill(PASSWORD)
    page.get_by_label("이용약관과 개인정보 처리방침을 읽었으며 이에 동의합니다.").check()
    page.locator("main").get_by_role("button", name="회원가입").click()

    # Then they must confirm their email first
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)
    user = User.objects.get(email=EMAIL)
    assert user.last_login is None
    assert user.name == "이하은"
    assert sorted(user.consents.values_list("document", flat=True)) == ["privacy", "terms"]
    expect(page.get_by_role("link", name="인증 이메일 다시 보내기")).to_be_visible()

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


def test_sign_up_on_a_desktop_in_english_needs_the_terms_accepted(live_server, browser):
    # Given a visitor on a desktop browser in English
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # When they fill in the form but leave the terms unaccepted
    page.get_by_label("Name").fill("Alex Kim")
    page.get_by_label("Email").fill("alex@example.com")
    page.get_by_label("Password").first.fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    checkbox = page.get_by_label("I have read and accept the terms of use and the privacy policy.")
    # The browser refuses the form first (required); without that check the server refuses too
    checkbox.evaluate("box => box.removeAttribute('required')")
    page.locator("main").get_by_role("button", name="Sign Up").click()

    # Then no account is made and the form says why
    expect(
        page.get_by_text("Accept the terms of use and the privacy policy to sign up.")
    ).to_be_visible()
    assert not User.objects.filter(email="alex@example.com").exists()

    # When they open the terms from the checkbox's link (a new tab) and accept
    with context.expect_page() as terms_tab:
        page.locator("main").get_by_role("link", name="terms of use").click()
    expect(terms_tab.value.get_by_role("heading", level=1)).to_have_text("Terms of use")
    page.get_by_label("Password").first.fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("I have read and accept the terms of use and the privacy policy.").check()
    page.locator("main").get_by_role("button", name="Sign Up").click()

    # Then the account exists with their name and the acceptance recorded
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    user = User.objects.get(email="alex@example.com")
    assert user.name == "Alex Kim"
    assert user.consents.count() == 2
    context.close()
