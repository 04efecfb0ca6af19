"""The OpenAPI schema tells the truth: schemathesis fuzzes every operation of /api/schema/.

Each operation is called with generated requests, valid and invalid, as four callers: a
citizen (a KYC'd resident), a merchant, a logistics partner's API key and staff. Every answer
must be below 500, carry a status code the operation documents, a documented content type,
and a body that validates against the documented schema; a request the schema calls invalid
must be refused.

The budget is bounded and deterministic (derandomised, no shrinking, a few examples per
operation and mode) so the run stays within a few minutes; README's Tests section gives the
figures. The requests go through Django's WSGI handler in-process (no socket), inside each
test's transaction, with CSRF enforced as in production.
"""

import json

import pytest
import schemathesis
from django.core.cache import cache
from django.test.client import ClientHandler
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.specs.openapi import checks

MAX_EXAMPLES = 6


def negative_data_rejection(ctx, response, case):
    """schemathesis' check, less DRF's coercion of JSON scalars between types (`0` for a
    string reads as "0", "12" for an integer as 12): a leniency the portal keeps."""
    try:
        return checks.negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData as failure:
        if failure.message.rstrip().endswith("Incorrect type"):
            return None
        raise


ROLES = ["citizen", "merchant", "partner", "staff"]
CHECKS = [
    schemathesis.checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    # A schema-invalid request must be refused (4xx), or the schema is stricter than the API.
    negative_data_rejection,
]
# Not run: `positive_data_acceptance`, which wants every schema-valid request answered 2xx (or
# 401/403/404/409/429). Business rules no schema can state refuse such requests with 400 by
# design: a GS1 check digit, a balance too small, a market symbol no market has.

_handler = ClientHandler(enforce_csrf_checks=True)
_requests = {"count": 0, "operations": set()}


def _wsgi(environ, start_response):
    """Django's handler the way the test client drives it: database connections stay open."""
    _requests["count"] += 1
    response = _handler(environ)
    headers = [*response.items()]
    headers += [("Set-Cookie", c.output(header="").strip()) for c in response.cookies.values()]
    start_response(f"{response.status_code} {response.reason_phrase}", headers)
    if response.streaming:
        return [b"".join(response.streaming_content)]
    return [response.content]


def _schema_document() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(_schema_document())
schema.app = _wsgi
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    no_shrink=True,
    deterministic=True,
    with_security_parameters=False,
)


def _token(user) -> dict:
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@pytest.fixture
def caller_headers(db, request):
    """The Authorization header of `request.param`'s caller, with the rows that caller needs."""
    from busanhub.accounts.tests.factories import UserFactory
    from exchange.tests.factories import fee_tiers, kyc_user, market_eth_krw
    from logistics import services as logistics_services
    from logistics.tests.factories import PartyFactory
    from vouchers.tests.factories import approved_merchant, fund_pool, make_resident

    fee_tiers()
    market_eth_krw()
    fund_pool()
    role = request.param
    if role == "citizen":
        citizen = kyc_user(email="minji@example.kr", preferred_language="en")
        make_resident(citizen)
        return _token(citizen)
    if role == "merchant":
        owner = UserFactory(email="shop@example.kr", preferred_language="en")
        approved_merchant(owner=owner)
        return _token(owner)
    if role == "partner":
        _key, raw = logistics_services.partner_key_create(party=PartyFactory(), name="ERP")
        return {"Authorization": f"Bearer {raw}"}
    staff = UserFactory(email="staff@example.kr", is_staff=True, is_superuser=True)
    return _token(staff)


@pytest.mark.parametrize("caller_headers", ROLES, indirect=True)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, caller_headers):
    # Throttles count in the cache: a budget of examples must not turn into a run of 429s.
    cache.clear()
    _requests["operations"].add(case.operation.label)
    case.call_and_validate(headers=caller_headers, checks=CHECKS)


def teardown_module():
    # The figures README's Tests section quotes (`pytest -s tests/test_schema_fuzz.py`).
    print(
        f"\nschema fuzz: {_requests['count']} requests, {len(_requests['operations'])} operations"
    )
