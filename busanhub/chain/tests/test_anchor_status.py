"""The `{% anchor_status digest %}` component, its selector and its polling endpoint: pending
(polls), anchored (block, Seoul time, link; stops polling), failed (no record)."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone, translation

from busanhub.chain import selectors, services
from busanhub.chain.models import AnchorLeaf
from busanhub.chain.testing import anchored_records

UNKNOWN = "0x" + "cd" * 32
CLAIMS = re.compile(r"\bverified\b|\banchored\b|검증됨|앵커링됨|앵커링되", re.I)


def render(source: str, language: str = "ko", **context) -> str:
    with translation.override(language):
        return Template("{% load anchoring %}" + source).render(
            Context({"request": RequestFactory().get("/"), **context})
        )


def pending_leaf(ref: str = "r1") -> AnchorLeaf:
    return services.anchor_record(kind="test.record", ref=ref, version=1, data={}, public=True)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ko", "en"])
def test_pending_record_polls_and_never_claims_to_be_verified(language):
    # Given a record written to the outbox, not confirmed yet
    leaf = pending_leaf()

    # When the component renders it
    html = render("{% anchor_status digest %}", language, digest=leaf.digest)

    # Then it says pending, "usually under a minute", polls its endpoint, and claims nothing
    assert 'data-anchor-state="pending"' in html
    assert f'hx-get="/verify/status/{leaf.digest}"' in html
    assert 'hx-trigger="every 3s"' in html and 'hx-swap="outerHTML"' in html
    assert 'aria-live="polite"' in html
    if language == "ko":
        assert "블록체인 기록 대기 중" in html and "보통 1분 안에 끝납니다" in html
    else:
        assert "Anchoring on chain" in html and "usually under a minute" in html
    assert not CLAIMS.search(html), CLAIMS.search(html)


@pytest.mark.django_db
def test_a_pending_record_in_a_sealed_batch_is_still_pending():
    leaf = pending_leaf()
    services.batches_seal_all()
    state = selectors.anchor_state(leaf.digest)
    assert (state.state, state.step, state.status) == ("pending", "sealed", "sealed")
    html = render("{% anchor_status digest %}", digest=leaf.digest)
    assert 'data-anchor-state="pending"' in html and not CLAIMS.search(html)


@pytest.mark.django_db
def test_pending_for_long_says_so_and_polls_less_often():
    leaf = pending_leaf()
    AnchorLeaf.objects.filter(pk=leaf.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    html = render("{% anchor_status digest %}", "en", digest=leaf.digest)
    assert "is-delayed" in html and 'hx-trigger="every 30s"' in html
    assert "taking longer than usual" in html and "usually under a minute" not in html


@pytest.mark.parametrize("language", ["ko", "en"])
def test_anchored_record_shows_block_seoul_time_and_link_and_stops_polling(chain, language):
    # Given a record confirmed on chain
    [leaf] = anchored_records(1)
    leaf.refresh_from_db()
    batch = leaf.batch
    seoul = batch.block_timestamp.astimezone(ZoneInfo("Asia/Seoul"))

    # When the component renders it
    html = render("{% anchor_status digest testid='verify-link' %}", language, digest=leaf.digest)

    # Then: verified, with the block, the time in Seoul with its zone, the /verify/ link; no poll
    assert 'data-anchor-state="anchored"' in html
    assert f'href="/verify/{leaf.digest}" data-testid="verify-link"' in html
    assert f"{seoul:%Y-%m-%d %H:%M:%S} KST" in html
    assert f'datetime="{seoul.isoformat()}"' in html
    assert "hx-get" not in html and "hx-trigger" not in html
    expected = (
        ("블록체인에서 검증됨", f"블록 {batch.block_number}")
        if language == "ko"
        else ("Verified on chain", f"block {batch.block_number}")
    )
    assert all(text in html for text in expected)


@pytest.mark.django_db
@pytest.mark.parametrize("digest", [UNKNOWN, "not-a-digest"])
def test_unknown_or_malformed_digest_is_failed_without_link_or_polling(digest):
    html = render("{% anchor_status digest %}", "en", digest=digest)
    assert 'data-anchor-state="failed"' in html
    assert "Not recorded on chain" in html
    assert "href=" not in html and "hx-get" not in html
    assert not re.search(r"verified|anchored", html, re.I)


@pytest.mark.django_db
def test_no_digest_renders_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert render("{% anchor_status digest %}", digest=None) == ""


@pytest.mark.django_db
def test_one_state_is_one_query(django_assert_num_queries):
    leaf = pending_leaf()
    with django_assert_num_queries(1):
        assert selectors.anchor_state(leaf.digest.upper().replace("0X", "")).state == "pending"
    with django_assert_num_queries(0):
        assert selectors.anchor_state("nothex").state == "failed"


@pytest.mark.django_db
def test_a_prefetched_list_takes_one_query(django_assert_num_queries):
    rows = [{"digest": pending_leaf(f"r{i}").digest} for i in range(3)] + [{"digest": UNKNOWN}]
    source = (
        '{% anchor_prefetch rows "digest" %}'
        "{% for row in rows %}{% anchor_status row.digest %}{% endfor %}"
    )
    with django_assert_num_queries(1):
        html = render(source, rows=rows)
    assert html.count('data-anchor-state="pending"') == 3
    assert html.count('data-anchor-state="failed"') == 1


# --- the polling endpoint -----------------------------------------------------------------------


@pytest.mark.django_db
def test_endpoint_fragment_of_a_pending_record_keeps_polling(client):
    leaf = pending_leaf()
    url = f"/verify/status/{leaf.digest}?testid=verify-link"
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<span class="anchor-status is-pending')
    assert f'hx-get="/verify/status/{leaf.digest}?testid=verify-link"' in html
    assert 'data-testid="verify-link"' in html
    assert "anchor-status-region" not in html  # the live region stays; only its content swaps
    assert "no-cache" in response["Cache-Control"]


def test_endpoint_of_an_anchored_record_stops_polling(chain, client):
    [leaf] = anchored_records(1)
    html = client.get(f"/verify/status/{leaf.digest}").content.decode()
    assert 'data-anchor-state="anchored"' in html and "hx-trigger" not in html


@pytest.mark.django_db
def test_endpoint_ignores_a_testid_that_is_not_a_slug(client):
    leaf = pending_leaf()
    html = client.get(f"/verify/status/{leaf.digest}", {"testid": '"><b>x'}).content.decode()
    assert "data-testid" not in html and "<b>x" not in html


def test_endpoint_json(chain, client):
    [anchored] = anchored_records(1, kind="test.anchored")
    anchored.refresh_from_db()
    pending = pending_leaf("later")
    body = client.get(f"/verify/status/{anchored.digest}?format=json").json()
    assert body == {
        "digest": anchored.digest,
        "state": "anchored",
        "step": "",
        "blockNumber": anchored.batch.block_number,
        "blockTimestamp": anchored.batch.block_timestamp.isoformat(),
        "verifyUrl": f"/verify/{anchored.digest}",
    }
    waiting = client.get(f"/verify/status/{pending.digest}", HTTP_ACCEPT="application/json")
    assert waiting.status_code == 200
    assert (waiting.json()["state"], waiting.json()["step"]) == ("pending", "waiting")
    unknown = client.get(f"/verify/status/{UNKNOWN}?format=json")
    assert unknown.status_code == 404 and unknown.json()["state"] == "failed"


def test_the_api_status_is_the_same_state_in_other_words(chain):
    # One selector serves the component and the "not anchored yet" answers of the receipt
    # API and CLI: their status words are read from the same state.
    [anchored] = anchored_records(1)
    leaf = pending_leaf("later")
    assert selectors.anchor_state(leaf.digest).status == "pending"
    assert selectors.anchor_state(UNKNOWN).status == "unknown"
    assert selectors.anchor_state("nothex").status == "unknown"
    assert selectors.anchor_state(anchored.digest).status == "confirmed"
