// The checkout page: the card is entered through Stripe Elements (or the stand-in a local Stripe mock
// serves), turned into a payment method id, and the form is sent with it once.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }
  ready(function () {
    var form = document.getElementById("checkout-form");
    if (!form) return;
    var errors = document.getElementById("card-errors");
    var button = document.getElementById("pay");
    var stripe = null, card = null;
    if (window.Stripe) {
      stripe = window.Stripe(form.dataset.publishableKey);
      card = stripe.elements().create("card", { hidePostalCode: true });
      card.mount("#card-element");
    }
    function selfPay() {
      var summary = document.getElementById("summary");
      return summary ? parseInt(summary.dataset.selfPay || "0", 10) : 0;
    }
    function fail(message) {
      errors.textContent = message || "";
      button.disabled = false;
      button.removeAttribute("aria-busy");
      delete form.dataset.sending;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.sending) return;          // a double click sends one form
      form.dataset.sending = "1";
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      errors.textContent = "";
      // nothing to pay by card, or the agreement not accepted (the page says so beside the box): send as is
      if (selfPay() === 0 || form.elements.payment_method.value || !form.elements.agreement_accepted.checked) {
        form.submit();
        return;
      }
      if (!stripe) { fail(button.dataset.noStripe || "Stripe.js did not load."); return; }
      Promise.resolve(stripe.createPaymentMethod({ type: "card", card: card })).then(function (result) {
        if (result && result.paymentMethod) return result.paymentMethod.id;
        if (result && result.error) throw result.error;
        // the local mock's Stripe.js has no createPaymentMethod: a card token works as a payment method too
        return stripe.createToken(card).then(function (token) {
          if (token.error) throw token.error;
          return token.token.card.id;
        });
      }).then(function (id) {
        form.elements.payment_method.value = id;
        form.submit();
      }, function (error) {
        fail(error && error.message ? error.message : String(error));
      });
    });
  });
})();
