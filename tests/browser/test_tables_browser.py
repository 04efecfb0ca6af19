"""The portal's tables on a phone (390 px) and a desktop, in Korean and English: every table sits
in a sideways-scrolling box, its headers stay on one line and no word of a header or a cell is
split across lines (the body's overflow-wrap once cut "영수증" one syllable a line), and the page
itself never scrolls sideways."""

import pytest

from busanhub.accounts.tests.factories import UserFactory
from safety.tests.factories import make_report
from tests.browser.viewports import LANGUAGES, SCREENS, VIEWPORTS, fits_width, page_in
from vouchers import services as voucher_services
from vouchers.tests.factories import approved_merchant, fund_pool, make_resident, topped_up

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# For every table in <main>: is it in a .table-scroll box, and which words (whitespace-separated,
# inside one text node) of its cells are drawn on more than one line, and which header is.
TABLE_DEFECTS = """() => {
  const defects = [];
  document.querySelectorAll("main table").forEach((table, index) => {
    if (!table.parentElement.classList.contains("table-scroll")) {
      defects.push(`table ${index} is not in a .table-scroll box`);
    }
    const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set(Array.from(range.getClientRects(), (rect) => Math.round(rect.top)));
        if (lines.size > 1) { defects.push(`"${match[0]}" is split over ${lines.size} lines`); }
      }
    }
    table.querySelectorAll("thead th").forEach((header) => {
      const range = document.createRange();
      range.selectNodeContents(header);
      const lines = new Set(Array.from(range.getClientRects(), (rect) => Math.round(rect.top)));
      if (lines.size > 1) { defects.push(`header "${header.textContent.trim()}" wraps`); }
    });
  });
  return defects;
}"""


@pytest.fixture
def citizen_with_records(db):
    fund_pool()
    citizen = UserFactory(email="minji@example.kr")
    make_resident(citizen)
    merchant = approved_merchant(owner=UserFactory(email="shop@example.kr"), name="자갈치 어묵")
    topped_up(citizen, 100_000)
    voucher_services.payment_create(payer=citizen, merchant_code=merchant.code, amount=12_000)
    make_report(reporter=citizen)
    return citizen, merchant


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_tables_keep_their_words_whole_and_the_page_its_width(
    browser, live_server, citizen_with_records, screen, language
):
    citizen, merchant = citizen_with_records
    pages = {
        citizen: ["/vouchers/", "/vouchers/topups/", "/vouchers/bank-links/", "/safety/mine/"],
        merchant.owner: [f"/vouchers/merchant/{merchant.code}/"],
    }
    for user, paths in pages.items():
        page = page_in(browser, live_server, screen=screen, language=language, user=user)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            assert page.locator("main table").count() >= 1, path
            assert page.evaluate(TABLE_DEFECTS) == [], path
            fits_width(page, VIEWPORTS[screen]["width"])
        assert page.csp_violations == []
        page.context.close()
