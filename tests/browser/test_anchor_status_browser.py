"""The anchoring state of a record updates in place: a citizen looking at a fresh safety report
sees "pending", the batch is confirmed, and the same page (no reload) turns to "verified on
chain" with the block; then it stops asking. And /verify/ on a phone: clear verdict banners,
the failing step highlighted, nothing wider than the screen."""

import json
import re

import pytest
from playwright.sync_api import expect

from busanhub.chain import services
from busanhub.chain.testing import confirm_all
from safety.tests.factories import make_report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NO_OVERFLOW = "document.documentElement.scrollWidth"


@pytest.fixture
def chain_node(transactional_db, settings, anvil):
    settings.CHAIN_RPC_URL = anvil.url
    settings.CHAIN_CONFIRMATIONS = 1
    settings.CHAIN_AUTO_DEPLOY = False
    services.deployment_create()
    return anvil


def test_pending_turns_into_anchored_without_reload(live_server, page, chain_node):
    # Given a report just filed: its version is in the outbox, not on chain yet
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
    expect(badge).to_contain_text("블록체인 기록 대기 중")
    expect(badge).to_contain_text("보통 1분 안에 끝납니다")
    expect(page.get_by_text("블록체인에서 검증됨")).to_have_count(0)
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
    expect(badge).to_contain_text("블록체인에서 검증됨")
    expect(badge).to_contain_text(f"블록 {batch.block_number}")
    expect(badge).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST"))
    link = badge.get_by_role("link", name="블록체인에서 검증됨")
    expect(link).to_have_attribute("href", f"/verify/{report.digest}")
    expect(page.locator('.timeline [data-anchor-state="anchored"]')).to_have_count(1)

    # And it stops asking once anchored
    page.wait_for_timeout(500)
    asked = len(status_requests)
    page.wait_for_timeout(4000)
    assert len(status_requests) == asked
    assert page.csp_violations == []


def _fits_the_phone(page) -> None:
    assert page.evaluate(NO_OVERFLOW) <= 390, page.evaluate(NO_OVERFLOW)


def test_verify_pages_on_a_phone_show_clear_verdicts_without_overflow(
    live_server, page, chain_node, tmp_path
):
    # Given one record anchored and one still pending
    anchored = services.anchor_record(
        kind="test.record", ref="phone-1", version=1, data={"title": "자갈치"}, public=True
    )
    services.batches_seal_all()
    services.batches_submit()
    confirm_all()
    pending = services.anchor_record(kind="test.record", ref="phone-2", version=1, data={})
    assert page.viewport_size == {"width": 390, "height": 844}

    # The /verify/ page itself, with the command-line example, fits the phone
    page.goto(f"{live_server.url}/verify/")
    expect(page.locator(".verify-cli")).to_be_visible()
    _fits_the_phone(page)

    # An anchored digest: a green "verified" banner, eight steps held
    page.goto(f"{live_server.url}/verify/{anchored.digest}")
    verdict = page.locator(".verify-verdict")
    expect(verdict).to_have_class(re.compile(r"\bis-ok\b"))
    expect(verdict.locator(".verify-verdict-title")).to_have_text("검증됨")
    expect(page.locator(".verify-step.is-ok")).to_have_count(8)
    _fits_the_phone(page)

    # A pending digest: a "pending" banner with the live component
    page.goto(f"{live_server.url}/verify/{pending.digest}")
    expect(verdict).to_have_class(re.compile(r"\bis-pending\b"))
    expect(verdict.locator(".verify-verdict-title")).to_have_text("대기 중")
    expect(verdict.locator('[data-anchor-state="pending"]')).to_be_visible()
    _fits_the_phone(page)

    # A receipt whose data was changed: "not verified", step 2 highlighted, 3–8 not reached
    receipt = services.receipt_for(anchored.digest)
    receipt["envelope"]["data"]["title"] = "해운대"
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt), encoding="utf-8")
    page.goto(f"{live_server.url}/verify/")
    page.locator('input[type="file"][name="file"]').set_input_files(str(path))
    page.get_by_role("button", name="영수증 검증").click()
    expect(verdict).to_have_class(re.compile(r"\bis-failed\b"))
    expect(verdict.locator(".verify-verdict-title")).to_have_text("검증되지 않음")
    expect(verdict).to_contain_text("2단계 실패: 기록의 데이터가 다이제스트와 일치합니다.")
    failed = page.locator(".verify-step.is-failed")
    expect(failed).to_have_count(1)
    expect(failed).to_have_attribute("aria-current", "step")
    expect(page.locator(".verify-step.is-not-reached")).to_have_count(6)
    expect(page.get_by_text("equals the leaf")).to_have_count(0)
    _fits_the_phone(page)
    assert page.csp_violations == []
