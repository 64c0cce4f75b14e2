/**
 * The page's own inline script, as plain browser JavaScript (ES2017, no build step): it reads the chart
 * specs from the JSON data block with JSON.parse, turns each into a Chart.js configuration, draws the
 * charts of the visible run, and switches runs. It never writes markup: text goes in with textContent.
 * Kept as a string, not a compiled function, so what the CSP hash covers is exactly what is tested.
 */
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var DATA = JSON.parse(document.getElementById('report-data').textContent);
  var FLAG_COLOUR = '#B00020';

  function fmt(v) {
    if (v === null || v === undefined || isNaN(v)) return '–';
    var a = Math.abs(v);
    if (a === 0) return '0';
    if (a >= 1000) return Math.round(v).toLocaleString('en-US');
    return String(Number(v.toPrecision(3)));
  }

  // x = 1/(1-p): 1 is 0 %, 2 is 50 %, 10 is 90 %, 100 is 99 % ...
  function percentLabel(x) {
    if (x <= 1) return '0%';
    var digits = Math.max(0, Math.round(Math.log10(x)) - 2);
    return (100 * (1 - 1 / x)).toFixed(digits) + '%';
  }

  function percentTitle(x) {
    var p = 100 * (1 - 1 / x);
    return 'p' + (p >= 99 ? p.toFixed(Math.max(1, Math.ceil(Math.log10(x)) - 1)) : p.toFixed(1)) + ' %';
  }

  // Log axes label 1, 2 and 5 times a power of ten, or only powers of ten over a wide range.
  function logTick(value) {
    if (value <= 0) return '';
    var exponent = Math.floor(Math.log10(value) + 1e-9);
    var mantissa = Math.round((value / Math.pow(10, exponent)) * 1000) / 1000;
    var wide = this.max / this.min > 1e3;
    var keep = wide ? [1] : [1, 2, 5];
    return keep.indexOf(mantissa) >= 0 ? fmt(value) : '';
  }

  function axis(spec, position) {
    var a = { position: position, title: { display: true, text: spec.title, color: '#444', font: { weight: '600' } }, grid: { color: '#e8eaee' }, ticks: {} };
    if (spec.scale === 'percentile') {
      a.type = 'logarithmic';
      a.min = 1;
      a.afterBuildTicks = function (scale) {
        var ticks = [{ value: 1 }, { value: 2 }];
        for (var v = 10; v <= scale.max * 1.0001; v *= 10) ticks.push({ value: v });
        scale.ticks = ticks;
      };
      a.ticks = { callback: percentLabel, autoSkip: false, maxRotation: 0 };
    } else if (spec.scale === 'logarithmic') {
      a.type = 'logarithmic';
      a.ticks = { callback: logTick, autoSkip: true };
    } else if (spec.scale === 'category') {
      a.type = 'category';
      a.ticks = { autoSkip: false, maxRotation: 30 };
    } else {
      a.type = 'linear';
      a.ticks = { callback: fmt };
    }
    if (spec.min !== undefined && spec.scale !== 'percentile') a.min = spec.min;
    if (spec.stacked) a.stacked = true;
    return a;
  }

  function perPoint(flags, flagged, plain) {
    if (!flags || flags.indexOf(true) < 0) return plain;
    return flags.map(function (f) { return f ? flagged : plain; });
  }

  function dataset(spec, d) {
    var line = (d.type || spec.type) === 'line';
    var ds = {
      label: d.label,
      data: d.data,
      yAxisID: d.axis || 'y',
      borderColor: d.colour,
      backgroundColor: d.colour,
      groupKey: d.group,
      legendHidden: !!d.legendHidden,
      legendColour: d.legendColour
    };
    if (d.type) ds.type = d.type;
    if (d.stack) ds.stack = d.stack;
    if (line) {
      ds.fill = false;
      ds.tension = 0;
      ds.spanGaps = false;
      ds.borderWidth = d.dashed ? 1.5 : 2.5;
      ds.borderDash = d.dashed ? [6, 4] : [];
      var plainRadius = spec.x.scale === 'percentile' ? 0 : 3;
      ds.pointRadius = perPoint(d.flagged, 7, plainRadius);
      ds.pointHoverRadius = 5;
      ds.pointStyle = perPoint(d.flagged, 'triangle', 'circle');
      ds.pointBackgroundColor = perPoint(d.flagged, FLAG_COLOUR, d.colour);
      ds.pointBorderColor = perPoint(d.flagged, FLAG_COLOUR, d.colour);
    } else {
      ds.borderWidth = perPoint(d.flagged, 3, 0);
      ds.borderColor = perPoint(d.flagged, FLAG_COLOUR, 'rgba(0,0,0,0)');
      ds.borderRadius = 3;
      ds.maxBarThickness = 56;
    }
    return ds;
  }

  function unitOf(spec, axisId) {
    var a = axisId === 'y2' ? spec.y2 : spec.y;
    return a && a.unit ? ' ' + a.unit : '';
  }

  function config(spec) {
    var scales = { x: axis(spec.x, 'bottom'), y: axis(spec.y, 'left') };
    if (spec.y2) {
      scales.y2 = axis(spec.y2, 'right');
      scales.y2.grid = { drawOnChartArea: false };
    }
    var percentile = spec.x.scale === 'percentile';
    return {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets.map(function (d) { return dataset(spec, d); }) },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: spec.type === 'line' ? { mode: 'nearest', intersect: false } : { mode: 'index', intersect: false },
        scales: scales,
        plugins: {
          legend: {
            position: 'bottom',
            labels: {
              boxWidth: 14,
              boxHeight: 10,
              // Lines get a line swatch (dashed when the line is), bars a filled box.
              usePointStyle: spec.type === 'line',
              pointStyle: 'line',
              pointStyleWidth: 26,
              filter: function (item, chartData) { return !chartData.datasets[item.datasetIndex].legendHidden; },
              generateLabels: function (chart) {
                var items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
                items.forEach(function (item) {
                  var ds = chart.data.datasets[item.datasetIndex];
                  var colour = ds.legendColour || (typeof ds.backgroundColor === 'string' ? ds.backgroundColor : '#888');
                  item.fillStyle = colour;
                  item.strokeStyle = colour;
                  item.lineWidth = spec.type === 'line' ? 3 : 0;
                  item.lineDash = ds.borderDash && ds.borderDash.length ? [5, 3] : [];
                  item.pointStyle = 'line';
                });
                return items;
              }
            },
            // A transport's p50 and p99 lines hide and show together.
            onClick: function (event, item, legend) {
              var chart = legend.chart;
              var group = chart.data.datasets[item.datasetIndex].groupKey;
              var visible = chart.isDatasetVisible(item.datasetIndex);
              chart.data.datasets.forEach(function (ds, i) {
                if (i === item.datasetIndex || (group && ds.groupKey === group)) chart.setDatasetVisibility(i, !visible);
              });
              chart.update();
            }
          },
          tooltip: {
            callbacks: {
              title: function (items) {
                if (!items.length) return '';
                return percentile ? percentTitle(items[0].parsed.x) : (spec.labels ? items[0].label : fmt(items[0].parsed.x) + unitOf({ y: spec.x }, 'y'));
              },
              label: function (ctx) {
                return ctx.dataset.label + ': ' + fmt(ctx.parsed.y) + unitOf(spec, ctx.dataset.yAxisID);
              }
            }
          }
        }
      }
    };
  }

  function draw(canvas) {
    if (canvas.getAttribute('data-drawn') === 'yes') return;
    var spec = DATA.charts[canvas.id];
    if (!spec) return;
    try {
      new Chart(canvas, config(spec));
      canvas.setAttribute('data-drawn', 'yes');
    } catch (error) {
      var note = document.createElement('p');
      note.className = 'chart-error';
      note.textContent = 'This chart could not be drawn: ' + (error && error.message ? error.message : String(error));
      canvas.parentNode.appendChild(note);
      console.error(error);
    }
  }

  function drawVisible() {
    var canvases = document.querySelectorAll('section.run:not([hidden]) canvas[data-chart]');
    for (var i = 0; i < canvases.length; i++) draw(canvases[i]);
  }

  if (typeof Chart === 'undefined') {
    var boxes = document.querySelectorAll('.chart-box');
    for (var b = 0; b < boxes.length; b++) boxes[b].textContent = 'Charts unavailable: Chart.js did not load.';
    return;
  }
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#333';

  var select = document.getElementById('run-select');
  if (select) {
    select.addEventListener('change', function () {
      var runs = document.querySelectorAll('section.run');
      for (var i = 0; i < runs.length; i++) runs[i].hidden = runs[i].getAttribute('data-run') !== select.value;
      drawVisible();
    });
  }
  drawVisible();
})();
`;
