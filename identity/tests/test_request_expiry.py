"""Presentation requests expire: an expired one is refused, nothing stored, and shown expired."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from busanhub.chain.models import AnchorLeaf
from identity import services
from identity.models import Challenge, ConsentReceipt, PresentationRequest
from identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _request(verifier=None, **kwargs) -> PresentationRequest:
    return services.presentation_request_create(
        verifier=verifier or UserFactory(preferred_language="en"),
        purpose="Resident discount",
        credential_types=["BusanResidentCredential"],
        claims=["district"],
        domain="shop.example",
        **kwargs,
    )


def _expire(request: PresentationRequest) -> None:
    PresentationRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    request.refresh_from_db()


def test_a_request_expires_after_ten_minutes_by_default():
    before = timezone.now()

    request = _request()

    assert before + timedelta(minutes=10) <= request.expires_at
    assert request.expires_at <= timezone.now() + timedelta(minutes=10)
    assert request.is_expired is False


def test_a_request_can_have_another_lifetime_but_not_none():
    request = _request(lifetime=timedelta(minutes=2))
    assert request.expires_at - request.created_at < timedelta(minutes=2, seconds=1)

    with pytest.raises(ValidationError) as excinfo:
        _request(lifetime=timedelta(0))
    assert "lifetime" in excinfo.value.message_dict
    assert PresentationRequest.objects.count() == 1


@pytest.mark.parametrize("consent", [True, False])
def test_answering_an_expired_request_is_refused_and_stores_nothing(
    resident_credential, citizen, consent
):
    request = _request()
    _expire(request)
    leaves = AnchorLeaf.objects.count()

    with pytest.raises(ValidationError) as excinfo:
        services.presentation_respond(request=request, holder=citizen, consent=consent)

    assert "This request expired at" in excinfo.value.messages[0]
    assert "Ask the verifier for a new one." in excinfo.value.messages[0]
    request.refresh_from_db()
    assert request.status == PresentationRequest.Status.PENDING
    assert request.result == {}
    assert request.holder is None
    assert request.completed_at is None
    assert ConsentReceipt.objects.count() == 0
    assert Challenge.objects.get(challenge=request.challenge).used_at is None
    assert AnchorLeaf.objects.count() == leaves


def test_an_answered_request_is_not_shown_expired(resident_credential, citizen):
    request = _request()
    services.presentation_respond(request=request, holder=citizen, consent=True)
    _expire(request)

    assert request.status == PresentationRequest.Status.VERIFIED
    assert request.is_expired is False


def test_the_verifier_page_shows_expired_and_stops_polling(client):
    verifier = UserFactory(preferred_language="en")
    request = _request(verifier)
    _expire(request)
    client.force_login(verifier)

    detail = client.get(
        reverse("identity:request-detail", kwargs={"public_id": request.public_id})
    ).content.decode()
    panel = client.get(
        reverse("identity:request-result", kwargs={"public_id": request.public_id})
    ).content.decode()
    listing = client.get(reverse("identity:verifier")).content.decode()

    assert "Expired: the citizen did not answer in time." in detail
    assert "Expired: the citizen did not answer in time." in panel
    assert "hx-get" not in panel
    assert '<span class="bpass-expired">expired</span>' in listing


def test_the_holder_page_says_expired_and_offers_no_consent(client, resident_credential, citizen):
    request = _request()
    _expire(request)
    client.force_login(citizen)
    url = reverse("identity:present", kwargs={"public_id": request.public_id})

    html = client.get(url).content.decode()
    posted = client.post(url, {"decision": "consent"}, follow=True).content.decode()

    assert "This request has expired. Ask the verifier for a new one." in html
    assert 'value="consent"' not in html
    assert "This request expired at" in posted
    request.refresh_from_db()
    assert request.status == PresentationRequest.Status.PENDING
    assert ConsentReceipt.objects.count() == 0
