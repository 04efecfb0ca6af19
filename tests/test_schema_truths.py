"""What issue 15 found the schema getting wrong, stated once each (the fuzz covers the rest)."""

import pytest


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _ok(schema, path, method="get", status="200", media="application/json"):
    return schema["paths"][path][method]["responses"][status]["content"][media]["schema"]


def test_exchange_amounts_are_decimal_strings_and_candles_an_array(schema):
    market = schema["components"]["schemas"]["MarketOut"]["properties"]
    assert market["tick_size"] == {"type": "string", "pattern": "^-?[0-9]+$", "example": "1000000"}
    assert market["base_decimals"]["type"] == "integer"
    candles = _ok(schema, "/api/v1/exchange/markets/{symbol}/candles/")
    assert candles["type"] == "array" and candles["items"]["maxItems"] == 6


def test_the_orders_list_is_documented_as_the_page_it_answers(schema):
    page = _ok(schema, "/api/v1/exchange/orders/")
    ref = page["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][ref]["properties"]
    assert set(properties) == {"next", "previous", "results"}
    assert properties["next"]["nullable"] is True


def test_nullable_fields_say_so(schema):
    components = schema["components"]["schemas"]
    assert components["Credential"]["properties"]["validUntil"]["nullable"] is True
    assert components["Batch"]["properties"]["chain_id"]["nullable"] is True


def test_epcis_queries_answer_json_ld(schema):
    assert set(schema["paths"]["/epcis/events"]["get"]["responses"]["200"]["content"]) == {
        "application/ld+json"
    }


def test_identifiers_carry_their_patterns(schema):
    components = schema["components"]["schemas"]
    assert components["Party"]["properties"]["gln"]["pattern"] == "^[0-9]{13}$"
    assert components["Product"]["properties"]["gtin"]["pattern"] == "^(?:[0-9]{8}|[0-9]{12,14})$"
    (bbox,) = [
        p for p in schema["paths"]["/api/v1/safety/map"]["get"]["parameters"] if p["name"] == "bbox"
    ]
    assert bbox["schema"]["oneOf"][0]["pattern"].startswith("^(?:-?[0-9]+")
    assert bbox["allowEmptyValue"] is True
