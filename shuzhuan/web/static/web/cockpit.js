// 统计驾驶舱: draws the charts described in the page's #cockpit-charts JSON with ECharts (served by
// shuzhuan itself from node_modules, no CDN). Every datum carries the URL of the records behind
// it; clicking a bar or point opens that list. Each chart element gets data-rendered="1" once
// ECharts has finished drawing (the browser tests wait for it).
(function () {
  "use strict";

  function tooltip(params) {
    var d = params.data || {};
    var shown = d.display || params.value;
    return params.name + "<br>" + params.marker + params.seriesName + "：" + shown +
      (d.url ? '<br><span style="color:#6c757d">点击查看记录</span>' : "");
  }

  function option(chart) {
    var horizontal = !!chart.horizontal;
    var valueAxes = [{ type: "value", name: chart.unit, minInterval: chart.unit === "万元" ? 0 : 1 }];
    if (chart.second_unit) {
      valueAxes.push({ type: "value", name: chart.second_unit, minInterval: 1, splitLine: { show: false } });
    }
    var categoryAxis = {
      type: "category",
      data: chart.categories,
      axisLabel: horizontal ? { width: 130, overflow: "truncate" } : { interval: 0, rotate: chart.categories.length > 4 ? 20 : 0, width: 110, overflow: "truncate" }
    };
    return {
      animation: false,
      tooltip: { trigger: "item", confine: true, formatter: tooltip },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: horizontal ? valueAxes[0] : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxes,
      series: chart.series.map(function (s) {
        var out = { name: s.name, type: s.type, data: s.data, cursor: "pointer", emphasis: { focus: "series" } };
        if (s.stack) { out.stack = s.stack; }
        if (s.yAxisIndex && !horizontal) { out.yAxisIndex = s.yAxisIndex; }
        if (s.type === "line") { out.symbolSize = 8; }
        return out;
      })
    };
  }

  function draw() {
    var source = document.getElementById("cockpit-charts");
    if (!source || typeof window.echarts === "undefined") { return; }
    var charts = JSON.parse(source.textContent);
    var drawn = [];
    charts.forEach(function (chart) {
      var el = document.getElementById("chart-" + chart.id);
      if (!el) { return; }
      var instance = window.echarts.init(el, null, { renderer: "canvas" });
      instance.on("finished", function () { el.setAttribute("data-rendered", "1"); });
      instance.setOption(option(chart));
      instance.on("click", function (params) {
        if (params.data && params.data.url) { window.location.href = params.data.url; }
      });
      drawn.push(instance);
    });
    window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
