// The console's only script: it keeps the page live. Each page's regions ([data-live]) are replaced by the
// hub's re-rendered HTML as the page's event stream brings them, keeping keyboard focus where it was, and its
// charts ([data-chart], uPlot) are redrawn from the last hour's points.
(function () {
  'use strict';

  var status = document.createElement('p');
  status.className = 'live-status';
  status.setAttribute('role', 'status');
  status.textContent = 'Connecting…';
  document.querySelector('header').appendChild(status);

  var source = new EventSource('/console/live?path=' + encodeURIComponent(location.pathname));
  source.onopen = function () {
    status.textContent = 'Live';
    status.dataset.state = 'live';
  };
  source.onerror = function () {
    status.textContent = 'Reconnecting…';
    status.dataset.state = 'down';
  };

  source.addEventListener('regions', function (event) {
    var regions = JSON.parse(event.data);
    Object.keys(regions).forEach(function (name) {
      var region = document.querySelector('[data-live="' + name + '"]');
      if (!region) return;
      var active = document.activeElement;
      var focused = active && region.contains(active) && active.id ? active.id : null;
      region.innerHTML = regions[name];
      if (focused) {
        var again = document.getElementById(focused);
        if (again) again.focus();
      }
    });
    document.body.dataset.updated = String(Date.now());
  });

  var SERIES = {
    messages: [
      { label: 'sent', key: 'sent', stroke: '#1f6feb' },
      { label: 'delivered', key: 'delivered', stroke: '#2da44e' },
      { label: 'acked', key: 'acked', stroke: '#bf8700' },
    ],
    calls: [{ label: 'calls/s', key: 'calls', stroke: '#8250df' }],
    online: [{ label: 'online', key: 'online', stroke: '#2da44e' }],
  };
  var charts = new Map();

  function dataOf(kind, points) {
    var data = [
      points.map(function (p) {
        return p.at / 1000;
      }),
    ];
    SERIES[kind].forEach(function (s) {
      data.push(
        points.map(function (p) {
          return p[s.key];
        }),
      );
    });
    return data;
  }

  source.addEventListener('chart', function (event) {
    if (typeof uPlot === 'undefined') return;
    var points = JSON.parse(event.data);
    document.querySelectorAll('[data-chart]').forEach(function (element) {
      var kind = element.dataset.chart;
      if (!SERIES[kind]) return;
      var data = dataOf(kind, points);
      var chart = charts.get(element);
      if (chart) {
        chart.setData(data);
        return;
      }
      var options = {
        width: Math.max(240, element.clientWidth),
        height: 180,
        legend: { show: true },
        cursor: { show: false },
        scales: { x: { time: true } },
        axes: [{ stroke: 'currentColor' }, { stroke: 'currentColor' }],
        series: [{}].concat(
          SERIES[kind].map(function (s) {
            return { label: s.label, stroke: s.stroke, width: 2 };
          }),
        ),
      };
      charts.set(element, new uPlot(options, data, element));
    });
  });
})();
