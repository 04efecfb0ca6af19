from django.urls import path

from identity import vcapi, views

app_name = "identity"

urlpatterns = [
    path(".well-known/did.json", views.did_json, name="did-json"),
    path("issuers/<slug:slug>/did.json", views.issuer_did_json, name="issuer-did-json"),
    path("identity/status/<slug:slug>", views.status_list, name="status-list"),
    path("identity/schemas/<str:name>.json", views.schema, name="schema"),
    path("identity/contexts/bpass-v1.jsonld", views.context, name="context"),
    path("identity/", views.wallet, name="wallet"),
    path("identity/apply/", views.apply, name="apply"),
    path("identity/key/export/", views.key_export, name="key-export"),
    path("identity/credentials/<uuid:public_id>/", views.credential_detail, name="credential"),
    path(
        "identity/credentials/<uuid:public_id>.json",
        views.credential_download,
        name="credential-download",
    ),
    path("identity/check/<uuid:public_id>/", views.credential_check, name="credential-check"),
    path("identity/verifier/", views.verifier, name="verifier"),
    path(
        "identity/verifier/requests/<uuid:public_id>/",
        views.request_detail,
        name="request-detail",
    ),
    path(
        "identity/verifier/requests/<uuid:public_id>/result",
        views.request_result,
        name="request-result",
    ),
    path("identity/present/<uuid:public_id>/", views.present, name="present"),
    path("vc-api/credentials/issue", vcapi.IssueCredentialView.as_view(), name="vc-issue"),
    path(
        "vc-api/credentials/issue-batch",
        vcapi.IssueCredentialBatchView.as_view(),
        name="vc-issue-batch",
    ),
    path("vc-api/credentials/verify", vcapi.VerifyCredentialView.as_view(), name="vc-verify"),
    path(
        "vc-api/presentations/verify",
        vcapi.VerifyPresentationView.as_view(),
        name="vc-verify-presentation",
    ),
    path("vc-api/challenges", vcapi.ChallengesView.as_view(), name="vc-challenges"),
]
