"""The report page shows the report's anchoring state with the platform's component: pending
until its batch is confirmed (never "verified" before), then verified with its block."""

import re

import pytest

from busanhub.chain import testing as chain_testing
from safety.tests.factories import make_report

CLAIMS = re.compile(r"\bverified\b|\banchored\b|검증됨|앵커링됨|앵커링되", re.I)


def main_of(html: str) -> str:
    return re.search(r"<main\b.*?</main>", html, re.S).group(0)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_report_not_yet_confirmed_never_says_verified(client, language):
    report = make_report()
    main = main_of(
        client.get(report.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    )
    assert main.count('data-anchor-state="pending"') == 2  # the badge and the one timeline entry
    assert not CLAIMS.search(main), CLAIMS.search(main)


def test_a_confirmed_report_says_verified_with_its_block(client, chain):
    report = make_report()
    [batch] = chain_testing.anchor_pending()
    main = main_of(client.get(report.get_absolute_url()).content.decode())
    assert 'data-anchor-state="pending"' not in main
    assert main.count('data-anchor-state="anchored"') == 2
    assert f"블록 {batch.block_number}" in main
    assert f'href="/verify/{report.digest}"' in main
