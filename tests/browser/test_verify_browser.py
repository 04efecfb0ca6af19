"""A visitor verifies an anchored record in a real browser: by digest, then by receipt file."""

import json
import re

import pytest
from playwright.sync_api import expect

from busanhub.chain import services
from busanhub.chain.testing import confirm_all

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VERIFIED_KO = "이 기록은 영수증 내용대로 체인에 앵커링되어 있습니다."


@pytest.fixture
def confirmed_leaf(transactional_db, settings, anvil):
    """A public record anchored and confirmed on the session's anvil, through a fresh contract."""
    settings.CHAIN_RPC_URL = anvil.url
    settings.CHAIN_CONFIRMATIONS = 1
    settings.CHAIN_AUTO_DEPLOY = False
    services.deployment_create()
    leaf = services.anchor_record(
        kind="test.record", ref="browser-1", version=1, data={"title": "자갈치"}, public=True
    )
    services.anchor_record(kind="test.record", ref="browser-2", version=1, data={}, public=True)
    services.batches_seal_all()
    services.batches_submit()
    confirm_all()
    leaf.refresh_from_db()
    return leaf


def test_verify_by_digest_then_by_receipt_file(live_server, page, confirmed_leaf, tmp_path):
    # Given a visitor on the Korean /verify/ page
    page.goto(f"{live_server.url}/verify/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")

    # When they type the digest and check it
    page.get_by_label("다이제스트", exact=True).fill(confirmed_leaf.digest)
    page.get_by_role("button", name="확인", exact=True).click()

    # Then they land on the digest's page, verified step by step
    expect(page).to_have_url(f"{live_server.url}/verify/{confirmed_leaf.digest}")
    verdict = page.locator(".verify-verdict.is-ok")
    expect(verdict).to_contain_text(VERIFIED_KO)
    expect(page.locator(".verify-step")).to_have_count(8)
    expect(page.locator(".verify-step.is-ok")).to_have_count(8)
    expect(page.locator(".verify-step.is-failed")).to_have_count(0)
    expect(page.get_by_text(str(confirmed_leaf.batch.block_number) + " · ")).to_be_visible()
    expect(page.locator("figure.qr img")).to_have_attribute(
        "src", re.compile(r"^data:image/svg\+xml;base64,")
    )
    assert page.csp_violations == []

    # When they download the receipt and upload it on /verify/
    with page.expect_download() as download_info:
        page.get_by_role("link", name="영수증 내려받기").click()
    download = download_info.value
    assert download.suggested_filename == f"receipt-{confirmed_leaf.digest[2:14]}.json"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert json.loads(path.read_text()) == services.receipt_for(confirmed_leaf.digest)

    page.goto(f"{live_server.url}/verify/")
    page.locator('input[type="file"][name="file"]').set_input_files(str(path))
    page.get_by_role("button", name="영수증 검증").click()

    # Then the receipt is verified, every step shown
    expect(page.locator(".verify-verdict.is-ok")).to_contain_text(VERIFIED_KO)
    expect(page.locator(".verify-step.is-ok")).to_have_count(8)
    expect(page.locator(".verify-verdict.is-failed")).to_have_count(0)
    assert page.csp_violations == []


def test_tampered_receipt_file_is_not_verified(live_server, page, confirmed_leaf, tmp_path):
    # Given a receipt whose data was changed
    receipt = services.receipt_for(confirmed_leaf.digest)
    receipt["envelope"]["data"]["title"] = "해운대"
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt), encoding="utf-8")

    # When it is uploaded
    page.goto(f"{live_server.url}/verify/")
    page.locator('input[type="file"][name="file"]').set_input_files(str(path))
    page.get_by_role("button", name="영수증 검증").click()

    # Then the envelope step fails and the verdict says so
    expect(page.locator(".verify-verdict.is-failed")).to_be_visible()
    expect(page.locator(".verify-verdict.is-ok")).to_have_count(0)
    expect(page.locator(".verify-step.is-failed")).to_have_count(1)
    expect(page.locator(".verify-step.is-failed")).to_contain_text(
        "기록의 데이터가 다이제스트와 일치합니다"
    )
