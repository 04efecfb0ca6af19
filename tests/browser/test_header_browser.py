"""The header on a phone: the menu folds behind a button, so the page starts near the top."""

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_on_a_phone_the_menu_opens_from_a_button(live_server, page):
    # Given the Korean home page on a 390 x 844 phone
    page.goto(f"{live_server.url}/")
    menu = page.get_by_role("button", name="메뉴")
    verify = page.locator(".site-nav").get_by_role("link", name="검증")

    # Then the header takes little of the first screen and the links wait behind "메뉴"
    expect(menu).to_be_visible()
    expect(verify).to_be_hidden()
    assert page.locator("#site-header").bounding_box()["height"] < 844 * 0.12

    # When the visitor opens the menu, every service and the account links show
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(verify).to_be_visible()
    expect(page.locator(".account-nav").get_by_role("link", name="로그인")).to_be_visible()
    menu.click()
    expect(verify).to_be_hidden()
    assert page.csp_violations == []


def test_on_a_desktop_the_menu_is_open_and_the_button_hidden(live_server, page):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("button", name="메뉴")).to_be_hidden()
    expect(page.locator(".site-nav").get_by_role("link", name="검증")).to_be_visible()
