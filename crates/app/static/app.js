// Atelier's only script: live countdowns to deletion, and the studio's live photo check.
// Pages work without it: the server writes the time left when it renders, and refuses a bad
// upload itself. The words come from the page (data-pattern with %H and %M, data-over, the
// photo input's data-*) or from the server's check, in the reader's language; nothing here
// is English.
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

// The studio's photo check: type and size at once, then POST /studio/check for the face
// count and size, shown in the aria-live list next to the input. An error disables the
// submit button until another file is chosen.
(function () {
  var input = document.querySelector('input[data-photo-check]');
  if (!input || !window.fetch || !window.FormData) return;
  var form = input.form;
  var submit = form && form.querySelector('button[type=submit]');
  var list = document.getElementById('photo-checks');
  var box = list && list.parentNode;
  var accepted = ['image/jpeg', 'image/png', 'image/webp'];
  var current = 0, previewUrl = null;

  function show(checks) {
    list.textContent = '';
    var blocked = false;
    checks.forEach(function (check) {
      var item = document.createElement('li');
      item.className = 'check-' + check.level;
      item.textContent = check.text;
      list.appendChild(item);
      if (check.level === 'error') blocked = true;
    });
    if (submit) submit.disabled = blocked;
  }

  function preview(file) {
    var old = box.querySelector('img.preview');
    if (old) box.removeChild(old);
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    if (!file || accepted.indexOf(file.type) < 0 || !window.URL || !URL.createObjectURL) return;
    previewUrl = URL.createObjectURL(file);
    var img = document.createElement('img');
    img.className = 'preview';
    img.alt = input.dataset.previewAlt || '';
    img.src = previewUrl;
    box.insertBefore(img, list);
  }

  input.addEventListener('change', function () {
    var file = input.files && input.files[0];
    var ticket = ++current;
    preview(file);
    if (!file) return show([]);
    if (file.type && accepted.indexOf(file.type) < 0) {
      return show([{ level: 'error', text: input.dataset.notSupported }]);
    }
    if (file.size > Number(input.dataset.maxBytes)) {
      return show([{ level: 'error', text: input.dataset.tooLarge }]);
    }
    show([{ level: 'info', text: input.dataset.checking }]);
    var body = new FormData();
    body.append('file', file);
    fetch(input.dataset.photoCheck, { method: 'POST', body: body, credentials: 'same-origin' })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (ticket !== current) return;
        show(answer.checks || []);
      })
      .catch(function () {
        if (ticket === current) show([{ level: 'warn', text: input.dataset.unavailable }]);
      });
  });
})();
