// Starts the vendored ReDoc on the schema URL the page names (no inline script: the CSP).
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  var fonts = 'system-ui, -apple-system, "Noto Sans KR", "Apple SD Gothic Neo", sans-serif';
  window.Redoc.init(
    container.dataset.schemaUrl,
    { theme: { typography: { fontFamily: fonts, headings: { fontFamily: fonts } } } },
    container
  );
})();
