// Shows only the claim and evidence fields of the chosen credential type, and only the
// documents it accepts (the form works without it too).
(function () {
  "use strict";
  var FIELDS = {
    BusanResidentCredential: ["district", "residentSince", "address"],
    AdultCredential: ["birth_date"],
    StudentCredential: ["university", "programme", "studentUntil", "student_number"],
    ExchangeKycCredential: ["kycLevel", "full_name"],
    MerchantCredential: ["businessNumber", "category", "tier"]
  };
  var DOCUMENTS = {
    BusanResidentCredential: ["resident_registration", "lease", "utility_bill"],
    AdultCredential: ["id_card", "driving_licence", "passport"],
    StudentCredential: ["enrolment_certificate", "student_card"],
    ExchangeKycCredential: ["id_card", "driving_licence", "passport", "alien_registration"],
    MerchantCredential: ["business_registration"]
  };
  var ALWAYS = ["credential_type", "document", "evidence"];
  function update() {
    var select = document.getElementById("id_credential_type");
    if (!select) { return; }
    var wanted = FIELDS[select.value] || [];
    document.querySelectorAll(".bpass-field").forEach(function (box) {
      var name = box.getAttribute("data-field");
      box.hidden = ALWAYS.indexOf(name) === -1 && wanted.indexOf(name) === -1;
    });
    var accepted = DOCUMENTS[select.value] || [];
    var documentSelect = document.getElementById("id_document");
    if (!documentSelect) { return; }
    Array.prototype.forEach.call(documentSelect.options, function (option) {
      option.hidden = option.value !== "" && accepted.indexOf(option.value) === -1;
      if (option.hidden && option.selected) { documentSelect.value = ""; }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("id_credential_type");
    if (select) { select.addEventListener("change", update); update(); }
  });
})();
