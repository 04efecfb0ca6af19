"""A consumer scans a B-Fresh package: provenance page, breach, recall, and a receipt."""

import io
import re

import pytest
from playwright.sync_api import expect

from busanhub.chain import testing as chain_testing
from logistics import demo
from logistics.models import Lot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_consumer_follows_the_digital_link_and_a_receipt_to_verify(live_server, page, chain):
    # Given the demo journey, anchored on the chain
    demo.seed(stdout=io.StringIO(), users={})
    chain_testing.anchor_pending()
    lot = Lot.objects.select_related("product").get(lot_code=demo.DEMO_FILLET)

    # When a consumer opens the package's GS1 Digital Link URL on a phone (Korean)
    page.goto(f"{live_server.url}/01/{lot.product.gtin}/10/{lot.lot_code}")

    # Then they see the product, the recall banner, the breach, the timeline and the chart
    expect(page.get_by_role("heading", level=1)).to_have_text("고등어 필렛")
    expect(page.get_by_test_id("recall-banner")).to_contain_text(
        "리콜 대상: 이 제품을 드시지 마세요."
    )
    expect(page.get_by_test_id("breach-banner")).to_contain_text("콜드체인이 유지되지 않았습니다")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("li")).to_have_count(9)
    expect(timeline.locator("li").first).to_contain_text("어획 및 양륙")
    chart = page.get_by_test_id("temperature-chart")
    expect(chart.locator("svg polyline")).to_have_count(1)
    expect(chart.locator("circle.chart-breach")).to_have_count(4)
    expect(page.get_by_test_id("route-map").locator("svg circle.route-stop")).to_have_count(6)

    # When they follow the first "verified on chain" link of the timeline
    # (its wording comes from the portal's shared catalogue; the link is the receipt's)
    receipt = timeline.locator("a.verified").first
    expect(receipt).to_have_attribute("href", re.compile(r"^/verify/0x[0-9a-f]{64}$"))
    receipt.click()

    # Then the verify page shows the anchored receipt
    expect(page).to_have_url(re.compile(r"/verify/0x[0-9a-f]{64}$"))
    expect(page.locator(".verify-verdict.is-ok")).to_be_visible()
    assert page.csp_violations == []
