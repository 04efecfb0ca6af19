// Shows only the claim fields of the chosen credential type (the form works without it too).
(function () {
  "use strict";
  var FIELDS = {
    BusanResidentCredential: ["district", "residentSince"],
    AdultCredential: ["birth_date"],
    StudentCredential: ["university", "programme", "studentUntil"],
    ExchangeKycCredential: ["kycLevel"],
    MerchantCredential: ["businessNumber", "category", "tier"]
  };
  var ALWAYS = ["credential_type", "evidence"];
  function update() {
    var select = document.getElementById("id_credential_type");
    if (!select) { return; }
    var wanted = FIELDS[select.value] || [];
    document.querySelectorAll(".bpass-field").forEach(function (box) {
      var name = box.getAttribute("data-field");
      box.hidden = ALWAYS.indexOf(name) === -1 && wanted.indexOf(name) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("id_credential_type");
    if (select) { select.addEventListener("change", update); update(); }
  });
})();
