"""Every step's explanation on /verify/ reads in the page's language (issue #18 item 6): the
pure verifier says it in English with a code, the page says the code's text translated."""

import json
import re

import pytest
from django.utils import translation

from busanhub.chain import services, verify
from busanhub.chain.testing import anchored_records as anchor_and_confirm
from busanhub.chain.views import STEP_DETAILS

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_the_page_knows_every_detail_the_verifier_gives_with_the_same_english():
    assert STEP_DETAILS.keys() == verify.DETAILS.keys()
    with translation.override("en"):
        assert {code: str(text) for code, text in STEP_DETAILS.items()} == verify.DETAILS


def test_every_detail_has_a_korean_translation_with_the_same_placeholders():
    with translation.override("ko"):
        korean = {code: str(text) for code, text in STEP_DETAILS.items()}
    for code, english in verify.DETAILS.items():
        assert korean[code] != english, code
        assert sorted(PLACEHOLDER.findall(korean[code])) == sorted(PLACEHOLDER.findall(english))


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [
        (
            "ko",
            ["3단계 증명이 리프에서 루트로 이어집니다", "루트를 앵커링했습니다"],
            ["proof leads"],
        ),
        ("en", ["3-step proof leads from the leaf to the root", "anchored the root at"], ["루트"]),
    ],
)
def test_a_verified_receipts_steps_are_explained_in_the_pages_language(
    chain, client, language, shown, hidden
):
    leaves = anchor_and_confirm()
    receipt = services.receipt_for(leaves[0].digest)
    steps = len(receipt["proof"])

    html = client.post(
        "/verify/", {"text": json.dumps(receipt)}, HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()

    for text in shown:
        assert text.replace("3", str(steps), 1) in html
    for text in hidden:
        assert text not in html


def test_a_malformed_receipt_is_explained_in_korean(client, db):
    html = client.post(
        "/verify/", {"text": json.dumps({"type": "Other"})}, HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()

    assert "BusanAnchorReceipt가 아닙니다 (type)" in html
    assert "not a BusanAnchorReceipt" not in html
