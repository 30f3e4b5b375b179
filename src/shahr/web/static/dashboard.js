/* The dashboard (the Digital Mayor's Room): draws the snapshot the page carries as JSON
   (<script type="application/json" id="dashboard-data">, since the Content-Security-Policy allows no inline
   script) and redraws it in place from every `snapshot` event of /dashboard/stream (EventSource, which
   reconnects by itself). Numbers in the page's digits (Persian on /fa/), times on the city's clock. Text
   from the snapshot (stop names, titles) goes into the page as text nodes, never as HTML. Needs the globals
   Chart (Chart.js 4) and L (Leaflet 1.9). */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  var source = document.getElementById("dashboard-data");
  if (!root || !source || !window.Chart || !window.L) { return; }
  var data = JSON.parse(source.textContent);
  var lang = data.lang;
  var t = data.labels;
  var rtl = lang === "fa";
  var locale = rtl ? "fa-IR" : "en-GB";
  var SMOOTH_MINUTES = 15;
  var COLOURS = { taps: "#4dd0e1", tapsBefore: "#b2ebf2", journeys: "#ffb74d", journeysBefore: "#ffe0b2" };

  function number(value, decimals) {
    var d = decimals || 0;
    return Number(value).toLocaleString(locale, { minimumFractionDigits: d, maximumFractionDigits: d });
  }

  function clock(iso, zone, withDate) {
    var options = { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withDate) { options.year = "numeric"; options.month = "2-digit"; options.day = "2-digit"; }
    return new Intl.DateTimeFormat(locale, options).format(new Date(iso));
  }

  function named(item) { return rtl ? item.name_fa : item.name_en; }

  function element(tag, text, className) {
    var made = document.createElement(tag);
    if (text !== undefined && text !== null) { made.textContent = text; }
    if (className) { made.className = className; }
    return made;
  }

  function setText(id, text) {
    var found = document.getElementById(id);
    if (found) { found.textContent = text; }
  }

  function replaceChildren(parent, children) {
    while (parent.firstChild) { parent.removeChild(parent.firstChild); }
    children.forEach(function (child) { parent.appendChild(child); });
  }

  function nothing(tag) { return element(tag, t["dash.none"], "none"); }

  /* -- the chart of taps and journeys per minute ---------------------------------------------------- */

  Chart.defaults.color = "#cfd8dc";
  Chart.defaults.borderColor = "#37474f";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

  function minuteLabels(series, zone) {
    var start = new Date(series.starts_at).getTime();
    var labels = [];
    for (var i = 0; i < series.taps.length; i += 1) {
      labels.push(clock(new Date(start + i * 60000).toISOString(), zone, false));
    }
    return labels;
  }

  function line(label, colour, dashed) {
    return {
      label: label, data: [], borderColor: colour, backgroundColor: colour + "33", borderWidth: dashed ? 1.5 : 2,
      borderDash: dashed ? [6, 4] : [], pointRadius: 0, tension: 0.2
    };
  }

  var perMinute = new Chart(document.getElementById("per-minute"), {
    type: "line",
    data: {
      labels: [],
      datasets: [
        line(t["dash.series.taps_today"], COLOURS.taps, false),
        line(t["dash.series.taps_last_week"], COLOURS.tapsBefore, true),
        line(t["dash.series.journeys_today"], COLOURS.journeys, false),
        line(t["dash.series.journeys_last_week"], COLOURS.journeysBefore, true)
      ]
    },
    options: {
      animation: false, maintainAspectRatio: false, locale: locale,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { reverse: rtl, ticks: { maxTicksLimit: 13, maxRotation: 0 } },
        y: { beginAtZero: true, position: rtl ? "right" : "left" }
      },
      plugins: {
        legend: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr", position: "bottom" },
        tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" }
      }
    }
  });

  /* Each minute's count averaged with the 14 before it (fewer at the day's start): a few riders a
     minute would otherwise draw a comb, not a curve. Still per minute, as the axis says. */
  function smoothed(counts) {
    var sum = 0;
    return counts.map(function (count, i) {
      sum += count - (i >= SMOOTH_MINUTES ? counts[i - SMOOTH_MINUTES] : 0);
      return Math.round(sum / Math.min(i + 1, SMOOTH_MINUTES) * 10) / 10;
    });
  }

  function drawCharts(s) {
    var a = s.activity;
    perMinute.data.labels = minuteLabels(a.last_week, s.timezone);
    perMinute.data.datasets[0].data = smoothed(a.today.taps);
    perMinute.data.datasets[1].data = smoothed(a.last_week.taps);
    perMinute.data.datasets[2].data = smoothed(a.today.journeys);
    perMinute.data.datasets[3].data = smoothed(a.last_week.journeys);
    perMinute.update("none");
    document.getElementById("per-minute").setAttribute("data-drawn", "1");
  }

  /* -- the map: boardings as circles, open reports coloured and counted by district ------------------- */

  var mapBox = document.getElementById("dash-map");
  var map = L.map(mapBox, { attributionControl: Boolean(mapBox.dataset.tileUrl), zoomControl: false, zoomSnap: 0.25 });
  if (mapBox.dataset.tileUrl) {
    L.tileLayer(mapBox.dataset.tileUrl, { attribution: mapBox.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  var bounds = JSON.parse(mapBox.dataset.bounds || "[]");
  if (bounds.length) {
    map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], { padding: [8, 8] });
  } else {
    map.setView([36.3, 59.57], 11);
  }
  var openByDistrict = {};
  var districts = L.geoJSON(null, {
    style: districtStyle,
    onEachFeature: function (feature, layer) {
      layer.bindTooltip("", { permanent: true, direction: "center", className: "district-count" });
    }
  }).addTo(map);
  var boardings = L.layerGroup().addTo(map);
  var circles = {};

  function districtStyle(feature) {
    var counts = openByDistrict[feature.properties.code] || { open: 0, overdue: 0 };
    var shade = Math.min(0.6, 0.05 + counts.open * 0.06);
    return { color: "#90a4ae", weight: 1, fillColor: counts.overdue ? "#e57373" : "#90a4ae", fillOpacity: shade };
  }

  function drawDistricts() {
    districts.eachLayer(function (layer) {
      var counts = openByDistrict[layer.feature.properties.code] || { open: 0, overdue: 0 };
      layer.setStyle(districtStyle(layer.feature));
      layer.setTooltipContent(number(counts.open));
    });
  }

  function drawMap(s) {
    openByDistrict = {};
    s.reports.by_district.forEach(function (d) { openByDistrict[d.code] = d; });
    drawDistricts();
    var most = s.boardings.reduce(function (m, b) { return Math.max(m, b.boardings); }, 1);
    var seen = {};
    s.boardings.forEach(function (b) {
      var radius = 3 + 13 * Math.sqrt(b.boardings / most);
      var text = named(b) + ": " + number(b.boardings);
      seen[b.stop_id] = true;
      if (circles[b.stop_id]) {
        circles[b.stop_id].setRadius(radius).setTooltipContent(text);
      } else {
        circles[b.stop_id] = L.circleMarker([b.lat, b.lon], {
          radius: radius, color: "#4dd0e1", weight: 1, fillColor: "#4dd0e1", fillOpacity: 0.55
        }).bindTooltip(text).addTo(boardings);
      }
    });
    Object.keys(circles).forEach(function (id) {
      if (!seen[id]) { boardings.removeLayer(circles[id]); delete circles[id]; }
    });
    mapBox.setAttribute("data-drawn", "1");
  }

  fetch("/layers/districts.geojson", { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (d) { districts.addData(d); drawDistricts(); });

  /* -- figures and lists -------------------------------------------------------------------------- */

  function drawFigures(s) {
    var a = s.activity;
    setText("taps-today", number(a.taps_today));
    setText("taps-last-week", number(a.taps_last_week));
    setText("journeys-today", number(a.journeys_today));
    setText("journeys-last-week", number(a.journeys_last_week));
    setText("revenue-today", number(s.revenue_minor));
    setText("reports-open", number(s.reports.open));
    setText("reports-overdue", number(s.reports.overdue));
    setText("proposals-awaiting", number(s.proposals.awaiting));
    setText("proposals-overdue", number(s.proposals.overdue));
    var updated = document.getElementById("dash-updated");
    updated.setAttribute("datetime", s.generated_at);
    updated.textContent = clock(s.generated_at, s.timezone, true);
  }

  function drawLists(s) {
    var top = s.revenue.length ? s.revenue[0].amount_minor || 1 : 1;
    var operators = s.revenue.map(function (r) {
      var item = element("li");
      item.appendChild(element("span", named(r)));
      item.appendChild(element("strong", number(r.amount_minor)));
      var bar = element("progress");
      bar.max = top;
      bar.value = r.amount_minor;
      item.appendChild(bar);
      return item;
    });
    replaceChildren(document.getElementById("operators"), operators.length ? operators : [nothing("li")]);
    var stops = s.busiest_stops.map(function (b) {
      var item = element("li");
      item.appendChild(element("span", named(b)));
      item.appendChild(element("strong", number(b.boardings)));
      return item;
    });
    replaceChildren(document.getElementById("busiest"), stops.length ? stops : [nothing("li")]);
    var overdue = s.reports.longest_overdue.map(function (r) {
      var item = element("li");
      var link = element("a", "#" + number(r.id) + " " + (rtl ? r.category_fa : r.category_en));
      link.href = "/" + lang + "/reports/" + r.id;
      item.appendChild(link);
      item.appendChild(element("span", t["dash.due"] + " " + clock(r.due_at, s.timezone, true), "warn"));
      return item;
    });
    replaceChildren(document.getElementById("overdue-reports"), overdue.length ? overdue : [nothing("li")]);
    var awaiting = s.proposals.first_due.map(function (p) {
      var item = element("li");
      var link = element("a", p.title);
      link.href = "/" + lang + "/proposals/" + p.id;
      link.dir = "auto";
      item.appendChild(link);
      var due = p.answer_due_at ? t["dash.due"] + " " + clock(p.answer_due_at, s.timezone, true) : "";
      item.appendChild(element("span", due, p.overdue ? "warn" : ""));
      return item;
    });
    replaceChildren(document.getElementById("awaiting"), awaiting.length ? awaiting : [nothing("li")]);
    drawLab(s);
  }

  function figure(id, value, className) {
    var made = element(className ? "span" : "strong", value, className);
    made.id = id;
    return made;
  }

  function drawLab(s) {
    var body = document.getElementById("lab-body");
    var lab = s.lab;
    if (!lab) { replaceChildren(body, [element("p", t["dash.lab.none"], "none")]); return; }
    var title = element("p");
    var link = element("a", lab.title);
    link.id = "lab-title";
    link.href = "/" + lang + "/consultations/" + lab.consultation_id;
    link.dir = "auto";
    title.appendChild(link);
    var list = element("dl", null, "lab-figures");
    function entry(term, name, parts) {
      var dt = element("dt", term + (name ? " " : ""));
      if (name) { var span = element("span", name); span.dir = "auto"; dt.appendChild(span); }
      var dd = element("dd");
      parts.forEach(function (part) { dd.appendChild(typeof part === "string" ? document.createTextNode(part) : part); });
      list.appendChild(dt);
      list.appendChild(dd);
    }
    entry(t["dash.lab.reference"], lab.reference.name, [figure("lab-reference", number(lab.reference.revenue_minor)), " " + data.currency]);
    entry(t["dash.lab.proposed"], lab.proposed.name, [figure("lab-proposed", number(lab.proposed.revenue_minor)), " " + data.currency]);
    entry(t["dash.lab.pays"], null, [
      figure("lab-pays-more", number(lab.pays_more), "warn"), " " + t["dash.lab.more"] + " · ",
      figure("lab-pays-same", number(lab.pays_same), "same"), " " + t["dash.lab.same"] + " · ",
      figure("lab-pays-less", number(lab.pays_less), "good"), " " + t["dash.lab.less"]
    ]);
    entry(t["dash.lab.car_trips"], null, [figure("lab-car-trips", number(lab.car_trips_avoided))]);
    replaceChildren(body, [title, list]);
  }

  function draw(s) {
    drawFigures(s);
    drawCharts(s);
    drawMap(s);
    drawLists(s);
    root.setAttribute("data-service-date", s.service_date);
  }

  /* -- live ---------------------------------------------------------------------------------------- */

  var state = document.getElementById("dash-live");
  function show(name) {
    state.setAttribute("data-state", name);
    state.textContent = t["dash." + name];
  }

  draw(data.snapshot);
  var events = new EventSource(data.stream);
  events.addEventListener("open", function () { show("live"); });
  events.addEventListener("error", function () { show("reconnecting"); });
  events.addEventListener("snapshot", function (event) { show("live"); draw(JSON.parse(event.data)); });
})();
