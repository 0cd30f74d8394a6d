// Podium's charts, drawn with the vendored Apache ECharts (static/vendor/, loaded before this file).
//
// A page declares a chart with markup and a JSON data block, and this file draws it on load:
//
//   <div class="chart" data-chart="scatter" data-source="my-data"></div>
//   <script type="application/json" id="my-data">{{ data | tojson }}</script>
//
// No inline script is needed (the UI's Content-Security-Policy forbids them). The same functions
// are on window.PodiumCharts for pages that build data in the browser:
//
//   scatter(el, {x: {label, type, integer?}, y: {label, type, integer?},
//                series: [{name, color?, points: [{x, y, label?, href?}]}]})
//       a point per item; type "value" (default), "log" or "time" (ms since the epoch, shown in
//       UTC); integer: true keeps ticks on whole numbers (version numbers, steps);
//       clicking a point with href opens it (e.g. a run page).
//   parallel(el, {dimensions: [{name, type?: "value"|"category", values?: [...]}],
//                 rows: [{name, values: [...], href?}], color_by?: <dimension index>})
//       one line per row across the dimensions (params → metric); null values are left out;
//       color_by colours lines by one numeric dimension (usually the metric).
//   lines(el, {x: {label, type}, y: {label, type},
//              series: [{name, color?, points: [[x, y], ...]}]})
//       a line per series, e.g. a metric's history over steps for each selected run.
//
// Each function returns the ECharts instance, and marks the element with data-chart-ready="true"
// once drawn (the browser tests wait for it).
(function () {
  "use strict";

  var PALETTE = ["#2f5bea", "#e8590c", "#2b8a3e", "#ae3ec9", "#1098ad", "#d9a404", "#c92a2a", "#5c7cfa",
                 "#12b886", "#f783ac"];
  var TEXT = "#1d2433";
  var MUTED = "#5f6b7a";
  var GRID = "#edf0f4";

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function formatValue(value, type) {
    if (value === null || value === undefined || value === "-") {
      return "—";
    }
    if (type === "time") {
      return new Date(value).toISOString().replace("T", " ").slice(0, 16) + " UTC";
    }
    if (typeof value === "number") {
      return Math.abs(value) >= 1e5 || (value !== 0 && Math.abs(value) < 1e-3)
        ? value.toExponential(3) : String(Math.round(value * 1e6) / 1e6);
    }
    return String(value);
  }

  function start(el) {
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, {renderer: "canvas"});
    if (!el.hasAttribute("data-chart-resize")) {
      el.setAttribute("data-chart-resize", "true");
      window.addEventListener("resize", function () { chart.resize(); });
    }
    return chart;
  }

  function done(el, chart) {
    el.setAttribute("data-chart-ready", "true");
    return chart;
  }

  function empty(el, text) {
    el.innerHTML = "";
    var note = document.createElement("div");
    note.className = "chart-empty";
    note.textContent = text || "Nothing to chart.";
    el.appendChild(note);
    el.setAttribute("data-chart-ready", "true");
    return null;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // Time labels in UTC with the precision the data's span needs (seconds for a short burst of
  // registrations, days for a model's life).
  function timeLabeller(span) {
    return function (ms) {
      var d = new Date(ms);
      var day = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
      var minutes = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
      if (span < 3600 * 1000) {
        return minutes + ":" + pad(d.getUTCSeconds());
      }
      return span < 30 * 24 * 3600 * 1000 ? day + "\n" + minutes : day;
    };
  }

  function spanOf(series, index) {
    var low = Infinity;
    var high = -Infinity;
    series.forEach(function (s) {
      (s.points || []).forEach(function (p) {
        var v = Array.isArray(p) ? p[index] : (index === 0 ? p.x : p.y);
        if (typeof v === "number") {
          low = Math.min(low, v);
          high = Math.max(high, v);
        }
      });
    });
    return high >= low ? high - low : 0;
  }

  function axis(spec, fallback, span) {
    spec = spec || {};
    var type = spec.type || fallback || "value";
    var result = {
      type: type,
      name: spec.label || "",
      nameLocation: "middle",
      nameGap: type === "time" ? 44 : 34,
      nameTextStyle: {color: MUTED, fontWeight: 600},
      scale: true,
      axisLine: {lineStyle: {color: "#c3cad4"}},
      axisLabel: {color: MUTED, hideOverlap: true},
      splitLine: {lineStyle: {color: GRID}}
    };
    if (type === "time") {
      // Room at both ends, so the first and last points are not cut in half by the frame.
      result.boundaryGap = ["4%", "4%"];
      result.axisLabel.formatter = timeLabeller(span || 0);
      result.axisLabel.lineHeight = 15;
    }
    if (spec.integer) {
      result.minInterval = 1;
    }
    return result;
  }

  function legend(series) {
    return series.length > 1 ? {top: 0, textStyle: {color: TEXT}, type: "scroll"} : undefined;
  }

  function openOnClick(chart) {
    chart.on("click", function (params) {
      var href = params.data && params.data.href;
      // Only links into this server: the data comes from the registry, not from the page's author.
      if (typeof href === "string" && href.charAt(0) === "/" && href.charAt(1) !== "/") {
        window.location.href = href;
      }
    });
  }

  function scatter(el, data) {
    var series = (data && data.series) || [];
    if (!series.some(function (s) { return s.points && s.points.length; })) {
      return empty(el);
    }
    var xType = (data.x && data.x.type) || "value";
    var yType = (data.y && data.y.type) || "value";
    var chart = start(el);
    chart.setOption({
      color: PALETTE,
      animation: false,
      grid: {left: 64, right: 28, top: series.length > 1 ? 40 : 20, bottom: xType === "time" ? 64 : 52},
      legend: legend(series),
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var point = p.data || {};
          var v = point.value || [];
          return "<b>" + escapeHtml(point.label || p.seriesName) + "</b><br>" +
            escapeHtml((data.x && data.x.label) || "x") + ": " + escapeHtml(formatValue(v[0], xType)) + "<br>" +
            escapeHtml((data.y && data.y.label) || "y") + ": " + escapeHtml(formatValue(v[1], yType));
        }
      },
      xAxis: axis(data.x, "value", spanOf(series, 0)),
      yAxis: axis(data.y, "value", spanOf(series, 1)),
      series: series.map(function (s) {
        return {
          name: s.name,
          type: "scatter",
          symbolSize: s.size || 11,
          itemStyle: s.color ? {color: s.color, opacity: 0.85} : {opacity: 0.85},
          emphasis: {focus: "series"},
          data: (s.points || []).map(function (p) {
            return {value: [p.x, p.y], label: p.label, href: p.href};
          })
        };
      })
    });
    openOnClick(chart);
    return done(el, chart);
  }

  function parallel(el, data) {
    var dimensions = (data && data.dimensions) || [];
    var rows = (data && data.rows) || [];
    if (!dimensions.length || !rows.length) {
      return empty(el);
    }
    var colorBy = typeof data.color_by === "number" ? data.color_by : null;
    var visualMap;
    if (colorBy !== null) {
      var numbers = rows.map(function (r) { return r.values[colorBy]; })
        .filter(function (v) { return typeof v === "number" && isFinite(v); });
      if (numbers.length) {
        visualMap = {
          type: "continuous",
          dimension: colorBy,
          min: Math.min.apply(null, numbers),
          max: Math.max.apply(null, numbers),
          calculable: true,
          right: 8,
          top: "middle",
          itemHeight: 140,
          text: [dimensions[colorBy].name, ""],
          textStyle: {color: MUTED},
          // A neutral scale (viridis): whether high is good depends on the metric.
          inRange: {color: ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]}
        };
      }
    }
    var chart = start(el);
    chart.setOption({
      animation: false,
      parallel: {left: 56, right: visualMap ? 110 : 56, top: 44, bottom: 28},
      parallelAxis: dimensions.map(function (d, i) {
        var spec = {
          dim: i,
          name: d.name,
          nameTextStyle: {color: TEXT, fontWeight: 600},
          axisLabel: {color: MUTED},
          axisLine: {lineStyle: {color: "#aab3bf"}}
        };
        if (d.type === "category") {
          spec.type = "category";
          spec.data = d.values || [];
        } else {
          spec.scale = true;
        }
        return spec;
      }),
      visualMap: visualMap,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var values = (p.data && p.data.value) || [];
          return "<b>" + escapeHtml(p.name || "") + "</b><br>" + dimensions.map(function (d, i) {
            return escapeHtml(d.name) + ": " + escapeHtml(formatValue(values[i]));
          }).join("<br>");
        }
      },
      series: [{
        type: "parallel",
        smooth: false,
        lineStyle: {width: 2, opacity: 0.7, color: visualMap ? undefined : PALETTE[0]},
        emphasis: {lineStyle: {width: 4, opacity: 1}},
        data: rows.map(function (r) {
          return {
            name: r.name,
            href: r.href,
            value: r.values.map(function (v) { return v === null || v === undefined ? "-" : v; })
          };
        })
      }]
    });
    openOnClick(chart);
    return done(el, chart);
  }

  function lines(el, data) {
    var series = (data && data.series) || [];
    if (!series.some(function (s) { return s.points && s.points.length; })) {
      return empty(el);
    }
    var xType = (data.x && data.x.type) || "value";
    var chart = start(el);
    chart.setOption({
      color: PALETTE,
      animation: false,
      grid: {left: 64, right: 28, top: series.length > 1 ? 40 : 20, bottom: 72},
      legend: legend(series),
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return formatValue(v); },
        axisPointer: {type: "line"},
        formatter: function (items) {
          if (!items.length) { return ""; }
          var head = escapeHtml((data.x && data.x.label) || "x") + ": " +
            escapeHtml(formatValue(items[0].value[0], xType));
          return head + "<br>" + items.map(function (it) {
            return it.marker + escapeHtml(it.seriesName) + ": <b>" + escapeHtml(formatValue(it.value[1])) + "</b>";
          }).join("<br>");
        }
      },
      xAxis: axis(data.x, "value", spanOf(series, 0)),
      yAxis: axis(data.y, "value", spanOf(series, 1)),
      dataZoom: [{type: "inside"}, {type: "slider", height: 18, bottom: 8}],
      series: series.map(function (s) {
        var points = s.points || [];
        return {
          name: s.name,
          type: "line",
          showSymbol: points.length <= 50,
          symbolSize: 5,
          sampling: "lttb",
          itemStyle: s.color ? {color: s.color} : undefined,
          lineStyle: {width: 2},
          data: points
        };
      })
    });
    return done(el, chart);
  }

  var kinds = {scatter: scatter, parallel: parallel, lines: lines};

  function mount(el) {
    var kind = el.getAttribute("data-chart");
    var source = document.getElementById(el.getAttribute("data-source") || "");
    try {
      if (!kinds.hasOwnProperty(kind)) {
        throw new Error("unknown chart kind " + kind);
      }
      if (!window.echarts) {
        throw new Error("the charting library did not load");
      }
      return kinds[kind](el, source ? JSON.parse(source.textContent) : {});
    } catch (err) {
      el.innerHTML = "";
      var note = document.createElement("div");
      note.className = "chart-error";
      note.textContent = "This chart could not be drawn: " + err.message;
      el.appendChild(note);
      el.setAttribute("data-chart-error", String(err.message));
      return null;
    }
  }

  function mountAll(root) {
    var found = (root || document).querySelectorAll("[data-chart]");
    for (var i = 0; i < found.length; i++) {
      mount(found[i]);
    }
  }

  window.PodiumCharts = {scatter: scatter, parallel: parallel, lines: lines, mount: mount, mountAll: mountAll};

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { mountAll(); });
  } else {
    mountAll();
  }
})();
