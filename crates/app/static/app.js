// Atelier's only script: live countdowns to deletion. Pages work without it.
(function () {
  function tick() {
    document.querySelectorAll('[data-countdown]').forEach(function (el) {
      var deadline = Date.parse(el.dataset.deadline);
      var left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = h + ':' + String(m).padStart(2, '0') + ':' + String(s).padStart(2, '0');
    });
  }
  tick();
  setInterval(tick, 1000);
})();
