"""The EdDSA cryptosuites reproduce the official W3C test vectors (vc-di-eddsa TestVectors)."""

import copy
import hashlib
import json
from pathlib import Path

import pytest

from identity import dataintegrity, jsonld, multikey

VECTORS = Path(__file__).parent / "data" / "vc-di-eddsa"
SUITES = {
    "eddsa-rdfc-2022": ("eddsa-rdfc-2022", "DataInt"),
    "eddsa-jcs-2022": ("eddsa-jcs-2022", "JCS"),
}


def _load(name: str):
    return json.loads((VECTORS / name).read_text())


def _text(name: str) -> str:
    return (VECTORS / name).read_text().strip()


@pytest.fixture
def key():
    pair = _load("keyPair.json")
    return multikey.decode_private_multikey(pair["privateKeyMultibase"]), pair


def test_key_pair_matches_the_vector(key):
    private_key, pair = key
    assert (
        multikey.public_multikey(multikey.public_key_raw(private_key)) == pair["publicKeyMultibase"]
    )
    assert (
        multikey.private_multikey(multikey.private_key_raw(private_key))
        == pair["privateKeyMultibase"]
    )


@pytest.mark.parametrize("suite", SUITES)
def test_signing_reproduces_the_signed_vector(key, suite):
    folder, tag = SUITES[suite]
    signed = _load(f"{folder}/signed{tag}.json")
    private_key, _ = key

    # When the unsigned vector is signed with the vector's key, options and time
    result = dataintegrity.proof_create(
        _load("unsigned.json"),
        private_key=private_key,
        verification_method=signed["proof"]["verificationMethod"],
        cryptosuite=suite,
        created=signed["proof"]["created"],
    )

    # Then the proof is byte for byte the official one
    assert result == signed


@pytest.mark.parametrize("suite", SUITES)
def test_intermediate_hashes_match(suite):
    folder, tag = SUITES[suite]
    unsigned = _load("unsigned.json")
    config = _load(f"{folder}/proofConfig{tag}.json")

    data = dataintegrity.hash_data(suite, unsigned, config)

    assert data[32:].hex() == _text(f"{folder}/docHash{tag}.txt")
    assert data[:32].hex() == _text(f"{folder}/proofHash{tag}.txt")
    assert data.hex() == _text(f"{folder}/combinedHash{tag}.txt")


def test_rdfc_canonical_form_matches():
    canonical = jsonld.canonize(_load("unsigned.json"))
    assert canonical.strip() == _text("eddsa-rdfc-2022/canonDocDataInt.txt")
    assert hashlib.sha256(canonical.encode()).hexdigest() == _text(
        "eddsa-rdfc-2022/docHashDataInt.txt"
    )


@pytest.mark.parametrize("suite", SUITES)
def test_signed_vector_verifies(suite):
    folder, tag = SUITES[suite]
    result = dataintegrity.proof_verify(
        _load(f"{folder}/signed{tag}.json"), resolve_key=multikey.did_key_public
    )
    assert result.cryptosuite == suite
    assert result.controller == "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


@pytest.mark.parametrize("suite", SUITES)
def test_a_changed_document_fails(suite):
    folder, tag = SUITES[suite]
    signed = copy.deepcopy(_load(f"{folder}/signed{tag}.json"))
    signed["credentialSubject"]["alumniOf"] = "Another School"

    with pytest.raises(dataintegrity.ProofError) as excinfo:
        dataintegrity.proof_verify(signed, resolve_key=multikey.did_key_public)
    assert excinfo.value.check == "proof"
    assert "signature does not match" in str(excinfo.value)


def test_challenge_and_domain_are_enforced(key):
    private_key, _ = key
    pair = multikey.did_key_for(private_key)
    signed = dataintegrity.proof_create(
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"]},
        private_key=private_key,
        verification_method=pair.verification_method,
        proof_purpose="authentication",
        challenge="abc",
        domain="shop.example",
    )
    ok = dataintegrity.proof_verify(
        signed,
        resolve_key=multikey.did_key_public,
        expected_purpose="authentication",
        expected_challenge="abc",
        expected_domain="shop.example",
    )
    assert (ok.challenge, ok.domain) == ("abc", "shop.example")
    with pytest.raises(dataintegrity.ProofError) as wrong_challenge:
        dataintegrity.proof_verify(
            signed,
            resolve_key=multikey.did_key_public,
            expected_purpose="authentication",
            expected_challenge="xyz",
        )
    assert wrong_challenge.value.check == "challenge"
    with pytest.raises(dataintegrity.ProofError) as wrong_domain:
        dataintegrity.proof_verify(
            signed,
            resolve_key=multikey.did_key_public,
            expected_purpose="authentication",
            expected_domain="other.example",
        )
    assert wrong_domain.value.check == "domain"


def test_unknown_remote_context_is_refused_not_fetched():
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/context.jsonld"],
        "type": ["VerifiableCredential"],
    }
    with pytest.raises(jsonld.JsonLdProcessingError) as excinfo:
        jsonld.canonize(document)
    assert "https://evil.example/context.jsonld" in str(excinfo.value)


def test_did_key_document_and_jwk_export(key):
    private_key, pair = key
    did = f"did:key:{pair['publicKeyMultibase']}"
    document = multikey.did_key_document(did)
    assert document["verificationMethod"][0]["publicKeyMultibase"] == pair["publicKeyMultibase"]
    jwk = multikey.private_jwk(private_key)
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    assert len(jwk["d"]) == 43 and len(jwk["x"]) == 43
