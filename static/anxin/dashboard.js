/* Dashboards: draws every <div data-chart="ID"> with Apache ECharts from the JSON in
 * <script type="application/json" id="ID"> (Django's json_script), as grouped bars over the
 * categories. Each bar drills down: a click opens series.links[dataIndex], the list of the items
 * it counts. No inline script or style (CSP): loaded with <script src>. */
(function () {
  "use strict";

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source || typeof echarts === "undefined") return;
    var chart = JSON.parse(source.textContent);
    var instance = echarts.init(el);
    instance.setOption({
      animation: false,
      tooltip: { trigger: "item" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 16, top: 40, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: chart.categories, axisLabel: { rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: chart.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data, cursor: "pointer" };
      }),
    });
    instance.on("click", function (params) {
      var series = chart.series[params.seriesIndex];
      var link = series && series.links[params.dataIndex];
      if (link) window.location.assign(link);
    });
    window.addEventListener("resize", function () {
      instance.resize();
    });
    el.setAttribute("data-ready", "1");
  }

  function start() {
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
