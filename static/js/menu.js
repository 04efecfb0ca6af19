// Folds the header's menu behind a "Menu" button on phones (the CSS decides by width).
(function () {
  "use strict";
  var header = document.getElementById("site-header");
  var button = header && header.querySelector(".menu-toggle");
  if (!button) return;
  header.classList.add("has-menu-toggle");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = header.classList.toggle("menu-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
