/* Dashboard charts with the vendored Apache ECharts: every element with data-spec="<id>" gets the chart described
   by the JSON block <script type="application/json" id="<id>"> (built by api/dashboard/chart_spec.py).
   Time charts: tooltips on the axis, zoom on the time axis (wheel/drag and the slider), legend toggles.
   No inline script anywhere: the page's CSP is script-src 'self'. */
(function () {
  "use strict";

  function readSpec(id) {
    var block = document.getElementById(id);
    return block ? JSON.parse(block.textContent) : null;
  }

  function fmt(value, unit) {
    if (value === null || value === undefined || Number.isNaN(value)) { return "–"; }
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: 1 }) + " " + unit;
  }

  function timeOption(spec) {
    var units = [spec.unit, spec.unit2 || spec.unit];
    var yAxes = [{ type: "value", name: spec.unit, scale: false }];
    if (spec.unit2) { yAxes.push({ type: "value", name: spec.unit2, splitLine: { show: false } }); }
    return {
      animation: false,
      color: spec.series.map(function (s) { return s.color; }),
      legend: { top: 0, type: "scroll" },
      grid: { left: 60, right: spec.unit2 ? 70 : 30, top: 40, bottom: 80 },
      tooltip: {
        trigger: "axis",
        valueFormatter: undefined,
        formatter: function (items) {
          var lines = [items.length ? items[0].axisValueLabel : ""];
          items.forEach(function (it) {
            var s = spec.series[it.seriesIndex];
            lines.push(it.marker + s.name + ": " + fmt(it.value, units[s.axis || 0]));
          });
          return lines.join("<br>");
        }
      },
      xAxis: { type: "category", data: spec.x, name: spec.x_name || "", axisLabel: { hideOverlap: true } },
      yAxis: yAxes,
      dataZoom: [{ type: "inside", xAxisIndex: 0 }, { type: "slider", xAxisIndex: 0, bottom: 10 }],
      series: spec.series.map(function (s) {
        return {
          name: s.name, type: s.type, stack: s.stack || undefined, yAxisIndex: s.axis || 0, data: s.data,
          step: s.step ? "start" : undefined, connectNulls: false, symbol: "none",
          lineStyle: s.dashed ? { type: "dashed" } : undefined, itemStyle: { color: s.color }
        };
      })
    };
  }

  function sankeyOption(spec) {
    return {
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          return p.dataType === "edge" ? p.data.source + " → " + p.data.target + ": " + fmt(p.data.value, spec.unit)
            : p.name;
        }
      },
      series: [{
        type: "sankey", data: spec.nodes, links: spec.links, nodeAlign: "justify", emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", curveness: 0.5 }, label: { fontSize: 12 }
      }]
    };
  }

  function draw(el) {
    var spec = readSpec(el.dataset.spec);
    if (!spec || typeof echarts === "undefined") { return; }
    var chart = echarts.init(el, null, { renderer: "svg" });
    var option = spec.kind === "sankey" ? sankeyOption(spec) : timeOption(spec);
    var key = "ems-zoom:" + location.pathname + ":" + el.id;
    if (option.dataZoom) {
      /* the page refreshes itself (live data): keep the operator's zoom across the reload */
      var kept = JSON.parse(sessionStorage.getItem(key) || "null");
      if (kept) { option.dataZoom.forEach(function (z) { z.start = kept.start; z.end = kept.end; }); }
    }
    chart.setOption(option);
    chart.on("datazoom", function () {
      var zoom = chart.getOption().dataZoom[0];
      sessionStorage.setItem(key, JSON.stringify({ start: zoom.start, end: zoom.end }));
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.rendered = "1";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var placeholders = document.querySelectorAll("[data-spec]");
    if (placeholders.length && typeof echarts === "undefined") {
      /* the vendored library did not load: say so (a test waits for this mark, then fails with it) */
      document.documentElement.dataset.charts = "no-echarts";
      console.error("charts: /static/vendor/echarts/echarts.min.js did not load; " + placeholders.length + " charts not drawn");
      return;
    }
    placeholders.forEach(draw);
    /* every chart of the page is drawn: the mark a test (or a screenshot tool) waits for */
    document.documentElement.dataset.charts = String(placeholders.length);
  });
})();
