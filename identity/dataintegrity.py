"""W3C Data Integrity EdDSA cryptosuites eddsa-rdfc-2022 and eddsa-jcs-2022. No Django imports.

`proof_create` adds a DataIntegrityProof to a document; `proof_verify` checks one. Keys are
resolved by a caller-supplied function, so this module never touches the network or the
database.
"""

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from busanhub.chain import canonical as jcs

from . import jsonld, multikey

CRYPTOSUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v2"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"


class ProofError(ValueError):
    """A proof that cannot be created or does not verify; `check` names what failed."""

    def __init__(self, message: str, *, check: str = "proof"):
        super().__init__(message)
        self.check = check


@dataclass(frozen=True)
class ProofResult:
    verification_method: str
    controller: str
    proof_purpose: str
    cryptosuite: str
    challenge: str | None
    domain: str | None


def _contexts(document: dict) -> list:
    ctx = document.get("@context")
    if ctx is None:
        return []
    return ctx if isinstance(ctx, list) else [ctx]


def _hash_canonical(cryptosuite: str, document: dict) -> bytes:
    if cryptosuite == "eddsa-rdfc-2022":
        canonical = jsonld.canonize(document).encode("utf-8")
    else:
        try:
            canonical = jcs.canonicalize(document)
        except jcs.CanonicalizationError as exc:
            raise ProofError(f"document is not canonicalizable JSON: {exc}") from exc
    return hashlib.sha256(canonical).digest()


def hash_data(cryptosuite: str, unsecured: dict, proof_config: dict) -> bytes:
    """proofConfigHash || transformedDocumentHash, as both cryptosuites define."""
    return _config_hash(cryptosuite, proof_config) + _hash_canonical(cryptosuite, unsecured)


# Proof configurations repeat (one issuer's key and contexts, `created` to the second): their
# hashes are kept, keyed by the configuration's repr (which tells 1 from "1", unlike JSON
# text), at most _CONFIG_HASHES_MAX.
_CONFIG_HASHES: dict[tuple[str, str], bytes] = {}
_CONFIG_HASHES_MAX = 1024


def _config_hash(cryptosuite: str, config: dict) -> bytes:
    key = (cryptosuite, repr(config))
    digest = _CONFIG_HASHES.get(key)
    if digest is None:
        digest = _hash_canonical(cryptosuite, config)
        if len(_CONFIG_HASHES) >= _CONFIG_HASHES_MAX:
            _CONFIG_HASHES.clear()
        _CONFIG_HASHES[key] = digest
    return digest


def _proof_config(cryptosuite: str, document: dict, options: dict) -> dict:
    config = {k: v for k, v in options.items() if k != "proofValue"}
    if cryptosuite == "eddsa-rdfc-2022":
        config["@context"] = document.get("@context")
    elif "@context" in config:
        doc_ctx, proof_ctx = _contexts(document), _contexts(config)
        if doc_ctx[: len(proof_ctx)] != proof_ctx:
            raise ProofError("the proof's @context does not match the document's @context")
    return config


def proof_create(
    document: dict,
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    cryptosuite: str = "eddsa-rdfc-2022",
    proof_purpose: str = "assertionMethod",
    created: str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    include_context: bool = True,
) -> dict:
    """A copy of `document` with a DataIntegrityProof; the input is not modified."""
    if cryptosuite not in CRYPTOSUITES:
        raise ProofError(f"unsupported cryptosuite {cryptosuite!r}")
    unsecured = {k: copy.deepcopy(v) for k, v in document.items() if k != "proof"}
    if cryptosuite == "eddsa-rdfc-2022":
        ctx = _contexts(unsecured)
        # Data Integrity terms come from the VC v2 context; add them otherwise.
        if VC_V2_CONTEXT not in ctx and DATA_INTEGRITY_CONTEXT not in ctx:
            unsecured["@context"] = [*ctx, DATA_INTEGRITY_CONTEXT]
    options: dict = {"type": "DataIntegrityProof", "cryptosuite": cryptosuite}
    if created:
        options["created"] = created
    options["verificationMethod"] = verification_method
    options["proofPurpose"] = proof_purpose
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    if cryptosuite == "eddsa-jcs-2022" and include_context and "@context" in unsecured:
        options["@context"] = copy.deepcopy(unsecured["@context"])
    config = _proof_config(cryptosuite, unsecured, options)
    signature = private_key.sign(hash_data(cryptosuite, unsecured, config))
    proof = {**options, "proofValue": multikey.b58_encode(signature)}
    existing = document.get("proof")
    if existing:
        # A proof set: every proof signs the document without any proof.
        existing = existing if isinstance(existing, list) else [existing]
        return {**unsecured, "proof": [*copy.deepcopy(existing), proof]}
    return {**unsecured, "proof": proof}


def proof_verify(
    document: dict,
    *,
    resolve_key: Callable[[str], Ed25519PublicKey],
    expected_purpose: str = "assertionMethod",
    expected_challenge: str | None = None,
    expected_domain: str | None = None,
) -> ProofResult:
    """Verifies the document's single DataIntegrityProof or raises ProofError naming the check.

    `resolve_key(verification_method)` returns the public key or raises ProofError
    (check "issuer" when the key's controller is unknown).
    """
    if not isinstance(document, dict):
        raise ProofError("the document is not a JSON object", check="malformed")
    proofs = document.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    ours = [p for p in proofs if isinstance(p, dict) and p.get("type") == "DataIntegrityProof"]
    if not ours:
        raise ProofError("the document has no DataIntegrityProof")
    results = [
        _verify_one(
            document, proof, resolve_key, expected_purpose, expected_challenge, expected_domain
        )
        for proof in ours
    ]
    return results[0]


def _verify_one(
    document, proof, resolve_key, expected_purpose, expected_challenge, expected_domain
) -> ProofResult:
    if proof.get("type") != "DataIntegrityProof":
        raise ProofError(f"unsupported proof type {proof.get('type')!r}")
    cryptosuite = proof.get("cryptosuite")
    if cryptosuite not in CRYPTOSUITES:
        raise ProofError(f"unsupported cryptosuite {cryptosuite!r}")
    vm = proof.get("verificationMethod")
    if not isinstance(vm, str) or not vm:
        raise ProofError("the proof has no verificationMethod")
    if proof.get("proofPurpose") != expected_purpose:
        raise ProofError(
            f"proofPurpose is {proof.get('proofPurpose')!r}, expected {expected_purpose!r}"
        )
    if expected_challenge is not None and proof.get("challenge") != expected_challenge:
        raise ProofError("the proof's challenge does not match the request", check="challenge")
    if expected_domain is not None and proof.get("domain") != expected_domain:
        raise ProofError("the proof's domain does not match the request", check="domain")
    try:
        signature = multikey.b58_decode(proof.get("proofValue", ""))
    except multikey.KeyError_ as exc:
        raise ProofError(f"proofValue: {exc}") from exc
    public_key = resolve_key(vm)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = _proof_config(cryptosuite, unsecured, proof)
    try:
        data = hash_data(cryptosuite, unsecured, config)
    except jsonld.JsonLdProcessingError as exc:
        raise ProofError(str(exc), check="malformed") from exc
    try:
        public_key.verify(signature, data)
    except InvalidSignature as exc:
        raise ProofError("the signature does not match the document (changed or forged)") from exc
    return ProofResult(
        verification_method=vm,
        controller=vm.partition("#")[0],
        proof_purpose=proof["proofPurpose"],
        cryptosuite=cryptosuite,
        challenge=proof.get("challenge"),
        domain=proof.get("domain"),
    )
