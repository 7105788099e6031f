// The upload page: send the file to /compute, show the table, offer the result CSV.
// Plain DOM with textContent only: values from the file are never interpreted as HTML.
"use strict";
(function () {
  const form = document.getElementById("form");
  const $ = (id) => document.getElementById(id);
  const STATUS_NB = { ok: "ok", ineligible: "uten rett", rejected: "avvist" };
  const nok = (n) => (n === null || n === undefined) ? "" : n.toLocaleString("nb-NO").replace(/[\u00a0\u202f]/g, " ");
  let lastUrl = null;

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
      if (body.errors) text += ": " + body.errors.map((e) => e.loc.join(".") + " " + e.msg).join("; ");
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

  function render(doc) {
    $("warning").hidden = !doc.warning;
    $("warning").textContent = doc.warning || "";
    $("total").textContent = nok(doc.total_nok) + " kr";
    const count = (s) => doc.lines.filter((l) => l.status === s).length;
    $("counts").textContent = doc.input_rows + " rader inn: " + (count("ok") + count("ineligible")) + " linjer beregnet (" +
      count("ok") + " ok, " + count("ineligible") + " uten rett til tilskudd), " + doc.rejections.length + " avvist.";
    const body = $("results").querySelector("tbody");
    body.replaceChildren();
    for (const l of doc.lines) {
      const tr = document.createElement("tr");
      tr.className = l.status;
      cell(tr, l.row, "num");
      cell(tr, l.alis_id, "id");
      cell(tr, [l.kommunenummer, l.kommunenavn].filter(Boolean).join(" "));
      cell(tr, l.period);
      cell(tr, l.whole_months, "num");
      cell(tr, l.centrality_class, "num");
      cell(tr, nok(l.amount_nok), "num");
      cell(tr, STATUS_NB[l.status] || l.status);
      cell(tr, l.reason);
      body.appendChild(tr);
    }
    const p = doc.provenance;
    $("provenance").textContent = p ? ("Beregnet med alis-grants " + p.version + "; satstabeller: " +
      Object.entries(p.rates_sha256).map(([k, v]) => k + " (" + v.status + ", sha256 " + v.sha256.slice(0, 12) + "…)").join(", ")) : "";
    $("output").hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").hidden = true;
    $("download").hidden = true;
    const file = $("file").files[0];
    if (!file) { showError("Velg en fil først."); return; }
    const data = () => {
      const fd = new FormData();
      fd.append("file", file, file.name);
      fd.append("period", $("period").value);
      return fd;
    };
    $("submit").disabled = true;
    try {
      const response = await fetch("/compute", { method: "POST", body: data(), headers: headers() });
      if (!response.ok) { $("output").hidden = true; showError(await errorText(response)); return; }
      render(await response.json());
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
