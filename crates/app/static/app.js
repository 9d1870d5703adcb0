// Atelier's only script: live countdowns to deletion. Pages work without it: the server
// writes the time left when it renders. The words come from the page (data-pattern with
// %H and %M, data-over), in the reader's language; nothing here is English.
(function () {
  function tick() {
    document.querySelectorAll('[data-countdown]').forEach(function (el) {
      var deadline = Date.parse(el.dataset.deadline);
      var pattern = el.dataset.pattern;
      if (isNaN(deadline) || !pattern) return;
      var left = Math.floor((deadline - Date.now()) / 1000);
      if (left <= 0) {
        el.textContent = el.dataset.over || '';
        return;
      }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60);
      el.textContent = pattern.replace('%H', String(h)).replace('%M', String(m));
    });
  }
  tick();
  setInterval(tick, 1000);
})();
