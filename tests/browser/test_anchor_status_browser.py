"""The anchoring state of a record updates in place: a citizen looking at a fresh safety report
sees "pending", the batch is confirmed, and the same page (no reload) turns to "verified on
chain" with the block; then it stops asking. And /verify/: clear verdict banners, the failing
step highlighted, nothing wider than the screen. Each on a phone (390 px) and a desktop
(1366 px), in Korean and in English."""

import json
import re

import pytest
from playwright.sync_api import expect

from busanhub.chain import services
from busanhub.chain.testing import confirm_all
from safety.tests.factories import make_report
from tests.browser.viewports import LANGUAGES, SCREENS, VIEWPORTS, fits_width, page_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BADGE = {
    "ko": {
        "pending": "블록체인 기록 대기 중",
        "soon": "보통 1분 안에 끝납니다",
        "anchored": "블록체인에서 검증됨",
        "block": "블록 {}",
    },
    "en": {
        "pending": "Anchoring on chain",
        "soon": "usually under a minute",
        "anchored": "Verified on chain",
        "block": "block {}",
    },
}
VERDICT = {
    "ko": {
        "verified": "검증됨",
        "pending": "대기 중",
        "failed": "검증되지 않음",
        "step2": "2단계 실패: 기록의 데이터가 다이제스트와 일치합니다.",
        "check": "영수증 검증",
    },
    "en": {
        "verified": "Verified",
        "pending": "Pending",
        "failed": "Not verified",
        "step2": "Step 2 failed: The record's data matches the digest.",
        "check": "Verify receipt",
    },
}


@pytest.fixture
def chain_node(transactional_db, settings, anvil):
    settings.CHAIN_RPC_URL = anvil.url
    settings.CHAIN_CONFIRMATIONS = 1
    settings.CHAIN_AUTO_DEPLOY = False
    services.deployment_create()
    return anvil


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_pending_turns_into_anchored_without_reload(
    live_server, browser, chain_node, screen, language
):
    # Given a report just filed: its version is in the outbox, not on chain yet
    text = BADGE[language]
    page = page_in(browser, live_server, screen=screen, language=language)
    report = make_report()
    status_requests = []
    page.on(
        "request",
        lambda request: (
            status_requests.append(request.url) if "/verify/status/" in request.url else None
        ),
    )
    page.goto(f"{live_server.url}{report.get_absolute_url()}")
    badge = page.locator(".report-status .anchor-status")
    expect(badge).to_have_attribute("data-anchor-state", "pending")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(badge).to_contain_text(text["pending"])
    expect(badge).to_contain_text(text["soon"])
    expect(page.get_by_text(text["anchored"])).to_have_count(0)
    fits_width(page, VIEWPORTS[screen]["width"])
    page.evaluate("window.__sameDocument = true")

    # And the page asks again every few seconds
    page.wait_for_timeout(3500)
    assert status_requests, "the pending badge did not poll"

    # When the anchoring pipeline seals, sends and confirms the batch
    services.batches_seal_all()
    services.batches_submit()
    [batch] = confirm_all()

    # Then the same page (not reloaded) shows it verified, with the block and the Seoul time
    expect(badge).to_have_attribute("data-anchor-state", "anchored", timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True
    expect(badge).to_contain_text(text["anchored"])
    expect(badge).to_contain_text(text["block"].format(batch.block_number))
    expect(badge).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST"))
    fits_width(page, VIEWPORTS[screen]["width"])
    link = badge.get_by_role("link", name=text["anchored"])
    expect(link).to_have_attribute("href", f"/verify/{report.digest}")
    expect(page.locator('.timeline [data-anchor-state="anchored"]')).to_have_count(1)

    # And it stops asking once anchored
    page.wait_for_timeout(500)
    asked = len(status_requests)
    page.wait_for_timeout(4000)
    assert len(status_requests) == asked
    assert page.csp_violations == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_verify_pages_show_clear_verdicts_without_overflow(
    live_server, browser, chain_node, tmp_path, screen, language
):
    text = VERDICT[language]
    width = VIEWPORTS[screen]["width"]
    page = page_in(browser, live_server, screen=screen, language=language)
    # Given one record anchored and one still pending
    anchored = services.anchor_record(
        kind="test.record", ref="phone-1", version=1, data={"title": "자갈치"}, public=True
    )
    services.batches_seal_all()
    services.batches_submit()
    confirm_all()
    pending = services.anchor_record(kind="test.record", ref="phone-2", version=1, data={})
    assert page.viewport_size == VIEWPORTS[screen]

    # The /verify/ page itself, with the command-line example, fits the screen
    page.goto(f"{live_server.url}/verify/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".verify-cli")).to_be_visible()
    fits_width(page, width)

    # An anchored digest: a green "verified" banner, eight steps held
    page.goto(f"{live_server.url}/verify/{anchored.digest}")
    verdict = page.locator(".verify-verdict")
    expect(verdict).to_have_class(re.compile(r"\bis-ok\b"))
    expect(verdict.locator(".verify-verdict-title")).to_have_text(text["verified"])
    expect(page.locator(".verify-step.is-ok")).to_have_count(8)
    fits_width(page, width)

    # A pending digest: a "pending" banner with the live component
    page.goto(f"{live_server.url}/verify/{pending.digest}")
    expect(verdict).to_have_class(re.compile(r"\bis-pending\b"))
    expect(verdict.locator(".verify-verdict-title")).to_have_text(text["pending"])
    expect(verdict.locator('[data-anchor-state="pending"]')).to_be_visible()
    fits_width(page, width)

    # A receipt whose data was changed: "not verified", step 2 highlighted, 3–8 not reached
    receipt = services.receipt_for(anchored.digest)
    receipt["envelope"]["data"]["title"] = "해운대"
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt), encoding="utf-8")
    page.goto(f"{live_server.url}/verify/")
    page.locator('input[type="file"][name="file"]').set_input_files(str(path))
    page.get_by_role("button", name=text["check"]).click()
    expect(verdict).to_have_class(re.compile(r"\bis-failed\b"))
    expect(verdict.locator(".verify-verdict-title")).to_have_text(text["failed"])
    expect(verdict).to_contain_text(text["step2"])
    failed = page.locator(".verify-step.is-failed")
    expect(failed).to_have_count(1)
    expect(failed).to_have_attribute("aria-current", "step")
    expect(page.locator(".verify-step.is-not-reached")).to_have_count(6)
    if language == "ko":  # no English step text left in the Korean page
        expect(page.get_by_text("equals the leaf")).to_have_count(0)
    fits_width(page, width)
    assert page.csp_violations == []
