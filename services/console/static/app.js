// Shared by every page: the token, calls to the services through the console (/api/<service>/...),
// the notice naming a service that is unavailable, and small helpers. No framework, no build step.

export const SERVICE_NAMES = {
  registry: "档案服务（registry）", rating: "评级服务（rating）", lending: "信贷服务（lending）",
  merchant: "商户服务（merchant）", stats: "统计服务（stats）",
};
export const ROLE_NAMES = { officer: "网格员", admin: "县级管理员", platform: "省级平台", household: "农户" };

const TOKEN_KEY = "cv-token";

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }
export function setToken(value) { sessionStorage.setItem(TOKEN_KEY, value.trim()); }
export function signOut() { sessionStorage.removeItem(TOKEN_KEY); location.href = "/index.html"; }

/** The token's claims, read for display and page choice only: the services check the signature. */
export function claims(value = token()) {
  try {
    const part = value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(Array.from(atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""));
    return JSON.parse(json);
  } catch { return null; }
}

export class ServiceDown extends Error {
  constructor(service) { super(`${SERVICE_NAMES[service] || service}暂不可用`); this.service = service; }
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status; this.problem = problem;
  }
}

const down = new Set();

/** Shows which services are unavailable, in the page's alert area (role=alert). */
export function markDown(service) {
  down.add(service);
  const box = document.getElementById("service-alerts");
  if (!box) return;
  box.hidden = false;
  box.textContent = "以下服务暂不可用，相关内容无法显示：" + [...down].map((s) => SERVICE_NAMES[s] || s).join("、");
}

/** A call to a service through the console; the caller's own token goes with it. */
export async function api(service, path, { method = "GET", json, form, accept, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (token()) init.headers.Authorization = `Bearer ${token()}`;
  if (accept) init.headers.Accept = accept;
  if (json !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(json); }
  if (form) init.body = form;
  let response;
  try { response = await fetch(`/api/${service}${path}`, init); } catch { markDown(service); throw new ServiceDown(service); }
  const type = response.headers.get("content-type") || "";
  if (!response.ok) {
    const problem = type.includes("json") ? await response.json() : { title: await response.text() };
    if (response.status === 503 && problem.type === "service-unavailable") { markDown(service); throw new ServiceDown(service); }
    if (response.status === 401) problem.detail = "登录已失效或令牌无效，请重新登录（" + (problem.detail || "") + "）";
    throw new ApiError(response.status, problem);
  }
  if (accept && !accept.includes("json")) return response.blob();
  return type.includes("json") ? response.json() : response.text();
}

/** Runs a section's loader; a service that is down or a refusal is said in the section, not thrown. */
export async function guarded(target, loader) {
  try { await loader(); } catch (error) { say(target, error); }
}

export function say(target, error) {
  const node = typeof target === "string" ? document.getElementById(target) : target;
  if (!node) return;
  const message = error instanceof ServiceDown ? `${error.message}，请稍后再试。`
    : error instanceof ApiError ? `操作未成功：${error.message}` + fieldList(error.problem) : `出错了：${error}`;
  node.replaceChildren(h("p", { class: "error", role: "status" }, message));
}

function fieldList(problem) {
  const errors = (problem && problem.errors) || [];
  return errors.length ? "（" + errors.map((e) => `${e.field}：${e.message}`).join("；") + "）" : "";
}

/** document.createElement with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A table with a caption and column headers; cells may be nodes. */
export function table(caption, headers, rows, attrs = {}) {
  return h("table", attrs, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.length ? rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell ?? "—"))))
      : h("tr", {}, h("td", { colspan: headers.length }, "暂无记录"))));
}

const beijing = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
  day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
export function when(iso) { return iso ? beijing.format(new Date(iso)) : "—"; }

export const STATUS_NAMES = { proposed: "待公示", published: "公示中", final: "已生效", superseded: "已更新", disputed: "有异议",
  open: "待答复", upheld: "异议成立（已重评）", rejected: "异议不成立", done: "已完成", running: "进行中", queued: "排队中",
  failed: "失败", recorded: "待复核", reviewed: "已复核", published_ev: "已公开", active: "生效中", cleared: "已解除", expired: "已过期" };
export function statusName(s) { return STATUS_NAMES[s] || s || "—"; }

/** An indicator's name as the county's systems give it ("labour force 劳动力"): its Chinese part. */
function chineseName(name) {
  const m = /[\u4e00-\u9fff][\u4e00-\u9fff（）()、·\w]*$/.exec(name);
  return m ? m[0] : name;
}

/** "labour (labour force 劳动力): 3.00 of 5 points" → "劳动力：得 3.00 分（满分 5 分）". */
export function reasonText(reason) {
  let m = /^[\w.-]+ \((.+)\): ([\d.]+) of ([\d.]+) points$/.exec(reason);
  if (m) return `${chineseName(m[1])}：得 ${m[2]} 分（满分 ${m[3]} 分）`;
  m = /^veto: (.+) \(一票否决\)$/.exec(reason);
  if (m) return `一票否决：${m[1].replace("negative-list record", "负面清单记录").replace("civility veto item", "乡风文明否决项")
    .replace(/(\d+) defaulted loan\(s\)/, "$1 笔贷款违约")}`;
  m = /^serious item lowers the grade: (.+)$/.exec(reason);
  if (m) return `严重失信事项降低等级：${m[1]}`;
  if (reason === "full marks on every indicator") return "各项指标均为满分";
  return reason;
}

/** The header's signed-in line and the sign-out button; redirects to the log-in page without a token. */
export function signedIn(allowed) {
  const c = claims();
  if (!c || (allowed && !allowed.includes(c.role))) { location.href = "/index.html"; return null; }
  const who = document.getElementById("who");
  if (who) who.replaceChildren(`${ROLE_NAMES[c.role] || c.role}${c.region ? "（辖区 " + c.region + "）" : ""}　`,
    h("button", { type: "button", onclick: signOut }, "退出登录"));
  return c;
}

export function money(value) {
  if (value === null || value === undefined) return "已抑制";
  return Number(value).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " 元";
}
