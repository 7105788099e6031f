// The upload page: send the file to /compute, show the sums and the table, offer the officer's
// outputs: the result CSV in Norwegian (lang=nb, the page's default), the workbook, the report
// with its timeline, and the CSV with the stable names other programs read.
// Plain DOM with textContent only: values from the file are never interpreted as HTML.
// The words people read (statuses, rate status, column headers) come from /vocabulary, the
// service's one bokmål vocabulary, never from a copy here.
"use strict";
(function () {
  const form = document.getElementById("form");
  const $ = (id) => document.getElementById(id);
  const nok = (n) => (n === null || n === undefined) ? "" : n.toLocaleString("nb-NO").replace(/[\u00a0\u202f]/g, " ");
  // The table's columns: [header key in the vocabulary, cell text of a row, css class].
  const COLUMNS = [
    ["row", (l) => l.row, "num"],
    ["file_line", (l) => l.file_line, "num"],
    ["alis_id", (l) => l.alis_id, "id"],
    ["kommunenavn", (l, v, rej) => [l.kommunenummer, l.kommunenavn || (rej && rej.kommunenavn)].filter(Boolean).join(" ")],
    ["period", (l) => l.period],
    ["whole_months", (l) => l.whole_months, "num"],
    ["centrality_class", (l) => l.centrality_class, "num"],
    ["amount_nok", (l) => nok(l.amount_nok), "num"],
    ["status", (l, v) => word(v, "status", l.status)],
    ["reason", (l) => l.reason, "reason"],
  ];
  const SUM_COLUMNS = (key) => [[key, (t) => t.key], ["lines", (t) => t.lines, "num"], ["amount_nok", (t) => nok(t.amount_nok), "num"]];
  const SUM_HEADERS = { lines: "Linjer", kommunenummer: "Kommune", alis_id: null };
  let lastUrl = null;
  let vocabulary = null;

  function word(v, column, code) {
    return (v && v.values[column] && v.values[column][code]) || code;
  }

  async function loadVocabulary() {
    if (vocabulary) return vocabulary;
    const response = await fetch("/vocabulary");
    if (!response.ok) throw new Error("ordlisten (/vocabulary) svarte " + response.status);
    vocabulary = await response.json();
    return vocabulary;
  }

  function headers() {
    const token = $("token").value.trim();
    return token ? { Authorization: "Bearer " + token } : {};
  }

  function showError(text) {
    $("error").textContent = text;
    $("error").hidden = false;
  }

  async function errorText(response) {
    try {
      const body = await response.json();
      let text = body.detail || ("feil " + response.status);
      const more = (body.errors || []).filter((e) => !text.includes(e.msg));
      if (more.length) text += ": " + more.map((e) => e.loc.join(".") + " " + e.msg).join("; ");
      return text;
    } catch (e) {
      return "feil " + response.status;
    }
  }

  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function sums(table, rows, key, v, name) {
    const head = table.querySelector("thead tr");
    head.replaceChildren();
    for (const [k, , cls] of SUM_COLUMNS(key)) {
      const th = document.createElement("th");
      th.textContent = SUM_HEADERS[k] || v.columns[k] || k;
      if (cls) th.className = cls;
      head.appendChild(th);
    }
    const body = table.querySelector("tbody");
    body.replaceChildren();
    for (const t of rows) {
      const tr = document.createElement("tr");
      cell(tr, name(t));
      cell(tr, t.lines, "num");
      cell(tr, nok(t.amount_nok), "num");
      body.appendChild(tr);
    }
  }

  function render(doc, v) {
    $("warning").hidden = !doc.warning;
    $("warning").textContent = doc.warning || "";
    // warnings on the batch as a whole (most lines outside the period), as the command line prints them
    const warnings = doc.warnings || [];
    $("warnings").replaceChildren(...warnings.map((w) => {
      const li = document.createElement("li");
      li.textContent = w;
      return li;
    }));
    $("warnings").hidden = warnings.length === 0;
    sums($("by-municipality"), doc.totals.by_municipality, "kommunenummer", v, (t) => t.key + " " + t.name);
    sums($("by-doctor"), doc.totals.by_doctor, "alis_id", v, (t) => t.name || t.key);
    $("total").textContent = nok(doc.total_nok) + " kr";
    const count = (s) => doc.lines.filter((l) => l.status === s).length;
    const computed = ["ok", "ineligible", "outside_period"];
    $("counts").textContent = doc.input_rows + " rader inn: " + computed.map(count).reduce((a, b) => a + b, 0) +
      " linjer beregnet (" + computed.map((s) => count(s) + " " + word(v, "status", s)).join(", ") + "), " +
      doc.rejections.length + " " + word(v, "status", "rejected") + ".";
    // what the reader noticed in the file, and notes on the batch: as text, «Merk: ...» as on the command line
    const notes = [...(doc.file_notes || []), ...(doc.notes || [])];
    $("notes").replaceChildren(...notes.map((n) => {
      const li = document.createElement("li");
      li.textContent = "Merk: " + n;
      return li;
    }));
    $("notes").hidden = notes.length === 0;
    const head = $("results").querySelector("thead tr");
    head.replaceChildren();
    for (const [key] of COLUMNS) {
      const th = document.createElement("th");
      th.textContent = v.columns[key] || key;
      head.appendChild(th);
    }
    const body = $("results").querySelector("tbody");
    body.replaceChildren();
    const rejectedRows = new Map(doc.rejections.map((r) => [r.row, r]));
    for (const l of doc.lines) {
      const tr = document.createElement("tr");
      tr.className = l.status;
      const rej = l.status === "rejected" ? rejectedRows.get(l.row) : null;
      for (const [, text, cls] of COLUMNS) cell(tr, text(l, v, rej), cls);
      body.appendChild(tr);
    }
    const p = doc.provenance;
    $("provenance").textContent = p ? ("Beregnet med alis-grants " + p.version + "; satstabeller: " +
      Object.entries(p.rates_sha256).map(([k, t]) => k + " (" + word(v, "rates_status", t.status) + " satser, sha256 " +
        t.sha256.slice(0, 12) + "…)").join(", ")) : "";
    $("output").hidden = false;
  }

  let lastData = null;  // what the last computation sent, for the other outputs

  function formData() {
    const file = $("file").files[0];
    const sessions = $("sessions").files[0];
    const period = $("period").value, sheet = $("sheet").value.trim(), ignore = $("ignore_columns").value;
    return () => {
      const fd = new FormData();
      fd.append("file", file, file.name);
      if (sessions) fd.append("sessions", sessions, sessions.name);
      fd.append("period", period);
      if (sheet) fd.append("sheet", sheet);
      fd.append("ignore_columns", ignore);
      return fd;
    };
  }

  function save(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  for (const button of document.querySelectorAll(".downloads button")) {
    button.addEventListener("click", async () => {
      if (!lastData) return;
      $("error").hidden = true;
      button.disabled = true;
      try {
        const query = "format=" + button.dataset.format + (button.dataset.lang ? "&lang=" + button.dataset.lang : "");
        const response = await fetch("/compute?" + query, { method: "POST", body: lastData(), headers: headers() });
        if (!response.ok) { showError(button.textContent + " kunne ikke lages: " + await errorText(response)); return; }
        save(await response.blob(), button.dataset.name);
      } catch (e) {
        showError("Tjenesten svarte ikke: " + e.message);
      } finally {
        button.disabled = false;
      }
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").hidden = true;
    $("download").hidden = true;
    if (!$("file").files[0]) { showError("Velg en fil først."); return; }
    const data = formData();
    $("submit").disabled = true;
    try {
      const v = await loadVocabulary();
      const response = await fetch("/compute", { method: "POST", body: data(), headers: headers() });
      if (!response.ok) { $("output").hidden = true; showError(await errorText(response)); return; }
      render(await response.json(), v);
      lastData = data;
      const csv = await fetch("/compute?format=csv&lang=nb", { method: "POST", body: data(), headers: headers() });
      if (!csv.ok) { showError("Resultatfilen kunne ikke lages: " + await errorText(csv)); return; }
      if (lastUrl) URL.revokeObjectURL(lastUrl);
      lastUrl = URL.createObjectURL(await csv.blob());
      $("download").href = lastUrl;
      $("download").hidden = false;
    } catch (e) {
      showError("Tjenesten svarte ikke: " + e.message);
    } finally {
      $("submit").disabled = false;
    }
  });
})();
