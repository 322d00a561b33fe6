// The checkout page: the card is entered through Stripe Elements (or the stand-in a local Stripe mock
// serves), turned into a payment method id, and the form is sent with it once. The summary (and the
// figures the form sends as what the buyer agreed to) is refreshed here when "use vouchers" changes.
//
// Not with htmx: the Stripe mock's script declares `class Element` at its top level, a global binding
// that shadows the DOM's Element for every classic script of the page, so htmx's `instanceof Element`
// checks fail and htmx processes nothing. This file must not name `Element` either (use
// `window.Element` if ever needed).
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }
  ready(function () {
    var form = document.getElementById("checkout-form");
    if (!form) return;
    var errors = document.getElementById("card-errors");
    var button = document.getElementById("pay");
    var toggle = form.elements.use_vouchers;
    var recalculate = document.getElementById("recalculate");
    var wallet = form.elements.wallet || null;             // several wallets: the one to spend
    var latest = 0;
    function refreshSummary() {
      var request = ++latest;
      var summary = document.getElementById("summary");
      summary.setAttribute("aria-busy", "true");
      button.disabled = true;          // never send figures the page is about to replace
      var url = form.dataset.summaryUrl + "?use_vouchers=" + (toggle.checked ? "1" : "0");
      if (wallet) url += "&wallet=" + encodeURIComponent(wallet.value);
      fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      }).then(function (html) {
        if (request !== latest) return;                     // a later change is on its way
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#summary");
        if (!fresh) throw new Error("no summary in the answer");
        document.getElementById("summary").replaceWith(fresh);
        if (!form.dataset.sending) button.disabled = false;
      }).catch(function () {
        if (request !== latest) return;
        // the figures could not be refreshed in place: the server recalculates the whole page
        var field = document.createElement("input");
        field.type = "hidden";
        field.name = "recalculate";
        field.value = "1";
        form.appendChild(field);
        form.submit();
      });
    }
    if (toggle && form.dataset.summaryUrl && window.fetch) {
      if (recalculate) recalculate.remove();                 // the summary follows the box by itself
      toggle.addEventListener("change", refreshSummary);
      if (wallet) wallet.addEventListener("change", refreshSummary);
    }
    var stripe = null, card = null;
    if (window.Stripe) {
      try {
        stripe = window.Stripe(form.dataset.publishableKey);
        card = stripe.elements().create("card", { hidePostalCode: true });
        card.mount("#card-element");
      } catch (error) {
        stripe = null;                                       // "pay" then says Stripe.js did not load
      }
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
