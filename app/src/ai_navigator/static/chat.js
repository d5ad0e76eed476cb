// Chat page: sends the query to /api/ai/navigate and shows the route link.
// Every piece of user or server text goes through textContent or element attributes set via
// DOM properties; nothing is ever assigned to innerHTML.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("ask");
  var input = document.getElementById("query");
  var provider = document.getElementById("provider");
  var MODES = { driving: "驾车 driving", transit: "公交 transit", walking: "步行 walking", riding: "骑行 riding" };

  function bubble(cls) {
    var div = document.createElement("div");
    div.className = "msg " + cls;
    log.appendChild(div);
    div.scrollIntoView({ block: "end" });
    return div;
  }

  function line(parent, text) {
    var p = document.createElement("div");
    p.textContent = text;
    parent.appendChild(p);
    return p;
  }

  function showRoute(data) {
    var div = bubble("bot");
    line(div, "起点 From: " + (data.origin === null ? "当前位置 current location" : data.origin));
    if (data.waypoints.length) line(div, "途经 Via: " + data.waypoints.join(" → "));
    line(div, "终点 To: " + data.destination);
    line(div, "方式 Mode: " + (MODES[data.mode] || data.mode) + " · " + data.provider);
    var a = document.createElement("a");
    // Only http(s) links from the server are made clickable.
    if (/^https:\/\//.test(data.url)) {
      a.href = data.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    a.textContent = "打开路线 Open route";
    div.appendChild(a);
  }

  function showError(status, data) {
    var div = bubble("bot error");
    var text = (data && typeof data.detail === "string") ? data.detail : "请求失败 request failed (" + status + ")";
    line(div, text);
    if (data && Array.isArray(data.errors)) {
      data.errors.forEach(function (e) { line(div, (e.loc || []).join(".") + ": " + e.msg); });
    }
  }

  function ask(q) {
    if (!q) return;
    line(bubble("user"), q);
    var body = { query: q };
    if (provider.value) body.provider = provider.value;
    fetch("/api/ai/navigate", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) {
        if (r.ok && data) showRoute(data); else showError(r.status, data);
      });
    }).catch(function () { showError(0, null); });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = input.value.trim();
    input.value = "";
    ask(q);
  });

  // A shared link /?q=... asks that question on load (the value only ever becomes text).
  var shared = new URLSearchParams(window.location.search).get("q");
  if (shared) ask(shared.slice(0, 500));
})();
