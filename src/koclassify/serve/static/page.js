// The try-it page: reads info once, posts the form to predict, draws one bar per label (threshold marked).
// URLs are relative, so the page works under a route prefix (Ray Serve) as well as at /.
"use strict";
let info = null;

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

async function loadInfo() {
  const response = await fetch("info");
  info = await response.json();
  const kind = info.multi_label ? "다중 레이블" : "단일 레이블";
  document.getElementById("model-info").textContent =
    `${info.model} · ${info.backend} · ${kind} · 레이블 ${info.labels.length}개 · 결정 규칙 ${info.decision}`;
  const box = document.getElementById("fields");
  for (const name of info.fields) {
    const id = `field-${name}`;
    box.append(el("label", { for: id }, `${name} (선택)`));
    box.append(el("input", { id, "data-field": name, type: "text" }));
  }
}

function request() {
  const item = { id: "page", text: document.getElementById("text").value };
  const target = document.getElementById("target").value.trim();
  if (target) item.target = { form: target };
  const fields = {};
  for (const input of document.querySelectorAll("[data-field]")) {
    if (input.value.trim()) fields[input.dataset.field] = input.value.trim();
  }
  if (Object.keys(fields).length) item.fields = fields;
  return { items: [item] };
}

function draw(prediction) {
  const bars = document.getElementById("bars");
  bars.replaceChildren();
  const chosen = new Set(prediction.labels);
  const labels = document.getElementById("labels");
  labels.replaceChildren(...prediction.labels.map((name) => el("span", { class: "label-chip" }, name)));
  if (!prediction.labels.length) labels.textContent = "(해당 레이블 없음)";
  const order = [...info.labels].sort((a, b) => prediction.probs[b] - prediction.probs[a]);
  for (const name of order) {
    const p = prediction.probs[name];
    const row = el("div", { class: chosen.has(name) ? "bar hit" : "bar", "data-label": name, "data-prob": String(p) });
    row.append(el("span", { class: "name", title: name }, name));
    const track = el("div", { class: "track" });
    const fill = el("div", { class: "fill" });
    fill.style.width = `${(p * 100).toFixed(1)}%`;
    track.append(fill);
    if (info.uses_thresholds) {
      const t = info.thresholds[name];
      const mark = el("div", { class: "threshold", "data-threshold": String(t), title: `threshold ${t}` });
      mark.style.left = `calc(${(t * 100).toFixed(1)}% - 1px)`;
      track.append(mark);
    }
    row.append(track, el("span", { class: "value" }, `${(p * 100).toFixed(1)}%`));
    bars.append(row);
  }
  document.getElementById("legend").innerHTML = info.uses_thresholds
    ? "막대: 확률 · <i></i> 빨간 선: 레이블의 임계값 (넘으면 선택)"
    : "막대: 확률 · 가장 높은 레이블이 선택됩니다 (argmax)";
  document.getElementById("result").hidden = false;
}

async function submit(event) {
  event.preventDefault();
  const error = document.getElementById("error");
  const button = document.getElementById("submit");
  error.hidden = true;
  button.disabled = true;
  try {
    const response = await fetch("predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request()),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || response.statusText);
    draw(body.predictions[0]);
  } catch (exc) {
    error.textContent = String(exc.message || exc);
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}

document.getElementById("form").addEventListener("submit", submit);
loadInfo().catch((exc) => {
  document.getElementById("model-info").textContent = `모델 정보를 불러오지 못했습니다: ${exc}`;
});
