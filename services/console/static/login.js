import { claims, h, setToken } from "/app.js";

function enter(value) {
  const c = claims(value);
  const result = document.getElementById("login-result");
  if (!c || !c.role) { result.textContent = "令牌格式不正确"; result.className = "error"; return; }
  const page = { officer: "/county.html", admin: "/county.html", platform: "/province.html" }[c.role];
  if (!page) { result.textContent = `角色 ${c.role} 不使用本控制台`; result.className = "error"; return; }
  setToken(value);
  location.href = page;
}

document.getElementById("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  enter(document.getElementById("token-input").value);
});

fetch("/console/api/dev-accounts").then((r) => (r.ok ? r.json() : null)).then((body) => {
  if (!body || !body.accounts.length) return;
  document.getElementById("demo-section").hidden = false;
  document.getElementById("demo-accounts").replaceChildren(...body.accounts.map((a) =>
    h("li", {}, h("button", { type: "button", class: "secondary", "data-account": a.name, onclick: () => enter(a.token) },
      `以「${a.label}」身份登录`))));
}).catch(() => {});
