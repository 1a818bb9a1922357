import { api, ApiError, claims, guarded, h, reasonText, say, setToken, statusName, table, token, when } from "/app.js";

const code = location.hash.slice(1);
const SCOPES = { rating: "信用评级", lending: "银行授信", merchant: "商户优惠", benefits: "公共服务优惠", statistics: "统计汇总" };
const ROLES = { bank: "合作银行", merchant: "商户", officer: "村镇工作人员", admin: "县级管理员", service: "平台服务", household: "本人" };
let subjectId = "";

function start() {
  const c = claims();
  if (c && c.role === "household" && c.exp * 1000 > Date.now()) {
    subjectId = c.subject_id;
    document.getElementById("unlock-section").hidden = true;
    document.getElementById("page").hidden = false;
    document.getElementById("who").textContent = "本户页面";
    load();
  } else {
    document.getElementById("unlock-section").hidden = false;
    if (!code) document.getElementById("unlock-result").textContent = "请使用网格员发给您的专属链接打开本页。";
  }
}

document.getElementById("unlock-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const result = document.getElementById("unlock-result");
  try {
    const response = await fetch("/console/api/household-sessions", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code, id_ending: document.getElementById("id-ending").value.trim() }) });
    const body = await response.json();
    if (!response.ok) {
      result.className = "error";
      result.textContent = response.status === 401 ? `身份证号后四位不正确，还可尝试 ${body.attempts_left} 次。`
        : response.status === 410 ? "链接已失效，请联系网格员重新获取。" : `未能打开：${body.detail || body.title}`;
      return;
    }
    setToken(body.token);
    start();
  } catch (error) { say(result, error); }
});

function load() { return Promise.all([grade(), points(), disclosures(), consent()]); }

async function grade() {
  await guarded("grade", async () => {
    let g;
    try { g = await api("rating", `/v1/subjects/${subjectId}/grade`); } catch (error) {
      if (error instanceof ApiError && error.problem.type === "no-consent") {
        document.getElementById("grade").replaceChildren(h("p", {}, "您未授权信用评级，因此没有等级可显示。可在下方「授权管理」中授权。"));
        return;
      }
      throw error;
    }
    const pending = g.pending;
    const current = pending || g.final;
    document.getElementById("grade").replaceChildren(...[
      h("p", {}, h("span", { class: "grade", id: "my-grade" }, current.grade), `　得分 ${current.score}`),
      pending ? h("p", {}, `状态：${statusName(pending.status)}`, pending.publication_ends_at ? `，公示截止 ${when(pending.publication_ends_at)}` : "") : null,
      g.final ? h("p", { class: "muted" }, `生效等级：${g.final.grade}（${when(g.final.effective_at)} 起）`) : null,
    ].filter(Boolean));
    const history = await api("rating", `/v1/subjects/${subjectId}/ratings`);
    const latest = pending || history.items.find((r) => r.id === (g.final && g.final.rating_id)) || history.items[0];
    // Structured reasons (indicator, points of its weight, Chinese label); a veto or a serious item
    // is said only in the English reasons, which reasonText puts into Chinese.
    const lost = latest ? latest.indicator_reasons || [] : [];
    const said = lost.map((r) => `${r.label.zh}：得 ${r.points} 分（满分 ${r.of_points} 分）`);
    const others = (latest ? latest.reasons : []).filter((r) => !/ points$/.test(r)).map(reasonText);
    const reasons = [...others, ...said];
    document.getElementById("reasons").replaceChildren(h("ul", { id: "reason-list" },
      (reasons.length ? reasons : ["各项指标均为满分"]).map((r) => h("li", {}, r))));
    const raise = latest ? latest.would_raise || [] : [];
    document.getElementById("raise").replaceChildren(raise.length
      ? h("ul", { id: "raise-list" }, raise.map((w) => h("li", {}, `${w.label.zh}提高 ${w.points_needed} 分，可升至 ${w.next_grade} 级`)))
      : h("p", {}, latest && latest.vetoed ? "受一票否决影响，消除否决事项后方可提升等级。"
                                           : "已是最高等级，或单靠一两项指标无法提升等级，请继续保持良好信用。"));
    objectionForm(pending);
  });
}

function objectionForm(pending) {
  const box = document.getElementById("objection");
  if (!pending || pending.status !== "published") {
    box.replaceChildren(h("p", {}, "当前不在公示期内，无法在线提出异议；如有疑问请联系村委会。"));
    return;
  }
  box.replaceChildren(h("form", { id: "objection-form", onsubmit: async (e) => {
    e.preventDefault();
    try {
      const o = await api("rating", `/v1/ratings/${pending.id}/objections`, { method: "POST",
        json: { reason: document.getElementById("objection-reason").value } });
      box.replaceChildren(h("p", { class: "ok", id: "objection-filed" }, `异议已提交，答复期限 ${when(o.answer_due)}。`));
    } catch (error) { say(box, error); }
  } },
  h("p", {}, `公示截止 ${when(pending.publication_ends_at)} 前可以提出异议。`),
  h("label", { for: "objection-reason" }, "异议理由"),
  h("textarea", { id: "objection-reason", rows: 3, required: true }),
  h("button", { type: "submit", id: "objection-submit" }, "提交异议")));
}

async function points() {
  await guarded("points", async () => {
    const p = await api("rating", `/v1/subjects/${subjectId}/points`);
    document.getElementById("points").replaceChildren(h("p", {}, `当前积分：${p.balance}（基础分 ${p.base}）`),
      table("积分明细", ["事项", "分值", "记录时间", "是否有效"], p.entries.map((e) =>
        [e.reason || e.item || "—", String(e.points ?? e.delta ?? ""), when(e.created_at), e.active ? "有效" : "已过期"])));
  });
}

const OUTCOMES = { valid: "扫码核验", "lookup": "查询", "lookup-refused": "查询被拒（未授权）" };

async function disclosures() {
  // Three logs, each from its own service: a service that is down is named and the others still show.
  const box = document.getElementById("disclosures");
  const parts = { banks: h("div", { id: "disclosures-banks" }), merchants: h("div", { id: "disclosures-merchants" }),
    lookups: h("div", { id: "disclosures-lookups" }) };
  box.replaceChildren(parts.banks, parts.merchants, parts.lookups);
  await Promise.all([
    guarded(parts.banks, async () => {
      const items = await api("lending", `/v1/disclosures?subject_id=${subjectId}`);
      parts.banks.replaceChildren(table("银行查看记录", ["银行", "看到的等级", "方式", "用途", "时间"],
        items.map((d) => [d.bank_id, d.grade || "—", OUTCOMES[d.channel] || d.channel, d.purpose || "—", when(d.disclosed_at)])));
    }),
    guarded(parts.merchants, async () => {
      let items = [];
      try { items = (await api("merchant", `/v1/disclosures?subject_id=${subjectId}&limit=100`)).items; } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;  // no code issued yet: nothing seen
      }
      parts.merchants.replaceChildren(table("商户查看记录", ["商户", "看到的等级", "结果", "时间"],
        items.map((d) => [d.merchant_id, d.grade || "—", OUTCOMES[d.outcome] || d.outcome, when(d.at)])));
    }),
    guarded(parts.lookups, async () => {
      const items = await api("registry", `/v1/subjects/${subjectId}/disclosures`);
      parts.lookups.replaceChildren(table("按身份证号查询记录", ["查询方", "身份", "用途", "时间"],
        items.map((d) => [d.caller, ROLES[d.role] || d.role, d.purpose || "—", when(d.at)])));
    }),
  ]);
}

async function consent() {
  await guarded("consent", async () => {
    const s = await api("registry", `/v1/subjects/${subjectId}`);
    document.getElementById("who").textContent = `户主：${s.masked_name}`;
    const given = s.consent && s.consent.given;
    const scopes = (s.consent && s.consent.scopes) || [];
    const box = document.getElementById("consent");
    box.replaceChildren(
      h("p", { id: "consent-state" }, given ? `已授权：${(scopes.length ? scopes : Object.keys(SCOPES)).map((x) => SCOPES[x] || x).join("、")}` : "未授权"),
      h("form", { id: "consent-form", onsubmit: async (e) => {
        e.preventDefault();
        const chosen = [...box.querySelectorAll("input[type=checkbox]:checked")].map((x) => x.value);
        try {
          await api("registry", `/v1/subjects/${subjectId}/consent`, { method: "PUT",
            json: { given: chosen.length > 0, date: new Date().toISOString().slice(0, 10), scopes: chosen } });
          load();
        } catch (error) { say(box, error); }
      } },
      h("fieldset", {}, h("legend", {}, "授权用途（全部取消即撤回授权）"),
        Object.entries(SCOPES).map(([value, label]) => h("label", {}, h("input", { type: "checkbox", value,
          checked: given && (scopes.length === 0 || scopes.includes(value)) }), label))),
      h("button", { type: "submit", id: "consent-save" }, "保存授权")));
  });
}

if (token() && !claims()) sessionStorage.clear();
start();
