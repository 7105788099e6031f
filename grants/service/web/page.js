// The upload page: send the file to /compute, show the table, offer the result CSV.
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
    ["kommunenavn", (l) => [l.kommunenummer, l.kommunenavn].filter(Boolean).join(" ")],
    ["period", (l) => l.period],
    ["whole_months", (l) => l.whole_months, "num"],
    ["centrality_class", (l) => l.centrality_class, "num"],
    ["amount_nok", (l) => nok(l.amount_nok), "num"],
    ["status", (l, v) => word(v, "status", l.status)],
    ["reason", (l) => l.reason],
  ];
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

  function render(doc, v) {
    $("warning").hidden = !doc.warning;
    $("warning").textContent = doc.warning || "";
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
    for (const l of doc.lines) {
      const tr = document.createElement("tr");
      tr.className = l.status;
      for (const [, text, cls] of COLUMNS) cell(tr, text(l, v), cls);
      body.appendChild(tr);
    }
    const p = doc.provenance;
    $("provenance").textContent = p ? ("Beregnet med alis-grants " + p.version + "; satstabeller: " +
      Object.entries(p.rates_sha256).map(([k, t]) => k + " (" + word(v, "rates_status", t.status) + " satser, sha256 " +
        t.sha256.slice(0, 12) + "…)").join(", ")) : "";
    $("output").hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").hidden = true;
    $("download").hidden = true;
    const file = $("file").files[0];
    if (!file) { showError("Velg en fil først."); return; }
    const sessions = $("sessions").files[0];
    const data = () => {
      const fd = new FormData();
      fd.append("file", file, file.name);
      if (sessions) fd.append("sessions", sessions, sessions.name);
      fd.append("period", $("period").value);
      fd.append("ignore_columns", $("ignore_columns").value);
      return fd;
    };
    $("submit").disabled = true;
    try {
      const v = await loadVocabulary();
      const response = await fetch("/compute", { method: "POST", body: data(), headers: headers() });
      if (!response.ok) { $("output").hidden = true; showError(await errorText(response)); return; }
      render(await response.json(), v);
      const csv = await fetch("/compute?format=csv", { method: "POST", body: data(), headers: headers() });
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
