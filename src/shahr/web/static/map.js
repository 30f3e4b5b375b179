/* The pages' maps, drawn with Leaflet from this server's own layers (districts, routes, stops, reports):
   no tile server unless the page names one. A map is a <div class="map" data-map="MODE"> whose data-
   attributes carry its settings; MODE is "pick" (the report form: a click drops the pin and fills the
   lat/lon fields), "point" (one report) or "public" (every layer, with the page's filters). User text
   goes into the map as text nodes, never as HTML. */
(function () {
  "use strict";

  var STATUS_COLOURS = {
    filed: "#c62828", acknowledged: "#ef6c00", in_progress: "#f9a825", resolved: "#2e7d32", rejected: "#616161"
  };

  function json(el, name) {
    try { return JSON.parse(el.dataset[name] || "null"); } catch (e) { return null; }
  }

  function load(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); });
  }

  function districtsLayer(lang, interactive) {
    return L.geoJSON(null, {
      interactive: interactive,
      style: { color: "#3949ab", weight: 1.5, fillColor: "#3949ab", fillOpacity: 0.05 },
      onEachFeature: function (feature, layer) {
        if (interactive) { layer.bindTooltip(feature.properties[lang === "fa" ? "name_fa" : "name_en"]); }
      }
    });
  }

  function reportPopup(props, lang, labels) {
    var box = document.createElement("div");
    box.dir = lang === "fa" ? "rtl" : "ltr";
    var title = document.createElement("strong");
    title.textContent = "#" + props.id + " " + (lang === "fa" ? props.category_fa : props.category_en);
    var link = document.createElement("a");
    link.href = "/" + lang + "/reports/" + props.id;
    link.textContent = labels.open || "Open";
    box.appendChild(title);
    box.appendChild(document.createElement("br"));
    box.appendChild(link);
    return box;
  }

  function publicLayers(map, el, lang, labels) {
    var routes = L.geoJSON(null, {
      style: function (f) { return { color: f.properties.color, weight: 3, opacity: 0.8 }; },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name + " " + f.properties.long_name); }
    });
    var stops = L.geoJSON(null, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: f.properties.station ? 5 : 3, color: "#263238", weight: 1, fillOpacity: 0.7 });
      },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name); }
    });
    var reports = L.geoJSON(null, {
      pointToLayer: function (f, latlng) {
        var colour = STATUS_COLOURS[f.properties.status] || "#000";
        return L.circleMarker(latlng, { radius: 7, color: colour, fillColor: colour, fillOpacity: 0.8, weight: f.properties.overdue ? 3 : 1 });
      },
      onEachFeature: function (f, layer) { layer.bindPopup(reportPopup(f.properties, lang, labels)); }
    });
    load("/layers/routes.geojson").then(function (d) { routes.addData(d); });
    load("/layers/stops.geojson").then(function (d) { stops.addData(d); });
    load(el.dataset.reportsUrl || "/layers/reports.geojson").then(function (d) { reports.addData(d); });
    routes.addTo(map);
    stops.addTo(map);
    reports.addTo(map);
    return { routes: routes, stops: stops, reports: reports };
  }

  function pick(map) {
    var lat = document.getElementById("lat");
    var lon = document.getElementById("lon");
    var marker = null;
    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
    }
    map.on("click", function (e) {
      place(e.latlng);
      lat.value = e.latlng.lat.toFixed(6);
      lon.value = e.latlng.lng.toFixed(6);
    });
    function fromFields() {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      if (isFinite(a) && isFinite(b)) { place([a, b]); }
    }
    lat.addEventListener("change", fromFields);
    lon.addEventListener("change", fromFields);
    fromFields();
  }

  function init(el) {
    var mode = el.dataset.map;
    var lang = el.dataset.lang;
    var labels = json(el, "labels") || {};
    var map = L.map(el, { attributionControl: Boolean(el.dataset.tileUrl) });
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
    }
    var districts = districtsLayer(lang, mode !== "pick").addTo(map);
    var point = json(el, "point") || [];
    var bounds = json(el, "bounds") || [];
    if (point.length) {
      map.setView(point, 16);
      L.marker(point).addTo(map);
    } else if (bounds.length) {
      map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]);
    } else {
      map.setView([36.3, 59.57], 11);
    }
    load("/layers/districts.geojson").then(function (d) { districts.addData(d); });
    if (mode === "pick") { pick(map); }
    if (mode === "public") {
      var layers = publicLayers(map, el, lang, labels);
      var overlays = {};
      overlays[labels.districts] = districts;
      overlays[labels.routes] = layers.routes;
      overlays[labels.stops] = layers.stops;
      overlays[labels.reports] = layers.reports;
      L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    }
    el.shahrMap = map;
  }

  document.querySelectorAll("div.map[data-map]").forEach(init);
})();
