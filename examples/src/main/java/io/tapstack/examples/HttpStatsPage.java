package io.tapstack.examples;

/**
 * The live part of the {@code /stats} page: a table of the stack's TCP connections (as {@code ss -ti} shows them)
 * with a cwnd chart each, and the counters' tables, kept up to date by a few lines of plain JavaScript that poll
 * {@code /stats/connections.json} and {@code /stats.json} each second and draw the charts as SVG. Nothing is
 * fetched from anywhere else (no framework, no CDN); every value goes into the page as text, never as markup.
 */
final class HttpStatsPage
{
    /** Columns of the connections table: the JSON's field names, in order. */
    private static final String[] COLUMNS = {"local", "remote", "state", "cwnd", "ssthresh", "srtt_us", "rto_ms",
        "bytes_in_flight", "bytes_acked", "bytes_received", "retransmits"};

    private static final String SCRIPT = """
        (function () {
          'use strict';
          var NS = 'http://www.w3.org/2000/svg';
          var COLUMNS = %s;
          function el(name, text) {
            var e = document.createElement(name);
            if (text !== undefined) { e.textContent = text; }
            return e;
          }
          function svg(name, attrs) {
            var e = document.createElementNS(NS, name);
            Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
            return e;
          }
          function chart(history) {
            var s = svg('svg', {width: 300, height: 75, viewBox: '0 0 360 90', 'class': 'cwnd'});
            s.appendChild(svg('rect', {x: 0, y: 0, width: 360, height: 90, fill: '#f7f7f7'}));
            var t0 = history.length ? history[0][0] : 0;
            var span = history.length ? Math.max(1, history[history.length - 1][0] - t0) : 1;
            var max = 1;
            history.forEach(function (p) { max = Math.max(max, p[1]); });
            var points = history.map(function (p) {
              return (5 + 350 * (p[0] - t0) / span).toFixed(1) + ',' + (85 - 70 * p[1] / max).toFixed(1);
            });
            s.appendChild(svg('polyline', {points: points.join(' '), fill: 'none', stroke: '#1565c0',
              'stroke-width': 1.5}));
            if (points.length) {
              var last = points[points.length - 1].split(',');
              s.appendChild(svg('circle', {cx: last[0], cy: last[1], r: 2.5, fill: '#1565c0'})); // the latest sample
            }
            var label = svg('text', {x: 5, y: 11, 'font-size': 10, fill: '#333'});
            label.textContent = 'cwnd, max ' + max + ' B, last ' + Math.round(span / 1000) + ' s';
            s.appendChild(label);
            return s;
          }
          function connections(data) {
            var body = document.getElementById('connections');
            body.textContent = '';
            data.connections.forEach(function (c) {
              var tr = el('tr');
              tr.className = 'connection';
              COLUMNS.forEach(function (f) { tr.appendChild(el('td', c[f] === null ? '-' : String(c[f]))); });
              var td = el('td');
              td.appendChild(chart(c.cwnd_history));
              tr.appendChild(td);
              body.appendChild(tr);
            });
            document.getElementById('connections-summary').textContent = data.connections.length + ' of '
              + data.total + ' connections listed (at most ' + data.max_listed + '; '
              + data.history_points + ' samples of cwnd kept per connection, one each ' + data.period_ms + ' ms)';
          }
          function counters(id, values, skipZero) {
            var body = document.getElementById(id);
            body.textContent = '';
            Object.keys(values).forEach(function (k) {
              if (skipZero && values[k] === 0) { return; }
              var tr = el('tr');
              tr.appendChild(el('td', k));
              var v = el('td', values[k].toLocaleString('en'));
              v.className = 'n';
              tr.appendChild(v);
              body.appendChild(tr);
            });
          }
          function get(url) {
            return fetch(url, {cache: 'no-store'}).then(function (r) {
              if (!r.ok) { throw new Error(url + ': ' + r.status); }
              return r.json();
            });
          }
          function poll() {
            Promise.all([get('/stats/connections.json'), get('/stats.json')]).then(function (both) {
              connections(both[0]);
              counters('http-counters', both[1].http, false);
              counters('stack-counters', both[1].counters, true);
              document.getElementById('updated').textContent = 'updated ' + new Date().toISOString();
            }).catch(function (e) {
              document.getElementById('updated').textContent = 'not updating: ' + e.message;
            }).then(function () { setTimeout(poll, 1000); });
          }
          poll();
        })();
        """;

    private HttpStatsPage()
    {
    }

    /** The connections section: the table's head, an empty body the script fills, and the script. */
    static void appendConnections(final StringBuilder sb)
    {
        sb.append("<h2>TCP connections</h2>\n<p id=\"connections-summary\">loading…</p>\n")
            .append("<table class=\"connections\">\n<thead><tr>");
        for (final String column : COLUMNS)
        {
            sb.append("<th>").append(column).append("</th>");
        }
        sb.append("<th>cwnd over time</th></tr></thead>\n<tbody id=\"connections\"></tbody>\n</table>\n");
    }

    static void appendScript(final StringBuilder sb)
    {
        final StringBuilder columns = new StringBuilder("[");
        for (int i = 0; i < COLUMNS.length; i++)
        {
            columns.append(i == 0 ? "'" : ", '").append(COLUMNS[i]).append('\'');
        }
        sb.append("<script>\n").append(String.format(SCRIPT, columns.append(']'))).append("</script>\n");
    }
}
