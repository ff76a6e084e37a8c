// The asyncconsole dashboard: one page per resource, fed by server-sent events.
// No framework and no build step: each page builds its elements once and then only changes
// the text and classes of those elements, so a new state (or a page of 10,000 indices) never
// re-renders the page.
"use strict";

(() => {
  const TOKEN_KEY = "asyncconsole-token";
  const PAGES = {
    overview: { title: "Overview", topics: ["overview"] },
    clusters: { title: "Clusters", topics: ["clusters"], needs: "clusters" },
    snapshot: { title: "Snapshot", topics: ["snapshot"], needs: "snapshot" },
    backfill: { title: "Backfill", topics: ["backfill"], needs: "backfill" },
    replay: { title: "Replay", topics: ["replay"], needs: "replay" },
    metrics: { title: "Metrics", topics: ["metrics"], needs: "metrics" },
  };
  const $ = (id) => document.getElementById(id);
  const state = { session: null, page: null, source: null, handlers: {}, series: new Map() };

  // -- the token: taken from the address once, kept for this tab, never shown again ----------
  const query = new URLSearchParams(location.search);
  if (query.has("token")) {
    sessionStorage.setItem(TOKEN_KEY, query.get("token"));
    history.replaceState(null, "", location.pathname + location.hash);
  }
  const token = () => sessionStorage.getItem(TOKEN_KEY) || "";

  // -- formatting --------------------------------------------------------------------------------
  const number = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
  const percent = (p) => `${(p || 0).toFixed(1)}%`;
  function eta(ms) {
    if (ms === null || ms === undefined) return "–";
    let s = Math.max(0, Math.round(ms / 1000));
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    return h ? `${h}h ${m}m ${s}s` : m ? `${m}m ${s}s` : `${s}s`;
  }
  function bytes(n) {
    if (n === null || n === undefined) return "–";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  }
  const TONES = {
    ok: "ok", RUNNING: "ok", Completed: "ok", SUCCESS: "ok", completed: "ok",
    failed: "bad", FAILED: "bad", Failed: "bad", CompletedWithErrors: "bad", PARTIAL: "bad",
    timed_out: "warn", cancelled: "warn", STARTING: "busy", TERMINATING: "warn", Paused: "warn",
    Running: "busy", IN_PROGRESS: "busy", in_progress: "busy", Pending: "", STOPPED: "",
  };
  function badge(el, text) {
    setText(el, text);
    el.classList.add("badge");
    el.classList.remove("ok", "bad", "warn", "busy");
    if (TONES[text]) el.classList.add(TONES[text]);
  }
  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }
  function toast(text, bad = false) {
    const el = $("toast");
    el.textContent = text;
    el.className = bad ? "toast bad" : "toast";
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.hidden = true; }, bad ? 8000 : 3500);
  }

  // -- the API -----------------------------------------------------------------------------------
  async function getJSON(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
    return body;
  }
  async function act(path, body, done) {
    if (!token()) {
      toast("Actions need this run's token: open the address that `asyncconsole serve` printed.", true);
      return null;
    }
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-AsyncConsole-Token": token() },
      body: JSON.stringify(body || {}),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      toast(answer.error ? answer.error.message : `HTTP ${response.status}`, true);
      return null;
    }
    toast(answer.message || done || "Done.");
    return answer;
  }
  function button(id, handler) {
    const el = $(id);
    el.addEventListener("click", async () => {
      el.disabled = true;
      try { await handler(); } catch (err) { toast(String(err), true); } finally { el.disabled = false; }
    });
  }

  // -- live updates: one event stream for the topics of the page shown ---------------------------
  function listen(topics) {
    if (state.source) state.source.close();
    const live = $("live");
    const source = new EventSource(`/api/events?topics=${encodeURIComponent(topics.join(","))}`);
    state.source = source;
    source.onopen = () => { live.textContent = "live"; live.className = "live on"; };
    source.onerror = () => { live.textContent = "reconnecting"; live.className = "live off"; };
    source.onmessage = (event) => {
      const message = JSON.parse(event.data);
      const handler = state.handlers[message.topic] ||
        (message.topic.startsWith("series:") ? state.handlers.series : null);
      if (handler) handler(message);
    };
  }
  function pageTopics(name) {
    const topics = [...PAGES[name].topics];
    if (name === "metrics") topics.push(...state.series.keys());
    return topics;
  }

  // -- overview ----------------------------------------------------------------------------------
  const overviewRows = new Map();
  state.handlers.overview = (message) => {
    const rows = message.live || (message.document ? message.document.components : {});
    const body = document.querySelector("#overview-table tbody");
    for (const [name, row] of Object.entries(rows)) {
      let cells = overviewRows.get(name);
      if (!cells) {
        const tr = document.createElement("tr");
        tr.dataset.component = name;
        tr.innerHTML = '<td class="name"></td><td><span class="status"></span></td><td class="num duration"></td><td class="detail"></td>';
        tr.querySelector(".name").textContent = name;
        body.appendChild(tr);
        cells = { tr, status: tr.querySelector(".status"), duration: tr.querySelector(".duration"), detail: tr.querySelector(".detail") };
        overviewRows.set(name, cells);
      }
      badge(cells.status, row.status);
      cells.status.classList.toggle("checking", Boolean(row.checking));
      setText(cells.duration, row.duration === null || row.duration === undefined ? "" : `${(row.duration * 1000).toFixed(0)} ms`);
      setText(cells.detail, row.detail || "");
    }
    setText($("overview-when"), message.live && Object.values(message.live).some((r) => r.checking)
      ? "Checking…" : `Checked at ${new Date(message.time).toLocaleTimeString()}.`);
  };

  // -- clusters: 10,000 indices are paged on the server; the page keeps one row per slot ------
  const PAGE_SIZE = 100;
  const clusters = { offset: 0, total: 0, version: 0, slots: [], loading: false, again: false };
  function clusterSlots() {
    const body = document.querySelector("#clusters-table tbody");
    while (clusters.slots.length < PAGE_SIZE) {
      const tr = document.createElement("tr");
      tr.innerHTML = '<td class="index"></td><td class="num source"></td><td class="num target"></td><td class="num diff"></td>';
      tr.hidden = true;
      body.appendChild(tr);
      clusters.slots.push({ tr, index: tr.cells[0], source: tr.cells[1], target: tr.cells[2], diff: tr.cells[3] });
    }
  }
  async function loadClusters() {
    if (clusters.loading) { clusters.again = true; return; }
    clusters.loading = true;
    try {
      const params = new URLSearchParams({
        offset: clusters.offset, limit: PAGE_SIZE, q: $("clusters-filter").value,
        only_differences: $("clusters-differences").checked, sort: $("clusters-sort").value,
      });
      const page = await getJSON(`/api/clusters/comparison?${params}`);
      clusters.total = page.total;
      clusterSlots();
      clusters.slots.forEach((slot, i) => {
        const row = page.rows[i];
        slot.tr.hidden = !row;
        if (!row) return;
        setText(slot.index, row.index);
        setText(slot.source, number(row.source));
        setText(slot.target, number(row.target));
        const diff = row.difference;
        setText(slot.diff, diff === null ? "–" : diff === 0 ? "0" : (diff > 0 ? "−" : "+") + number(Math.abs(diff)));
        slot.tr.classList.toggle("differs", row.differs);
      });
      const last = Math.min(page.total, clusters.offset + page.rows.length);
      setText($("clusters-range"), page.total ? `${number(clusters.offset + 1)}–${number(last)} of ${number(page.total)}` : "none");
      $("clusters-prev").disabled = clusters.offset === 0;
      $("clusters-next").disabled = last >= page.total;
      summarise(page.summary, page.errors);
    } catch (err) {
      setText($("clusters-summary"), String(err.message || err));
    } finally {
      clusters.loading = false;
      if (clusters.again) { clusters.again = false; loadClusters(); }
    }
  }
  function summarise(summary, errors) {
    if (summary) {
      setText($("clusters-summary"),
        `Source: ${number(summary.source_indices)} indices, ${number(summary.source_documents)} documents · ` +
        `Target: ${number(summary.target_indices)} indices, ${number(summary.target_documents)} documents · ` +
        `${number(summary.differences)} ${summary.differences === 1 ? "index differs" : "indices differ"}`);
    }
    const failed = Object.entries(errors || {});
    $("clusters-errors").hidden = failed.length === 0;
    setText($("clusters-errors"), failed.map(([name, text]) => `${name}: ${text}`).join(" · "));
  }
  state.handlers.clusters = (message) => {
    if (message.error) { setText($("clusters-summary"), message.error.error.message); return; }
    if (message.version !== clusters.version) { clusters.version = message.version; loadClusters(); }
  };

  // -- snapshot ----------------------------------------------------------------------------------
  const snapshotRows = new Map();
  state.handlers.snapshot = (message) => {
    const failed = Boolean(message.error);
    $("snapshot-error").hidden = !failed;
    $("snapshot-body").hidden = failed;
    if (failed) { setText($("snapshot-error"), message.error.error.message); return; }
    const s = message.document;
    badge($("snapshot-state"), s.state || s.status);
    setText($("snapshot-shards"), `${number(s.shard_complete)} / ${number(s.shard_total)}` + (s.shard_failed ? ` (${s.shard_failed} failed)` : ""));
    setText($("snapshot-throughput"), s.data_throughput_bytes_avg_sec === null ? "–" : `${bytes(s.data_throughput_bytes_avg_sec)}/s`);
    setText($("snapshot-eta"), eta(s.eta_ms));
    $("snapshot-bar").style.width = `${s.percentage_completed}%`;
    setText($("snapshot-percent"), percent(s.percentage_completed));
    setText($("snapshot-detail"), `${s.snapshot}: ${bytes(s.data_processed_bytes)} of ${bytes(s.data_total_bytes)}` +
      (s.started ? `, started ${new Date(s.started).toLocaleString()}` : ""));
    const body = document.querySelector("#snapshot-indexes tbody");
    for (const index of s.indexes) {
      let tr = snapshotRows.get(index.name);
      if (!tr) {
        tr = document.createElement("tr");
        tr.innerHTML = "<td></td><td></td><td class=num></td><td class=num></td><td class=num></td>";
        body.appendChild(tr);
        snapshotRows.set(index.name, tr);
      }
      [index.name, index.status, number(index.shard_count), number(index.document_count), bytes(index.size_bytes)]
        .forEach((text, i) => setText(tr.cells[i], String(text)));
    }
  };

  // -- backfill ----------------------------------------------------------------------------------
  const progress = { chart: null, data: [[], [], []] };
  function chartWidth(el) { return Math.max(320, el.clientWidth - 16); }
  function backfillChart() {
    if (progress.chart || typeof uPlot === "undefined") return;
    const el = $("backfill-chart");
    progress.chart = new uPlot({
      width: chartWidth(el), height: 300,
      series: [
        {},
        { label: "work items done (%)", stroke: "#2f81f7", width: 2, scale: "%", points: { show: false } },
        { label: "workers running", stroke: "#1a7f37", width: 1.5, scale: "n", points: { show: false },
          paths: uPlot.paths.stepped({ align: 1 }) },
      ],
      scales: { "%": { range: [0, 100] }, n: { range: (u, min, max) => [0, Math.max(4, max + 1)] } },
      axes: [{}, { scale: "%", label: "%" }, { scale: "n", side: 1, label: "workers", grid: { show: false } }],
    }, progress.data, el);
  }
  function addPoint(point) {
    progress.data[0].push(Date.parse(point.time) / 1000);
    progress.data[1].push(point.percentage_completed);
    progress.data[2].push(point.running);
  }
  async function loadHistory() {
    const history = await getJSON("/api/backfill/history");
    progress.data = [[], [], []];
    history.points.forEach(addPoint);
    backfillChart();
    if (progress.chart) progress.chart.setData(progress.data);
  }
  state.handlers.backfill = (message) => {
    if (message.error) { setText($("backfill-detail"), message.error.error.message); return; }
    const b = message.document;
    badge($("backfill-status"), b.status);
    const w = b.workers;
    setText($("backfill-workers"), `${w.running} / ${w.pending} / ${w.desired}`);
    const deep = b.deep;
    if (deep) {
      setText($("backfill-items"), deep.shard_total === null ? "setting up" : `${number(deep.shard_complete)} / ${number(deep.shard_total)}`);
      setText($("backfill-eta"), eta(deep.eta_ms));
      $("backfill-bar").style.width = `${deep.percentage_completed}%`;
      setText($("backfill-percent"), `${percent(deep.percentage_completed)} · ${deep.status}`);
      setText($("backfill-detail"), deep.shard_total === null ? "" :
        `${number(deep.shard_in_progress)} in progress, ${number(deep.shard_waiting)} waiting` +
        (deep.started ? ` · started ${new Date(deep.started).toLocaleTimeString()}` : ""));
    } else {
      setText($("backfill-detail"), b.deep_error || "");
    }
    if (message.point && progress.chart) {
      addPoint(message.point);
      progress.chart.setData(progress.data);
    }
  };

  // -- replay ------------------------------------------------------------------------------------
  state.handlers.replay = (message) => {
    if (message.error) { setText($("replay-detail"), message.error.error.message); return; }
    const r = message.document;
    badge($("replay-status"), r.status);
    setText($("replay-workers"), `${r.workers.running} / ${r.workers.pending} / ${r.workers.desired}`);
    setText($("replay-detail"), r.message);
  };

  // -- metrics: a chart per picked series, each one a topic of its own ---------------------------
  state.handlers.metrics = (message) => {
    if (!message.document) return;
    const names = message.document;
    const component = $("metrics-component");
    const current = component.value;
    const components = Object.keys(names);
    if ([...component.options].map((o) => o.value).join() !== components.join()) {
      component.replaceChildren(...components.map((c) => new Option(c, c)));
      if (components.includes(current)) component.value = current;
    }
    fillMetricNames(names);
    state.metricNames = names;
  };
  function fillMetricNames(names) {
    const select = $("metrics-name");
    const wanted = names[$("metrics-component").value] || [];
    if ([...select.options].map((o) => o.value).join() === wanted.join()) return;
    const current = select.value;
    select.replaceChildren(...wanted.map((n) => new Option(n, n)));
    if (wanted.includes(current)) select.value = current;
  }
  function addSeries() {
    const component = $("metrics-component").value;
    const metric = $("metrics-name").value;
    if (!component || !metric) return;
    const lookback = $("metrics-lookback").value;
    const period = Math.max(10, Math.round((lookback * 60) / 120));
    const topic = `series:${component}:${metric}:${$("metrics-statistic").value}:${lookback}:${period}`;
    if (state.series.has(topic)) return;
    const box = document.createElement("div");
    box.className = "metric-chart chart";
    box.innerHTML = '<header><strong class="title"></strong><span class="muted note"></span><button type="button">remove</button></header><div class="plot"></div>';
    box.querySelector(".title").textContent = `${component} · ${metric} (${$("metrics-statistic").value})`;
    $("metrics-charts").appendChild(box);
    const entry = { box, chart: null, labels: "" };
    state.series.set(topic, entry);
    box.querySelector("button").addEventListener("click", () => {
      if (entry.chart) entry.chart.destroy();
      box.remove();
      state.series.delete(topic);
      listen(pageTopics("metrics"));
    });
    listen(pageTopics("metrics"));
  }
  state.handlers.series = (message) => {
    const entry = state.series.get(message.topic);
    if (!entry) return;
    const note = entry.box.querySelector(".note");
    if (message.error) { setText(note, message.error.error.message); return; }
    const series = message.document.series;
    const times = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort();
    const at = new Map(times.map((t, i) => [t, i]));
    const data = [times.map((t) => Date.parse(t) / 1000)];
    for (const s of series) {
      const ys = new Array(times.length).fill(null);
      for (const [t, v] of s.points) ys[at.get(t)] = v;
      data.push(ys);
    }
    setText(note, series.length ? `${series.length} series, ${times.length} points` : "no data yet");
    const labels = series.map((s) => JSON.stringify(s.labels)).join("|");
    if (entry.chart && entry.labels !== labels) { entry.chart.destroy(); entry.chart = null; }
    if (!entry.chart && typeof uPlot !== "undefined") {
      const palette = ["#2f81f7", "#1a7f37", "#cf222e", "#9a6700", "#8250df", "#0a7ea4"];
      const plot = entry.box.querySelector(".plot");
      entry.chart = new uPlot({
        width: chartWidth(entry.box), height: 220,
        series: [{}, ...series.map((s, i) => ({
          label: Object.values(s.labels).join(" ") || "value", stroke: palette[i % palette.length], width: 1.5,
        }))],
      }, data, plot);
      entry.labels = labels;
    } else if (entry.chart) {
      entry.chart.setData(data);
    }
  };

  // -- pages ---------------------------------------------------------------------------------------
  function show(name) {
    if (!PAGES[name] || !available(name)) name = "overview";
    state.page = name;
    for (const section of document.querySelectorAll("main > section")) {
      section.hidden = section.dataset.page !== name;
    }
    for (const link of document.querySelectorAll("#nav a")) {
      link.classList.toggle("current", link.dataset.page === name);
    }
    document.title = `${PAGES[name].title} · asyncconsole`;
    if (name === "backfill") loadHistory().catch((err) => toast(String(err), true));
    listen(pageTopics(name));
  }
  function available(name) {
    const needs = PAGES[name].needs;
    return !needs || state.session.topics.includes(needs);
  }

  function wire() {
    let filterTimer = null;
    $("clusters-filter").addEventListener("input", () => {
      clearTimeout(filterTimer);
      filterTimer = setTimeout(() => { clusters.offset = 0; loadClusters(); }, 200);
    });
    for (const id of ["clusters-differences", "clusters-sort"]) {
      $(id).addEventListener("change", () => { clusters.offset = 0; loadClusters(); });
    }
    $("clusters-prev").addEventListener("click", () => { clusters.offset = Math.max(0, clusters.offset - PAGE_SIZE); loadClusters(); });
    $("clusters-next").addEventListener("click", () => { clusters.offset += PAGE_SIZE; loadClusters(); });
    button("clusters-clear", async () => {
      if (confirm("Delete every index on the TARGET cluster (and the backfill's working state)?")) {
        await act("/api/clusters/clear-indices", { cluster: "target" });
      }
    });
    button("backfill-start", () => act("/api/backfill/start"));
    button("backfill-pause", () => act("/api/backfill/pause"));
    button("backfill-scale", () => act("/api/backfill/scale", { units: Number($("backfill-units").value) }));
    button("backfill-stop", async () => {
      if (confirm("Stop every backfill worker and archive the working state?")) {
        await act("/api/backfill/stop", { archive: true });
      }
    });
    button("replay-start", () => act("/api/replay/start"));
    button("replay-scale", () => act("/api/replay/scale", { units: Number($("replay-units").value) }));
    button("replay-stop", () => act("/api/replay/stop"));
    $("metrics-component").addEventListener("change", () => fillMetricNames(state.metricNames || {}));
    $("metrics-add").addEventListener("click", addSeries);
    window.addEventListener("hashchange", () => show(location.hash.slice(2)));
    window.addEventListener("resize", () => {
      const el = $("backfill-chart");
      if (progress.chart) progress.chart.setSize({ width: chartWidth(el), height: 300 });
    });
  }

  async function start() {
    state.session = await getJSON("/api/session");
    document.body.classList.toggle("read-only", state.session.read_only);
    setText($("mode"), state.session.read_only ? "read-only" : token() ? "" : "no token: watch only");
    const nav = $("nav");
    for (const [name, page] of Object.entries(PAGES)) {
      if (!available(name)) continue;
      const link = document.createElement("a");
      link.href = `#/${name}`;
      link.dataset.page = name;
      link.textContent = page.title;
      nav.appendChild(link);
    }
    wire();
    show(location.hash.slice(2) || "overview");
  }
  start().catch((err) => toast(`The dashboard could not start: ${err}`, true));
})();
