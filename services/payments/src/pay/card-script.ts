/**
 * The payment page's one script, served from the page's own origin (CSP `script-src 'self'`), as
 * Stripe.js does for Stripe: it checks the card fields, tokenises the card at the PSP with the
 * publishable key (`POST <psp>/v1/payment_methods`, the PSP's origin being the page's only
 * `connect-src`), puts the `pm_…` id in the form's hidden field and submits the form. The card
 * fields have no `name`, so the form never carries them. Plain ES2017, no build step, no libraries.
 */
export const CARD_SCRIPT = `'use strict';
(function () {
  var form = document.getElementById('pay-form');
  if (!form) return;
  var messages = JSON.parse(document.getElementById('pay-messages').textContent);
  var number = document.getElementById('card-number');
  var expiry = document.getElementById('card-expiry');
  var cvc = document.getElementById('card-cvc');
  var token = document.getElementById('payment_method');
  var error = document.getElementById('card-error');
  var button = document.getElementById('pay-button');
  var busy = false;
  form.hidden = false;

  function digits(value) { return value.replace(/[\\s-]/g, ''); }
  function luhn(value) {
    var sum = 0;
    for (var i = 0; i < value.length; i++) {
      var d = Number(value.charAt(value.length - 1 - i));
      if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }
  function showError(key, field) {
    [number, expiry, cvc].forEach(function (f) { f.removeAttribute('aria-invalid'); });
    error.textContent = messages[key];
    error.hidden = false;
    if (field) { field.setAttribute('aria-invalid', 'true'); field.focus(); }
  }
  function setBusy(on) {
    busy = on;
    button.disabled = on;
    button.textContent = on ? messages.sending : messages.payButton;
  }
  /** The card as the PSP takes it, or undefined after showing what is wrong. */
  function card() {
    var n = digits(number.value);
    if (!/^[0-9]{12,19}$/.test(n) || !luhn(n)) return showError('badNumber', number);
    var m = /^\\s*([0-9]{1,2})\\s*\\/?\\s*([0-9]{2}|[0-9]{4})\\s*$/.exec(expiry.value);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 12) return showError('badExpiry', expiry);
    var month = Number(m[1]);
    var year = m[2].length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
    var now = new Date();
    if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) return showError('expiredCard', expiry);
    var c = digits(cvc.value);
    if (!/^[0-9]{3,4}$/.test(c)) return showError('badCvc', cvc);
    return { number: n, month: month, year: year, cvc: c };
  }
  var FIELD_OF = { incorrect_number: [ 'badNumber', number ], invalid_number: [ 'badNumber', number ], invalid_expiry_month: [ 'badExpiry', expiry ], invalid_expiry_year: [ 'badExpiry', expiry ], expired_card: [ 'expiredCard', expiry ], invalid_cvc: [ 'badCvc', cvc ], incorrect_cvc: [ 'badCvc', cvc ] };

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (busy) return;
    var c = card();
    if (!c) return;
    error.hidden = true;
    setBusy(true);
    var body = new URLSearchParams({ type: 'card', 'card[number]': c.number, 'card[exp_month]': String(c.month), 'card[exp_year]': String(c.year), 'card[cvc]': c.cvc });
    fetch(form.dataset.pspUrl + '/v1/payment_methods', {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + form.dataset.publishableKey, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body,
      credentials: 'omit',
      referrerPolicy: 'no-referrer'
    }).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
    }).then(function (result) {
      if (result.ok && typeof result.answer.id === 'string') {
        token.value = result.answer.id;
        number.value = ''; expiry.value = ''; cvc.value = '';
        form.submit();
        return;
      }
      setBusy(false);
      var known = FIELD_OF[(result.answer.error && result.answer.error.code) || ''];
      if (known) showError(known[0], known[1]); else showError('pspDown');
    }).catch(function () {
      setBusy(false);
      showError('pspDown');
    });
  });
})();
`;
