import { api, ApiError, guarded, h, reasonText, say, signedIn, statusName, table, when } from "/app.js";

const me = signedIn(["officer", "admin"]);
let village = "";
const params = new URLSearchParams(location.search);

function setVillage(code) {
  village = code;
  document.getElementById("village-code").value = code;
  history.replaceState(null, "", `?village=${code}`);
  loadAll();
}

document.getElementById("village-form").addEventListener("submit", (e) => {
  e.preventDefault();
  setVillage(document.getElementById("village-code").value.trim());
});

async function loadAll() {
  await Promise.all([standing(), roster(), publication(), objections(), civility(), negative()]);
}

async function standing() {
  const box = document.getElementById("village-standing");
  await guarded(box, async () => {
    try {
      const v = await api("rating", `/v1/villages/${village}`);
      box.textContent = `信用村评定：${v.grade || "未评定"}${v.credit_village ? "（信用村）" : ""}`;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      box.textContent = "信用村评定：未评定（本村尚无生效等级）";
    }
  });
}

async function roster() {
  const box = document.getElementById("roster");
  await guarded(box, async () => {
    const page = await api("registry", `/v1/subjects?village=${village}&kind=household&limit=200`);
    const grades = new Map();
    for (const status of ["published", "final", "disputed"]) {
      try {
        const pub = await api("rating", `/v1/publications?region=${village}&status=${status}&limit=500`);
        for (const item of pub.items) if (!grades.has(item.subject_id)) grades.set(item.subject_id, item);
      } catch (error) { say(box, error); return; }
    }
    const rows = page.items.map((s) => {
      const g = grades.get(s.id);
      const reasons = h("div", { id: `reasons-${s.id}` },
        h("button", { type: "button", class: "secondary", onclick: () => showReasons(s.id) }, "查看理由"));
      return [s.masked_name, s.id_number_masked, g ? g.grade : "未评级", g ? statusName(g.status) : "—",
        g ? when(g.objection_deadline) : "—", reasons,
        h("button", { type: "button", class: "secondary", "data-link-for": s.id, onclick: () => issueLink(s.id) }, "生成农户专属链接")];
    });
    box.replaceChildren(table(`共 ${page.items.length} 户`, ["户主", "身份证号（脱敏）", "等级", "公示状态", "异议截止", "评级理由", "农户页面"], rows));
  });
}

async function showReasons(subjectId) {
  const box = document.getElementById(`reasons-${subjectId}`);
  await guarded(box, async () => {
    const g = await api("rating", `/v1/subjects/${subjectId}/grade`);
    const shown = g.pending || null;
    const reasons = shown ? shown.reasons : (g.final && g.final.reason ? [g.final.reason] : []);
    box.replaceChildren(h("ul", {}, reasons.map((r) => h("li", {}, reasonText(r)))));
  });
}

async function issueLink(subjectId) {
  const box = document.getElementById("link-result");
  try {
    const response = await fetch("/console/api/household-links", {
      method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${sessionStorage.getItem("cv-token")}` },
      body: JSON.stringify({ subject_id: subjectId }) });
    const body = await response.json();
    if (!response.ok) throw new ApiError(response.status, body);
    const url = new URL(body.path, location.origin).href;
    box.replaceChildren(h("p", { class: "ok" }, `已为 ${body.masked_name} 生成专属链接（有效期至 ${when(body.expires_at)}），请交给农户本人；打开后需输入户主身份证号后四位：`),
      h("p", {}, h("a", { href: url, id: "household-link" }, url)));
  } catch (error) { say(box, error); }
}

async function publication() {
  const box = document.getElementById("publication");
  await guarded(box, async () => {
    const pub = await api("rating", `/v1/publications?region=${village}&status=published&limit=500`);
    const deadline = pub.items.length ? when(pub.items[0].objection_deadline) : "—";
    box.replaceChildren(
      h("p", {}, `村（社区）代码：${village}。以下农户信用等级评定结果予以公示。对评定结果有异议的，请于 `,
        h("strong", { id: "objection-deadline" }, deadline), " 前向村委会或网格员提出。"),
      table("公示名单", ["户主（脱敏）", "主体类型", "等级", "得分", "公示开始", "公示截止", "异议截止", "待答复异议"],
        pub.items.map((i) => [i.masked_name, i.kind === "household" ? "农户" : i.kind, i.grade, i.score,
          when(i.publication_starts_at), when(i.publication_ends_at), when(i.objection_deadline), String(i.open_objections ?? 0)]),
        { id: "publication-table" }));
  });
}

document.getElementById("publication-print").addEventListener("click", () => window.print());
document.getElementById("publication-csv").addEventListener("click", async () => {
  try {
    const blob = await api("rating", `/v1/publications?region=${village}&status=published&limit=500`, { accept: "text/csv" });
    const a = h("a", { href: URL.createObjectURL(blob), download: `公示-${village}.csv` });
    document.body.append(a); a.click(); a.remove();
  } catch (error) { say("publication", error); }
});

async function objections() {
  const box = document.getElementById("objections");
  await guarded(box, async () => {
    const body = await api("rating", `/v1/objections?region=${village}`);
    box.replaceChildren(table(`待答复 ${body.items.length} 件`, ["提出人", "理由", "提出时间", "答复期限", "答复"],
      body.items.map((o) => [o.filed_by, o.reason, when(o.filed_at),
        h("span", { class: o.overdue ? "error" : "" }, when(o.answer_due) + (o.overdue ? "（已逾期）" : "")), answerForm(o)])));
  });
}

function answerForm(o) {
  const id = `answer-${o.id}`;
  return h("form", { "data-objection": o.id, onsubmit: async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    try {
      await api("rating", `/v1/objections/${o.id}/answer`, { method: "POST", json: {
        decision: form.querySelector("select").value, answer: form.querySelector("textarea").value } });
      form.replaceChildren(h("p", { class: "ok" }, "已答复"));
      publication(); roster();
    } catch (error) { say(form, error); }
  } },
  h("label", { for: `${id}-decision` }, "决定"),
  h("select", { id: `${id}-decision` }, h("option", { value: "rejected" }, "异议不成立（驳回）"), h("option", { value: "upheld" }, "异议成立（重新评级）")),
  h("label", { for: `${id}-text` }, "书面答复"), h("textarea", { id: `${id}-text`, rows: 2, required: true }),
  h("button", { type: "submit" }, "提交答复"));
}

const EVALUATION_STATUS = { recorded: "待复核", reviewed: "已复核待公开", returned: "复核退回", published: "已公开" };

async function civility() {
  const box = document.getElementById("civility");
  await guarded(box, async () => {
    const items = await api("registry", "/v1/civility/evaluations?limit=100");
    box.replaceChildren(table("本辖区评议记录（最近 100 条）", ["农户编号", "评议日期", "得分", "否决项", "状态", "操作"], items.map((e) => [
      e.subject_id, e.evaluated_on, String(e.score), e.veto ? e.veto_items.join("、") : "无", EVALUATION_STATUS[e.status] || e.status,
      h("span", {}, e.status === "recorded" ? h("button", { type: "button", onclick: () => civilityAct(e.id, "review", { approved: true }) }, "复核通过") : null,
        e.status === "reviewed" ? h("button", { type: "button", onclick: () => civilityAct(e.id, "publish") }, "公开") : null)])));
  });
}

async function civilityAct(id, action, json) {
  try { await api("registry", `/v1/civility/evaluations/${id}/${action}`, { method: "POST", json }); } catch (error) { say("civility", error); return; }
  civility();
}

document.getElementById("civility-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const items = document.getElementById("civility-items").value.split(/[,，]/).map((x) => x.trim()).filter(Boolean)
    .map((x) => { const [code, times] = x.split(/[×xX*]/); return { code: code.trim(), times: Number(times || 1) }; });
  try {
    await api("registry", "/v1/civility/evaluations", { method: "POST", json: {
      subject_id: document.getElementById("civility-subject").value.trim(), evaluated_on: document.getElementById("civility-date").value,
      evaluators: document.getElementById("civility-evaluators").value.split(/[、,，]/).map((x) => x.trim()).filter(Boolean), items } });
    await civility();
    document.getElementById("civility").prepend(h("p", { class: "ok", id: "civility-recorded" }, "评议已记录，请由另一位工作人员复核。"));
  } catch (error) { say("civility", error); }
});

const NEGATIVE_STATUS = { raised: "生效中", cleared: "已解除", expired: "已过期" };

async function negative() {
  const box = document.getElementById("negative");
  await guarded(box, async () => {
    const items = await api("registry", "/v1/negative-records?limit=100");
    box.replaceChildren(table("负面清单记录", ["农户编号", "认定部门", "类别", "一票否决", "状态", "生效日期", "到期日期"], items.map((r) => [
      r.subject_id, r.agency, KIND_NAMES[r.record_kind] || r.record_kind, r.veto ? "是" : "否", NEGATIVE_STATUS[r.status] || r.status, r.effective_from, r.expires_on || "—"])));
  });
}

const KIND_NAMES = { dishonest_judgment_debtor: "失信被执行人", malicious_default: "恶意逃废债", criminal_record: "刑事犯罪",
  tax_evasion: "偷逃税款", subsidy_fraud: "骗取补贴", illegal_fundraising: "非法集资", environmental_violation: "环境违法",
  disruptive_petitioning: "非正常上访", other: "其他" };

document.getElementById("negative-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const value = (id) => document.getElementById(id).value.trim();
  try {
    await api("registry", "/v1/negative-records", { method: "POST", json: { subject_id: value("negative-subject"),
      agency: value("negative-agency"), record_kind: value("negative-kind"), effective_from: value("negative-from"),
      evidence_ref: value("negative-evidence"), veto: document.getElementById("negative-veto").checked } });
    negative();
  } catch (error) { say("negative", error); }
});

document.getElementById("round-start").addEventListener("click", async () => {
  const box = document.getElementById("round-status");
  try {
    let rnd = await api("rating", "/v1/rating-rounds", { method: "POST", json: { region: village } });
    const bar = h("progress", { max: 1, value: 0, "aria-label": "评级进度" });
    const text = h("span", {});
    box.replaceChildren(bar, " ", text);
    while (rnd.status !== "done" && rnd.status !== "failed") {
      bar.value = rnd.progress || 0;
      text.textContent = `${statusName(rnd.status)}：已评 ${rnd.done} / ${rnd.total ?? "?"}`;
      await new Promise((r) => setTimeout(r, 500));
      rnd = await api("rating", `/v1/rating-rounds/${rnd.id}`);
    }
    bar.value = 1;
    text.textContent = rnd.status === "done" ? `评级完成：共 ${rnd.total} 户，已进入公示` : `评级失败：${rnd.error || ""}`;
    text.className = rnd.status === "done" ? "ok" : "error";
    text.id = "round-done";
    loadAll();
  } catch (error) { say(box, error); }
});

document.getElementById("import-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const box = document.getElementById("import-status");
  const form = new FormData();
  form.append("file", document.getElementById("import-file").files[0]);
  try {
    let job = await api("registry", "/v1/imports", { method: "POST", form });
    const bar = h("progress", { max: 1, value: 0, "aria-label": "导入进度" });
    const text = h("span", {});
    box.replaceChildren(bar, " ", text);
    while (job.status !== "done" && job.status !== "failed") {
      bar.value = job.total_rows ? job.processed_rows / job.total_rows : 0;
      text.textContent = `已处理 ${job.processed_rows} / ${job.total_rows ?? "?"} 行`;
      await new Promise((r) => setTimeout(r, 500));
      job = await api("registry", `/v1/imports/${job.id}`);
    }
    bar.value = 1;
    text.textContent = `导入${job.status === "done" ? "完成" : "失败"}：新增 ${job.created}，更新 ${job.updated}，未变 ${job.unchanged}，出错 ${job.error_rows} 行`;
    if (job.error_rows) {
      const errors = await api("registry", `/v1/imports/${job.id}/errors`);
      box.append(table("出错的行", ["行号", "字段", "原因"], errors.map((x) => [String(x.row), x.field, x.message])));
    }
    roster();
  } catch (error) { say(box, error); }
});

if (me) {
  const start = params.get("village") || (me.region && me.region.length === 12 ? me.region : "");
  if (start) setVillage(start);
}
