/* Maps and place suggestions. Everything here enhances pages that work without it:
 * the route and stops are listed on the page, places can be typed, and the
 * suggestions come from the same gazetteer the server reads.
 */
"use strict";

(function () {
  /* Leaflet writes attributions and tooltips as HTML: every text from the page (place
   * names come from OpenStreetMap, which anyone can edit) goes in as text only. */
  function escaped(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function attribution(element) {
    // The page gives it in the reader's language; the licence page is linked.
    return escaped(element.dataset.attribution).replace(
      "OpenStreetMap",
      '<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
    );
  }

  function baseMap(element) {
    var map = L.map(element, { scrollWheelZoom: false });
    L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: attribution(element) }).addTo(map);
    // The attribution control is part of the licence: never removed.
    map.attributionControl.setPrefix(false);
    return map;
  }

  function dot(latlng, colour, label, permanent) {
    return L.circleMarker(latlng, {
      radius: 8, color: "#ffffff", weight: 2, fillColor: colour, fillOpacity: 1,
    }).bindTooltip(textNode(label), { permanent: Boolean(permanent) });
  }

  /* A trip: its road, its stops, and the passenger's pickup and drop-off. */
  function tripMap(element) {
    var data = JSON.parse(element.dataset.trip);
    var map = baseMap(element);
    var bounds = [];
    if (data.path.length > 1) {
      var line = L.polyline(data.path, { color: "#0b6e4f", weight: 5 }).addTo(map);
      bounds.push(line.getBounds());
    }
    data.stops.forEach(function (stop) {
      dot([stop.lat, stop.lon], "#0b6e4f", stop.name).addTo(map);
      bounds.push(L.latLngBounds([[stop.lat, stop.lon]]));
    });
    [["pickup", "#b3261e"], ["dropoff", "#1d4ed8"]].forEach(function (kind) {
      var point = data[kind[0]];
      if (point) {
        // The passenger's own places keep their names in view.
        dot(point, kind[1], element.dataset[kind[0] + "Label"], true).addTo(map);
        bounds.push(L.latLngBounds([point]));
      }
    });
    var all = bounds.reduce(function (a, b) { return a.extend(b); });
    map.fitBounds(all, { padding: [24, 24] });
  }

  /* Picking places on a map: a click writes "lat, lon" into the place field the
   * person last used (or the first empty one); the server names the point. */
  function pickerMap(element) {
    var fields = element.dataset.fields.split(" ").map(function (id) {
      return document.getElementById(id);
    }).filter(Boolean);
    if (!fields.length) { return; }
    var map = baseMap(element);
    map.setView(JSON.parse(element.dataset.centre), 12);
    var current = null;
    var markers = {};
    fields.forEach(function (field) {
      field.addEventListener("focus", function () { current = field; });
    });
    map.on("click", function (event) {
      var target = current || fields.find(function (f) { return !f.value; }) || fields[0];
      var lat = event.latlng.lat.toFixed(5), lon = event.latlng.lng.toFixed(5);
      target.value = lat + ", " + lon;
      target.dispatchEvent(new Event("change"));
      if (markers[target.id]) { map.removeLayer(markers[target.id]); }
      var label = document.querySelector('label[for="' + target.id + '"]');
      markers[target.id] = dot(event.latlng, "#b3261e", label ? label.textContent : target.id).addTo(map);
      var status = element.parentNode.querySelector("[data-picked]");
      if (status) { status.textContent = (label ? label.textContent + " — " : "") + target.value; }
      current = fields[(fields.indexOf(target) + 1) % fields.length];
    });
  }

  /* Suggestions while typing, in a native <datalist>: keyboard and screen-reader
   * friendly on every browser, with nothing to re-implement. */
  function suggestions(input) {
    var list = document.createElement("datalist");
    list.id = input.id + "-suggestions";
    input.after(list);
    input.setAttribute("list", list.id);
    var timer = null, asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2 || text === asked) { return; }
      timer = setTimeout(function () {
        asked = text;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(text))
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (places) {
            list.replaceChildren.apply(list, places.map(function (place) {
              var option = document.createElement("option");
              option.value = place.name;
              return option;
            }));
          })
          .catch(function () { /* typing still works without suggestions */ });
      }, 200);
    });
  }

  document.querySelectorAll("input[data-suggest]").forEach(suggestions);
  if (window.L) {
    document.documentElement.classList.add("maps"); // shows the maps (site.css)
    document.querySelectorAll(".map[data-trip]").forEach(tripMap);
    document.querySelectorAll(".map[data-fields]").forEach(function (element) {
      // A map drawn while hidden has no size: draw it when its <details> opens.
      var details = element.closest("details");
      if (!details || details.open) { pickerMap(element); return; }
      details.addEventListener("toggle", function once() {
        details.removeEventListener("toggle", once);
        pickerMap(element);
      });
    });
  }
})();
