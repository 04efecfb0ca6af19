"""The fast canonicalization path (rdfshape + pyoxigraph) gives PyLD's exact N-Quads."""

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identity import jsonld, rdfshape

VECTORS = Path(__file__).parent / "data" / "vc-di-eddsa"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"

texts = st.text(
    alphabet=st.sampled_from(list('aZ09 -_.:/#"\\\n\t\r\x00é한글🙂<>{}') + ["\u2028"]),
    max_size=12,
)
iris = st.one_of(
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    st.from_regex(r"did:(key|web):[a-z0-9]{1,8}(%3A[0-9]{2})?(#key-1)?", fullmatch=True),
    st.from_regex(r"https://[a-z]{1,6}\.kr/[a-z0-9/]{0,8}(#[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["relative/path", "_:b0", "ex:thing", "urn:x-bpass-slot:0", "did:a b"]),
)
datetimes = st.one_of(
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    texts,
)
language_values = st.one_of(
    texts,
    st.fixed_dictionaries({"@value": texts, "@language": st.sampled_from(["ko", "en"])}),
)


@st.composite
def subjects(draw, depth=0):
    subject = {}
    if draw(st.booleans()):
        subject["id"] = draw(iris)
    claims = {
        "district": texts,
        "residentSince": datetimes,
        "ageOver": st.one_of(st.integers(-5, 200), st.floats(allow_nan=False), texts),
        "name": language_values,
        "tier": st.lists(texts, max_size=3),
    }
    for key, strategy in claims.items():
        if draw(st.booleans()):
            subject[key] = draw(strategy)
    if depth < 2 and draw(st.booleans()):
        subject["alumniOf"] = draw(subjects(depth=depth + 1))
    return subject or {"district": draw(texts)}


@st.composite
def credentials(draw):
    contexts = [VC_V2]
    if draw(st.booleans()):
        contexts.append(jsonld.BUSAN_CONTEXT_URL)
    if draw(st.booleans()):
        contexts.append(EXAMPLES)
    if draw(st.integers(0, 4)) == 0:
        contexts.append({"note": "https://example.kr/vocab#note", "did": "https://example.kr/d#"})
    types = ["VerifiableCredential"]
    types += draw(st.lists(st.sampled_from(["BusanResidentCredential", "ExampleCredential"])))
    document = {"@context": contexts, "type": types}
    if draw(st.booleans()):
        document["id"] = draw(iris)
    document["issuer"] = draw(
        st.one_of(iris, st.fixed_dictionaries({"id": iris, "name": language_values}))
    )
    if draw(st.booleans()):
        document["validFrom"] = draw(datetimes)
    document["credentialSubject"] = draw(
        st.one_of(subjects(), st.lists(subjects(), min_size=1, max_size=3))
    )
    if draw(st.booleans()):
        document["note"] = draw(texts)
    if draw(st.booleans()):
        document["credentialStatus"] = {
            "id": draw(iris),
            "type": "BitstringStatusListEntry",
            "statusPurpose": draw(st.sampled_from(["revocation", "suspension"])),
            "statusListIndex": str(draw(st.integers(0, 131_071))),
            "statusListCredential": draw(iris),
        }
    return document


@st.composite
def proof_configs(draw):
    return {
        "@context": [VC_V2],
        "type": "DataIntegrityProof",
        "cryptosuite": draw(st.sampled_from(["eddsa-rdfc-2022", "eddsa-jcs-2022"])),
        "created": draw(datetimes),
        "verificationMethod": draw(iris),
        "proofPurpose": draw(st.sampled_from(["assertionMethod", "authentication"])),
        "challenge": draw(texts),
    }


def _same_as_reference(document) -> None:
    try:
        expected = jsonld.canonize_reference(document)
    except jsonld.JsonLdProcessingError:
        expected = None
    try:
        actual = jsonld.canonize(document)
    except jsonld.JsonLdProcessingError:
        actual = None
    assert actual == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(credentials())
def test_fast_canonicalization_equals_pyld_on_generated_credentials(document):
    _same_as_reference(document)


@settings(max_examples=60, deadline=None)
@given(proof_configs())
def test_fast_canonicalization_equals_pyld_on_generated_proof_options(config):
    _same_as_reference(config)


def test_the_vector_takes_the_fast_path_with_pyld_output():
    # Given the official unsigned credential
    document = json.loads((VECTORS / "unsigned.json").read_text())

    # When canonicalized through the shape template
    fast = rdfshape.canonize(document, jsonld._shape_quads, jsonld._defined_terms())

    # Then the fast path applies and matches the official canonical document
    assert fast is not None
    expected = (VECTORS / "eddsa-rdfc-2022" / "canonDocDataInt.txt").read_text().strip()
    assert fast.strip() == expected


def test_values_that_would_expand_differently_leave_the_fast_path():
    base = {"@context": [VC_V2], "type": ["VerifiableCredential"], "issuer": "did:web:busanhub.kr"}
    for issuer in ("relative/issuer", "_:b1", "did:web:a b"):
        # When an IRI value is not an absolute IRI that expands to itself
        document = {**base, "issuer": issuer}

        # Then the fast path declines and the reference path decides
        assert rdfshape.canonize(document, jsonld._shape_quads, jsonld._defined_terms()) is None
        _same_as_reference(document)


def test_a_context_defining_a_scheme_as_a_term_disables_the_fast_path():
    document = {
        "@context": [VC_V2, {"did": "https://example.kr/d#"}],
        "type": ["VerifiableCredential"],
        "issuer": "did:web:busanhub.kr",
    }
    assert rdfshape.canonize(document, jsonld._shape_quads, jsonld._defined_terms()) is None
    _same_as_reference(document)


def test_one_blank_node_at_most_is_written_from_text_two_go_through_pyoxigraph():
    # Given a credential whose nodes all have ids, its proof options (one blank node), and a
    # credential with two subjects without ids (two blank nodes)
    document = json.loads((VECTORS / "unsigned.json").read_text())
    options = {
        "@context": document["@context"],
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-12-04T14:00:00Z",
        "verificationMethod": "did:web:busanhub.kr#key-1",
        "proofPurpose": "assertionMethod",
    }
    two_blank = {
        "@context": [VC_V2, EXAMPLES],
        "type": ["VerifiableCredential"],
        "issuer": "did:web:busanhub.kr",
        "credentialSubject": [{"name": 'a "quoted" \\ name'}, {"name": "b"}],
    }
    args = (jsonld._shape_quads, jsonld._defined_terms())

    # When their templates are made
    templates = [rdfshape._fitting_template(d, *args)[0] for d in (document, options, two_blank)]

    # Then the first two are written from text, the third canonicalized by pyoxigraph, and
    # all three give PyLD's N-Quads
    assert [t.lines is not None for t in templates] == [True, True, False]
    for item in (document, options, two_blank):
        assert rdfshape.canonize(item, *args) == jsonld.canonize_reference(item)
