"""`@idempotent(scope)` on a tiny APIView: replay, 422, 409, nothing stored for 5xx/429/crashes,
keys per scope and per user."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from busanhub.idempotency.decorators import idempotent
from busanhub.idempotency.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

_emails = itertools.count()


class CountingView(APIView):
    """Answers with what the test asks for (`answer` in the body) and counts its runs."""

    runs = 0

    @idempotent("tests")
    def post(self, request):
        type(self).runs += 1
        answer = request.data.get("answer", 201)
        if answer == "refuse":
            raise ValidationError({"amount": ["Too much."]})
        if answer == "crash":
            raise RuntimeError("boom")
        return Response({"run": type(self).runs, "echo": request.data.get("x")}, status=answer)


class OtherScopeView(CountingView):
    @idempotent("other")
    def post(self, request):
        type(self).runs += 1
        return Response({"run": type(self).runs}, status=201)


@pytest.fixture(autouse=True)
def _reset_counts():
    CountingView.runs = 0
    OtherScopeView.runs = 0


def _user():
    return get_user_model().objects.create_user(
        email=f"idem{next(_emails)}@example.kr", password="x-correct-horse-9"
    )


@pytest.fixture
def user():
    return _user()


def _post(user, body, key=None, path="/api/test/things/", view=CountingView):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    request = APIRequestFactory().post(path, body, format="json", **headers)
    force_authenticate(request, user=user)
    response = view.as_view()(request)
    response.render()
    return response


def test_without_a_key_every_request_runs(user):
    _post(user, {"x": 1})
    _post(user, {"x": 1})
    assert CountingView.runs == 2 and not IdempotencyRecord.objects.exists()


def test_the_same_key_and_body_replays_the_stored_response(user):
    first = _post(user, {"x": 1}, key="k")
    again = _post(user, {"x": 1}, key="k")
    assert first.status_code == again.status_code == 201
    assert first.data == again.data == {"run": 1, "echo": 1}
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert CountingView.runs == 1
    record = IdempotencyRecord.objects.get()
    assert (record.scope, record.key, record.is_complete, record.response_status) == (
        "tests",
        "k",
        True,
        201,
    )


def test_refusals_are_stored_and_replayed(user):
    first = _post(user, {"answer": "refuse"}, key="k")
    again = _post(user, {"answer": "refuse"}, key="k")
    assert first.status_code == again.status_code == 400
    # The stored answer is the one sent: DRF's keys and the portal's `errors` (busanhub.api).
    assert again.data["amount"] == ["Too much."] and CountingView.runs == 1
    assert again.data["errors"] == [{"field": "amount", "code": "invalid", "message": "Too much."}]


def test_another_body_or_endpoint_with_the_same_key_answers_422(user):
    _post(user, {"x": 1}, key="k")
    other_body = _post(user, {"x": 2}, key="k")
    other_path = _post(user, {"x": 1}, key="k", path="/api/test/elsewhere/")
    assert other_body.status_code == other_path.status_code == 422
    assert list(other_body.data) == ["Idempotency-Key"]
    assert CountingView.runs == 1


def test_a_key_still_in_progress_answers_409(user):
    _post(user, {"x": 1}, key="busy")
    IdempotencyRecord.objects.filter(key="busy").update(is_complete=False)  # as if running
    response = _post(user, {"x": 1}, key="busy")
    assert response.status_code == 409 and list(response.data) == ["Idempotency-Key"]
    assert CountingView.runs == 1


@pytest.mark.parametrize("code", [500, 503, 429])
def test_server_errors_and_throttling_are_not_stored(user, code):
    assert _post(user, {"answer": code}, key="k").status_code == code
    assert not IdempotencyRecord.objects.exists()
    assert _post(user, {"answer": 201}, key="k").status_code == 201  # the retry runs
    assert CountingView.runs == 2


def test_an_unexpected_exception_stores_nothing_and_propagates(user):
    with pytest.raises(RuntimeError):
        _post(user, {"answer": "crash"}, key="k")
    assert not IdempotencyRecord.objects.exists()


def test_a_too_long_key_answers_400(user):
    response = _post(user, {"x": 1}, key="k" * 256)
    assert response.status_code == 400 and list(response.data) == ["Idempotency-Key"]
    assert CountingView.runs == 0
    assert _post(user, {"x": 1}, key="k" * 255).status_code == 201


def test_keys_are_separate_per_scope(user):
    path = "/api/test/things/"
    assert _post(user, {"x": 1}, key="same", path=path).status_code == 201
    other = _post(user, {"x": 1}, key="same", path=path, view=OtherScopeView)
    assert other.status_code == 201 and not other.has_header("Idempotent-Replayed")
    assert CountingView.runs == 1 and OtherScopeView.runs == 1
    assert sorted(IdempotencyRecord.objects.values_list("scope", flat=True)) == ["other", "tests"]


def test_keys_belong_to_their_user(user):
    someone_else = _user()
    _post(user, {"x": 1}, key="same")
    theirs = _post(someone_else, {"x": 1}, key="same")
    assert theirs.status_code == 201 and not theirs.has_header("Idempotent-Replayed")
    assert CountingView.runs == 2 and IdempotencyRecord.objects.count() == 2
