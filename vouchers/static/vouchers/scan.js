// Camera QR scan for the pay page: reads a BusanHub pay link (or a bare merchant code) with the
// vendored jsQR and opens it. Only links of this site are followed.
(function () {
  "use strict";
  var start = document.getElementById("voucher-scan-start");
  var video = document.getElementById("voucher-scan-video");
  var status = document.getElementById("voucher-scan-status");
  if (!start || !video) { return; }
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });

  function follow(text) {
    try {
      var url = new URL(text, window.location.origin);
      if (url.origin === window.location.origin && url.pathname.indexOf("/vouchers/pay/") === 0) {
        window.location.assign(url.pathname);
        return true;
      }
    } catch (e) { /* not a URL */ }
    if (/^M[A-Z0-9]{7}$/.test(text)) {
      window.location.assign("/vouchers/pay/m/" + text + "/");
      return true;
    }
    return false;
  }

  function tick() {
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height);
      if (code && follow(code.data)) { return; }
    }
    window.requestAnimationFrame(tick);
  }

  start.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = start.dataset.unsupported || "Camera not available: type the code.";
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      window.requestAnimationFrame(tick);
    }).catch(function () {
      status.textContent = start.dataset.denied || "Camera not available: type the code.";
    });
  });
})();
