/* caseload workbench: what the pages do beyond htmx, with no inline
   script (the Content-Security-Policy forbids it).

   When the server cannot be reached (stopped) or refuses a request (a
   restarted server has a new access token), a page says so and offers
   to reload, and its polling stops, instead of spinning or failing
   silently. */
(function () {
  "use strict";

  function banner(title, text, reload) {
    var box = document.getElementById("server-gone");
    if (!box) {
      box = document.createElement("div");
      box.id = "server-gone";
      box.className = "notice bad gone";
      box.setAttribute("role", "alert");
      var main = document.getElementById("main") || document.body;
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = title + " ";
    box.appendChild(strong);
    box.appendChild(document.createTextNode(text + " "));
    if (reload) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "small";
      button.textContent = "Reload the page";
      button.addEventListener("click", function () {
        window.location.reload();
      });
      box.appendChild(button);
    }
  }

  function stopPolling() {
    // A polled element (hx-trigger "every ...") is removed from htmx's
    // care by taking its trigger away and swapping it for a plain copy.
    var polled = document.querySelectorAll("[hx-trigger*='every']");
    polled.forEach(function (el) {
      var copy = el.cloneNode(true);
      copy.removeAttribute("hx-trigger");
      copy.removeAttribute("hx-get");
      copy.querySelectorAll(".spinner").forEach(function (s) {
        s.remove();
      });
      el.replaceWith(copy);
    });
  }

  document.addEventListener("htmx:sendError", function () {
    stopPolling();
    banner("The workbench is not answering.",
           "Its server may have stopped. Start it again (caseload serve), " +
           "then reload this page. A run that was going is kept as " +
           "interrupted.", true);
  });

  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail && evt.detail.xhr ? evt.detail.xhr.status : 0;
    stopPolling();
    if (status === 403) {
      banner("This page's access has ended.",
             "The workbench server was restarted and has a new address: " +
             "open the address it printed (with its token).", true);
    } else {
      banner("The workbench could not do that (error " + status + ").",
             "Reload the page to see where things stand.", true);
    }
  });
})();
