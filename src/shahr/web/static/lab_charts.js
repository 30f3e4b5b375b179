/* The policy lab's charts and zone map, drawn from a Figures document (shahr.lab.figures) into a page's
   placeholders; shared by the offline HTML report and the public consultation page, so it loads nothing
   and builds no HTML from strings (names from the figures go into the page as text nodes).

   shahrLabCharts.render(root, figures, lang) draws, under root (root itself included):
     canvas[data-chart="revenue"], canvas[data-chart="trips"]    every policy, before and after the
                                                                  ridership response
     [data-comparison="I"]                                        figures.comparisons[I], containing any of
       canvas[data-chart="pays-by-distance"]                      trips paying more/same/less (stacked)
       canvas[data-chart="fare-by-distance"], "fare-by-rider", "fare-by-hour"
                                                                  average fare under both policies
       div[data-map]                                              the zones coloured by change in average fare
   A placeholder that is absent is skipped; each one drawn gets data-drawn="1"; rendering again (another
   language) redraws. Needs the globals Chart
   (Chart.js 4) and L (Leaflet 1.9). lang is "en" or "fa" (Persian digits, right to left). */
(function () {
  "use strict";

  var TEXT = {
    en: {
      revenue: "Revenue", trips: "Trips", before: "Demand as recorded", after: "After the ridership response",
      paysByDistance: "Trips paying more, the same or less, by distance", paysLess: "pays less",
      paysSame: "pays the same", paysMore: "pays more", fareByDistance: "Average fare by distance band",
      fareByRider: "Average fare by rider category", fareByHour: "Average fare by hour of day",
      average: "average fare", change: "change", noTrips: "no trips",
      zoneLegend: "Change in average fare"
    },
    fa: {
      revenue: "درآمد", trips: "سفرها", before: "تقاضای ثبت‌شده", after: "پس از واکنش مسافران",
      paysByDistance: "سفرهایی که بیشتر، برابر یا کمتر می‌پردازند، بر پایهٔ مسافت", paysLess: "کمتر",
      paysSame: "برابر", paysMore: "بیشتر", fareByDistance: "میانگین کرایه بر پایهٔ مسافت",
      fareByRider: "میانگین کرایه بر پایهٔ گروه مسافر", fareByHour: "میانگین کرایه در ساعت‌های روز",
      average: "میانگین کرایه", change: "تغییر", noTrips: "بدون سفر",
      zoneLegend: "تغییر میانگین کرایه"
    }
  };
  var CURRENCY = { IRR: { en: "rials", fa: "ریال" } };
  var COLOURS = { reference: "#90a4ae", policy: "#00695c", less: "#2166ac", same: "#bdbdbd", more: "#b2182b" };
  // Diverging classes of change in average fare, percent: cheaper in blue, dearer in red.
  var CLASSES = [
    { upTo: -20, colour: "#2166ac" }, { upTo: -10, colour: "#67a9cf" }, { upTo: -2, colour: "#d1e5f0" },
    { upTo: 2, colour: "#f7f7f7" }, { upTo: 10, colour: "#fddbc7" }, { upTo: 20, colour: "#ef8a62" },
    { upTo: Infinity, colour: "#b2182b" }
  ];
  var NO_DATA = "#9e9e9e";
  var FONT = '"Vazirmatn", "Noto Sans Arabic", "Noto Naskh Arabic", Tahoma, "DejaVu Sans", sans-serif';

  function locale(lang) { return lang === "fa" ? "fa-IR" : "en-US"; }

  function number(value, lang, decimals) {
    var d = decimals || 0;
    return Number(value).toLocaleString(locale(lang), { minimumFractionDigits: d, maximumFractionDigits: d });
  }

  /* Signed, and kept left to right (the sign before the digits) inside Persian text. */
  function percent(value, lang) {
    var text = (value > 0 ? "+" : "") + number(value, lang, 1) + (lang === "fa" ? "٪" : "%");
    return lang === "fa" ? "\u2066" + text + "\u2069" : text;
  }

  function currency(figures, lang) {
    var names = CURRENCY[figures.currency];
    return names ? names[lang] : figures.currency;
  }

  function money(value, figures, lang) {
    return number(value, lang) + " " + currency(figures, lang);
  }

  /* A label from the figures ("0–5 km", "07:00") with the page's digits. */
  function label(text, lang) {
    return lang === "fa" ? String(text).replace(/[0-9]/g, function (d) { return number(Number(d), lang); }) : text;
  }

  /* A long name as lines of about `width` characters (Chart.js draws an array label as lines). */
  function wrap(text, width) {
    return String(text).split(" ").reduce(function (lines, word) {
      var last = lines.length - 1;
      if (last >= 0 && (lines[last] + " " + word).length <= width) { lines[last] += " " + word; } else { lines.push(word); }
      return lines;
    }, []);
  }

  function policyName(figures, id) {
    var found = (figures.policies || []).filter(function (p) { return p.id === id; })[0];
    return found ? found.name : id;
  }

  function within(root, selector) {
    var found = Array.prototype.slice.call(root.querySelectorAll(selector));
    return root.matches && root.matches(selector) ? [root].concat(found) : found;
  }

  var markDrawn = {
    id: "shahrDrawn",
    afterRender: function (chart) { chart.canvas.setAttribute("data-drawn", "1"); }
  };

  function chart(canvas, type, title, labels, datasets, lang, stacked) {
    if (!canvas) { return; }
    var rtl = lang === "fa";
    var previous = Chart.getChart(canvas);
    if (previous) { previous.destroy(); }
    new Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: datasets },
      plugins: [markDrawn],
      options: {
        animation: false,
        locale: locale(lang),
        scales: {
          x: { stacked: stacked, reverse: rtl },
          y: { stacked: stacked, beginAtZero: true, position: rtl ? "right" : "left" }
        },
        plugins: {
          title: { display: true, text: title },
          legend: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" },
          tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" }
        }
      }
    });
  }

  function bars(name, data, colour) {
    return { label: name, data: data, backgroundColor: colour, borderColor: colour };
  }

  function policyCharts(root, figures, lang) {
    var t = TEXT[lang];
    var policies = figures.policies || [];
    var names = policies.map(function (p) { return wrap(p.name, 24); });
    function pick(field, after) {
      return policies.map(function (p) { return after ? p.response[field] : p[field]; });
    }
    within(root, 'canvas[data-chart="revenue"]').forEach(function (canvas) {
      chart(canvas, "bar", t.revenue + " (" + currency(figures, lang) + ")", names, [
        bars(t.before, pick("revenue", false), COLOURS.reference),
        bars(t.after, pick("revenue", true), COLOURS.policy)
      ], lang, false);
    });
    within(root, 'canvas[data-chart="trips"]').forEach(function (canvas) {
      chart(canvas, "bar", t.trips, names, [
        bars(t.before, pick("trips", false), COLOURS.reference),
        bars(t.after, pick("trips", true), COLOURS.policy)
      ], lang, false);
    });
  }

  function averages(canvas, type, title, rows, comparison, figures, lang) {
    chart(canvas, type, title, rows.map(function (r) { return label(r.label, lang); }), [
      bars(policyName(figures, comparison.against), rows.map(function (r) { return r.reference_average; }),
        COLOURS.reference),
      bars(policyName(figures, comparison.policy), rows.map(function (r) { return r.average; }), COLOURS.policy)
    ], lang, false);
  }

  function colourFor(change) {
    for (var i = 0; i < CLASSES.length; i++) {
      if (change < CLASSES[i].upTo) { return CLASSES[i].colour; }
    }
    return CLASSES[CLASSES.length - 1].colour;
  }

  function line(box, text) {
    var div = document.createElement("div");
    div.textContent = text;
    box.appendChild(div);
  }

  function zoneTooltip(name, row, figures, lang) {
    var t = TEXT[lang];
    var box = document.createElement("div");
    box.dir = lang === "fa" ? "rtl" : "ltr";
    var title = document.createElement("strong");
    title.textContent = name;
    box.appendChild(title);
    if (!row) {
      line(box, t.noTrips);
      return box;
    }
    line(box, t.trips + ": " + number(row.trips, lang));
    line(box, t.average + ": " + money(row.reference_average, figures, lang) + " → " +
      money(row.average, figures, lang) + " (" + percent(row.change_percent, lang) + ")");
    line(box, t.paysMore + " " + number(row.pays_more, lang) + " · " + t.paysSame + " " +
      number(row.pays_same, lang) + " · " + t.paysLess + " " + number(row.pays_less, lang));
    return box;
  }

  function legendSwatch(box, colour, text) {
    var row = document.createElement("div");
    var swatch = document.createElement("span");
    swatch.style.display = "inline-block";
    swatch.style.width = "1em";
    swatch.style.height = "1em";
    swatch.style.marginInlineEnd = "0.4em";
    swatch.style.verticalAlign = "middle";
    swatch.style.border = "1px solid #757575";
    swatch.style.background = colour;
    row.appendChild(swatch);
    row.appendChild(document.createTextNode(text));
    box.appendChild(row);
  }

  function legend(lang) {
    var control = L.control({ position: lang === "fa" ? "bottomleft" : "bottomright" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "lab-map-legend");
      box.dir = lang === "fa" ? "rtl" : "ltr";
      box.style.background = "#fff";
      box.style.padding = "0.4em 0.6em";
      box.style.border = "1px solid #bdbdbd";
      box.style.borderRadius = "4px";
      var title = document.createElement("strong");
      title.textContent = TEXT[lang].zoneLegend;
      box.appendChild(title);
      var from = -Infinity;
      CLASSES.forEach(function (c) {
        var text = from === -Infinity ? "< " + percent(c.upTo, lang)
          : c.upTo === Infinity ? "≥ " + percent(from, lang)
            : percent(from, lang) + " … " + percent(c.upTo, lang);
        legendSwatch(box, c.colour, text);
        from = c.upTo;
      });
      legendSwatch(box, NO_DATA, TEXT[lang].noTrips);
      return box;
    };
    return control;
  }

  function zoneMap(el, comparison, figures, lang) {
    var rows = {};
    (comparison.by_zone || []).forEach(function (r) { rows[r.key] = r; });
    el.setAttribute("dir", "ltr");
    if (el.shahrMap) { el.shahrMap.remove(); }
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    var zones = L.geoJSON(figures.zones || null, {
      style: function (feature) {
        var row = rows[feature.properties.id];
        return { color: "#37474f", weight: 1, fillOpacity: 0.75, fillColor: row ? colourFor(row.change_percent) : NO_DATA };
      },
      onEachFeature: function (feature, layer) {
        var props = feature.properties || {};
        layer.bindTooltip(zoneTooltip(props.name || props.id, rows[props.id], figures, lang), { sticky: true });
      }
    }).addTo(map);
    var bounds = zones.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds); } else { map.setView([36.3, 59.6], 11); }
    legend(lang).addTo(map);
    el.shahrMap = map;
    el.setAttribute("data-drawn", "1");
  }

  function comparisonCharts(section, comparison, figures, lang) {
    var t = TEXT[lang];
    var bands = comparison.by_distance_band || [];
    function one(name) { return within(section, 'canvas[data-chart="' + name + '"]')[0]; }
    chart(one("pays-by-distance"), "bar", t.paysByDistance, bands.map(function (r) { return label(r.label, lang); }), [
      bars(t.paysLess, bands.map(function (r) { return r.pays_less; }), COLOURS.less),
      bars(t.paysSame, bands.map(function (r) { return r.pays_same; }), COLOURS.same),
      bars(t.paysMore, bands.map(function (r) { return r.pays_more; }), COLOURS.more)
    ], lang, true);
    averages(one("fare-by-distance"), "bar", t.fareByDistance, bands, comparison, figures, lang);
    averages(one("fare-by-rider"), "bar", t.fareByRider, comparison.by_rider_category || [], comparison, figures, lang);
    averages(one("fare-by-hour"), "line", t.fareByHour, comparison.by_hour || [], comparison, figures, lang);
    within(section, "div[data-map]").forEach(function (el) { zoneMap(el, comparison, figures, lang); });
  }

  function render(root, figures, lang) {
    var language = TEXT[lang] ? lang : "en";
    Chart.defaults.font.family = FONT;
    policyCharts(root, figures, language);
    within(root, "[data-comparison]").forEach(function (section) {
      var comparison = (figures.comparisons || [])[Number(section.getAttribute("data-comparison"))];
      if (comparison) { comparisonCharts(section, comparison, figures, language); }
    });
  }

  window.shahrLabCharts = { render: render };
})();
