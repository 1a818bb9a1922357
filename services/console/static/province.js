import { api, ApiError, guarded, h, money, signedIn, table } from "/app.js";

signedIn(["platform", "admin", "officer"]);
const LEVEL_NAMES = { province: "全省", county: "县（市、区）", town: "乡镇（街道）", village: "行政村" };
const CHILD = { province: "county", county: "town", town: "village" };
const FIGURES = [
  ["subjects", "建档主体", "count"], ["credit_subjects", "信用户", "count"], ["credit_subject_share", "信用户占比", "ratio"],
  ["credit_units", "信用村/镇", "count"], ["evaluated", "已开展文明评议", "count"], ["negative_subjects", "负面清单户数", "count"], ["credit_village_share", "信用村占比", "ratio"], ["credit_town_share", "信用镇占比", "ratio"],
  ["lines", "授信户数", "count"], ["line_amount", "授信金额", "CNY"], ["drawn", "用信金额", "CNY"], ["used_share", "用信率", "ratio"],
  ["loans", "贷款笔数", "count"], ["loan_amount", "贷款金额", "CNY"], ["defaults", "不良笔数", "count"],
  ["fund_paid", "风险补偿金代偿", "CNY"], ["redemptions", "商户优惠核销", "count"], ["discount_amount", "优惠金额", "CNY"],
];
const path = [{ code: null, level: "province", name: "全省" }];

function shown(figures, suppressed, name, unit) {
  const value = figures[name];
  if ((suppressed || []).includes(name)) return h("span", { class: "suppressed" }, "已抑制（<5）");
  if (value === null || value === undefined) return h("span", { class: "muted", title: "无分母，不适用" }, "—");
  if (unit === "CNY") return money(value);
  if (unit === "ratio") return (Number(value) * 100).toFixed(1) + "%";
  return Number(value).toLocaleString("zh-CN");
}

function here() { return path[path.length - 1]; }

function crumbs() {
  const named = here().name && here().name !== here().code ? `${here().name}（${here().code}）` : here().code || "";
  document.getElementById("scope-name").textContent = `${LEVEL_NAMES[here().level]} ${named}`.trim();
  document.getElementById("crumbs").replaceChildren("路径：", ...path.map((p, i) =>
    h("button", { type: "button", class: "secondary", onclick: () => { path.splice(i + 1); load(); } }, p.name)));
}

async function headline() {
  const box = document.getElementById("headline");
  box.replaceChildren(h("p", { class: "muted" }, "正在读取……"));  // never the previous level's figures
  await guarded(box, async () => {
    const q = here().code ? `?region=${here().code}` : "";
    const s = await api("stats", `/v1/stats/summary${q}`);
    box.replaceChildren(...FIGURES.map(([name, label, unit]) =>
      h("div", { class: "card", "data-figure": name }, h("div", {}, label), h("div", { class: "value" }, shown(s.figures, s.suppressed, name, unit)))));
    if (here().level === "village") {
      let standing = "未评定";
      try {
        const v = await api("rating", `/v1/villages/${here().code}`);
        standing = `${v.grade || "未评定"}${v.credit_village ? "（信用村）" : ""}`;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) standing = error.message;  // a service down is named above too
      }
      box.append(h("div", { class: "card", id: "village-grade" }, h("div", {}, "信用村评定"), h("div", { class: "value" }, standing)));
    }
  });
}

let regionsChart = null;
let trendChart = null;

/** A chart's box is hidden while its figures cannot be had (the notice names the service). */
function hideChartOnError(box, chartBox) {
  if (box.querySelector(".error")) chartBox.hidden = true;
}

async function regions() {
  const box = document.getElementById("regions");
  const chartBox = document.getElementById("regions-chart");
  const child = CHILD[here().level];
  if (!child) {
    box.replaceChildren(h("p", {}, "已到行政村一级：上方为本村数据。"));
    chartBox.hidden = true;
    return;
  }
  chartBox.hidden = false;
  await guarded(box, async () => {
    const q = `?level=${child}` + (here().code ? `&region=${here().code}` : "");
    const body = await api("stats", `/v1/stats/regions${q}`);
    const rows = body.regions.map((r) => [
      h("button", { type: "button", class: "secondary", "data-region": r.code,
        onclick: () => { path.push({ code: r.code, level: child, name: r.region_name || r.code }); load(); } },
        r.region_name ? `${r.region_name}（${r.code}）` : r.code),
      shown(r.figures, r.suppressed, "subjects", "count"), shown(r.figures, r.suppressed, "credit_subjects", "count"),
      shown(r.figures, r.suppressed, "line_amount", "CNY"), shown(r.figures, r.suppressed, "drawn", "CNY"),
      shown(r.figures, r.suppressed, "loans", "count"), shown(r.figures, r.suppressed, "defaults", "count")]);
    box.replaceChildren(table(`${LEVEL_NAMES[child]}（${body.regions.length} 个）`,
      ["区域", "建档主体", "信用户", "授信金额", "用信金额", "贷款笔数", "不良笔数"], rows, { id: "regions-table" }));
    if (window.echarts) {
      regionsChart = regionsChart || window.echarts.init(chartBox);
      regionsChart.setOption({
        animation: false, tooltip: {}, legend: { data: ["建档主体", "信用户"] }, grid: { left: 60, right: 20, bottom: 60 },
        xAxis: { type: "category", data: body.regions.map((r) => r.region_name || r.code), axisLabel: { rotate: 30 } },
        yAxis: { type: "value" },
        series: [{ name: "建档主体", type: "bar", data: body.regions.map((r) => r.figures.subjects) },
          { name: "信用户", type: "bar", data: body.regions.map((r) => r.figures.credit_subjects) }],
      }, true);
    } else {
      chartBox.replaceChildren(h("p", { class: "error" }, "图表库未安装（请运行 make install 中的 npm ci）；数据见下表。"));
    }
  });
  hideChartOnError(box, chartBox);
}

async function trend() {
  const box = document.getElementById("trend");
  const chartBox = document.getElementById("trend-chart");
  chartBox.hidden = false;
  await guarded(box, async () => {
    const metric = document.getElementById("trend-metric").value;
    const q = `?metric=${metric}` + (here().code ? `&region=${here().code}` : "");
    const body = await api("stats", `/v1/stats/timeseries${q}`);
    const label = document.getElementById("trend-metric").selectedOptions[0].textContent;
    box.replaceChildren(table(`${label}（月末）`, ["月份", "数值"], body.points.map((p) =>
      [p.month, p.suppressed || p.value === null ? h("span", { class: "suppressed" }, "已抑制（<5）") : String(p.value)])));
    if (window.echarts) {
      trendChart = trendChart || window.echarts.init(chartBox);
      trendChart.setOption({
        animation: false, tooltip: { trigger: "axis" }, grid: { left: 70, right: 20 },
        xAxis: { type: "category", data: body.points.map((p) => p.month) }, yAxis: { type: "value" },
        series: [{ name: label, type: "line", data: body.points.map((p) => (p.value === null ? null : Number(p.value))) }],
      }, true);
    }
  });
  hideChartOnError(box, chartBox);
}

document.getElementById("trend-metric").addEventListener("change", trend);

function load() {
  crumbs();
  return Promise.all([headline(), regions(), trend()]);
}

load();
