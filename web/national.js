/* national.js — the national dashboard page (quoc-gia.html): the provinces
   ranked for one period and a province's units as received, over
   /api/v1/national/ranking and /api/v1/national/province (docs/national.md).
   Hash routes: #/xep-hang?period=P, #/tinh/<code>?period=P[&version=N].
   The access token, as in app.js, travels only as "Authorization: Bearer". */
'use strict';
(function () {
  var POLL_MS = 10000;
  var LEVELS = { so: 'Sở, ban, ngành', huyen: 'UBND cấp huyện', xa: 'UBND cấp xã' };
  var STATUS = { reported: 'Đã gửi', partial: 'Đang gửi', missing: 'Chưa gửi' };
  var token = null, last = null;
  var nf2 = new Intl.NumberFormat('vi-VN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var nf1 = new Intl.NumberFormat('vi-VN', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  function num(v) { return typeof v === 'number' && isFinite(v); }
  function f2(v) { return num(v) ? nf2.format(v) : '–'; }
  function rate(v) { return num(v) ? nf1.format(v * 100) + '%' : '–'; }
  function change(v) {
    if (!num(v)) return '–';
    if (Math.abs(v) < 0.005) return '= 0,00';
    return (v > 0 ? '▲ +' : '▼ −') + nf2.format(Math.abs(v));
  }
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') el.textContent = v;
      else if (k === 'cls') el.className = v;
      else el.setAttribute(k, v);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      (Array.isArray(c) ? c : [c]).forEach(function (x) {
        el.appendChild(typeof x === 'object' ? x : document.createTextNode(String(x)));
      });
    }
    return el;
  }
  function api(path) {
    var headers = {};
    if (token) headers.Authorization = 'Bearer ' + token;
    return fetch(path, { headers: headers, cache: 'no-cache' }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (j) {
        if (!r.ok) throw new Error((j && j.error) || ('HTTP ' + r.status));
        return j;
      });
    });
  }
  /* The ranking's files (the server's presentation code, the province's
     exports and printable report): plain links without a token; with one,
     fetched with the header and handed over as an object URL (a token never
     goes into a link, as in app.js). */
  function fileLink(cls, path, text, view) {
    var a = h('a', { cls: cls, href: path, text: text, target: view ? '_blank' : null,
                     rel: view ? 'noopener' : null });
    a.addEventListener('click', function (ev) {
      if (!token) return;
      ev.preventDefault();
      var win = view ? window.open('', '_blank') : null;
      fetch(path, { headers: { Authorization: 'Bearer ' + token }, cache: 'no-cache' })
        .then(function (r) {
          if (!r.ok) throw new Error('HTTP ' + r.status);
          var m = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') || '');
          return r.blob().then(function (b) { return { blob: b, name: m ? m[1] : 'cchc-quoc-gia' }; });
        })
        .then(function (f) {
          var href = URL.createObjectURL(f.blob);
          if (win) { win.location = href; return; }
          var t = h('a', { href: href, download: f.name });
          document.body.appendChild(t); t.click(); document.body.removeChild(t);
          setTimeout(function () { URL.revokeObjectURL(href); }, 60000);
        })
        .catch(function (e) { if (win) win.close(); window.alert('Không tải được tệp: ' + e.message); });
    });
    return a;
  }
  function files(period) {
    var q = '?period=' + encodeURIComponent(period);
    return h('p', { cls: 'actions' },
      fileLink('btn', '/api/v1/national/ranking.csv' + q, 'Tải CSV'), ' ',
      fileLink('btn', '/api/v1/national/ranking.xlsx' + q, 'Tải Excel (XLSX)'), ' ',
      fileLink('btn', '/api/v1/national/report.html' + q, 'Bản in báo cáo', true), ' ',
      fileLink('btn primary', '/api/v1/national/report.pdf' + q, 'Báo cáo PDF'));
  }
  function route() {
    var hash = location.hash.replace(/^#/, '') || '/xep-hang';
    var q = hash.indexOf('?') >= 0 ? new URLSearchParams(hash.slice(hash.indexOf('?') + 1))
                                   : new URLSearchParams();
    var path = hash.split('?')[0].split('/').filter(Boolean);
    return { view: path[0] || 'xep-hang', code: path[1] || null,
             period: q.get('period') || document.getElementById('period').value || '',
             version: q.get('version') };
  }
  function ranking(d, period) {
    var cards = h('div', { cls: 'cards' },
      h('div', { cls: 'card' }, h('div', { cls: 'label', text: 'Tỉnh, thành phố' }),
        h('div', { cls: 'value', text: d.structure.provinces }),
        h('div', { cls: 'note', text: d.structure.districts ? 'có cấp huyện' : 'không còn cấp huyện' })),
      h('div', { cls: 'card good' }, h('div', { cls: 'label', text: 'Đã gửi' }),
        h('div', { cls: 'value', text: d.reported })),
      h('div', { cls: d.missing ? 'card bad' : 'card' }, h('div', { cls: 'label', text: 'Chưa gửi' }),
        h('div', { cls: 'value', text: d.missing })),
      h('div', { cls: d.late ? 'card warn' : 'card' }, h('div', { cls: 'label', text: 'Gửi muộn' }),
        h('div', { cls: 'value', text: d.late }),
        h('div', { cls: 'note', text: 'hạn ' + d.deadline.split('-').reverse().join('/') })));
    var body = h('tbody');
    d.provinces.forEach(function (p) {
      var lv = p.levels || {};
      var link = h('a', { href: '#/tinh/' + encodeURIComponent(p.code) + '?period=' + period,
                          text: p.name });
      var plan = (p.plan || []).map(function (x) {
        return h('span', { cls: x.met ? 'tag ok' : 'tag bad',
                           text: x.indicator + ' ' + rate(x.value) + ' / ' + rate(x.target) });
      });
      body.appendChild(h('tr', null,
        h('td', { cls: 'num', text: p.rank || '–' }),
        h('td', { cls: 'name' }, link),
        h('td', { cls: 'num', text: f2(p.score) }),
        h('td', { cls: 'num', text: change(p.change) }),
        h('td', { cls: 'num', text: lv.so ? f2(lv.so.index) : '–' }),
        h('td', { cls: 'num', text: lv.huyen ? f2(lv.huyen.index) : '–' }),
        h('td', { cls: 'num', text: lv.xa ? f2(lv.xa.index) : '–' }),
        h('td', null, plan),
        h('td', null,
          h('span', { cls: p.status === 'reported' ? 'tag ok' : p.status === 'partial' ? 'tag warn' : 'tag bad',
                      text: STATUS[p.status] || p.status }),
          p.late ? h('span', { cls: 'tag warn', text: 'Muộn' }) : null,
          p.revised ? h('span', { cls: 'tag info', text: 'Đã sửa (phiên bản ' + p.version + ')' }) : null)));
    });
    return [h('h2', { text: 'Xếp hạng các tỉnh, thành phố — kỳ ' + d.period }), cards, files(d.period),
      h('div', { cls: 'table-wrap' }, h('table', { id: 'national-ranking' },
        h('thead', null, h('tr', null, h('th', { cls: 'num', text: 'Hạng' }),
          h('th', { text: 'Tỉnh, thành phố' }), h('th', { cls: 'num', text: 'Điểm' }),
          h('th', { cls: 'num', text: 'Thay đổi' }), h('th', { cls: 'num', text: LEVELS.so }),
          h('th', { cls: 'num', text: LEVELS.huyen }), h('th', { cls: 'num', text: LEVELS.xa }),
          h('th', { text: 'Chỉ tiêu kế hoạch (đạt / mục tiêu)' }), h('th', { text: 'Tình trạng' }))),
        body))];
  }
  function province(d, period) {
    var body = h('tbody');
    d.units.forEach(function (u) {
      body.appendChild(h('tr', null, h('td', { text: LEVELS[u.level] || u.level }),
        h('td', { cls: 'num', text: u.rank || '–' }), h('td', { text: u.code }),
        h('td', { cls: 'name', text: u.name }),
        h('td', { cls: 'num', text: u.has_index ? f2(u.index) : '–' }),
        h('td', { cls: 'num', text: f2(u.earned) + ' / ' + f2(u.applicable) }),
        h('td', null, u.complete ? h('span', { cls: 'tag ok', text: 'Đủ số liệu' })
                                 : h('span', { cls: 'tag bad', text: 'Thiếu số liệu' }),
          u.on_time ? null : h('span', { cls: 'tag warn', text: 'Không đúng hạn' }))));
    });
    return [h('p', null, h('a', { href: '#/xep-hang?period=' + period, text: '← Xếp hạng các tỉnh, thành phố' })),
      h('h2', { text: 'Tỉnh ' + d.province + ' — kỳ ' + d.period + ' (phiên bản ' + d.version + ')' }),
      h('p', { cls: 'muted', text: 'Số liệu như tỉnh đã gửi: khóa lúc ' +
        new Date(d.locked_at).toLocaleString('vi-VN') + ', vị trí nhật ký ' + d.journal +
        ', bộ tiêu chí năm ' + d.cat_year + '.' }),
      h('div', { cls: 'table-wrap' }, h('table', { id: 'national-units' },
        h('thead', null, h('tr', null, h('th', { text: 'Cấp' }), h('th', { cls: 'num', text: 'Hạng' }),
          h('th', { text: 'Mã' }), h('th', { text: 'Đơn vị' }), h('th', { cls: 'num', text: 'Chỉ số' }),
          h('th', { cls: 'num', text: 'Điểm đạt / áp dụng' }), h('th', { text: 'Tình trạng' }))),
        body))];
  }
  function draw() {
    var r = route(), main = document.getElementById('main');
    if (!r.period) {
      main.textContent = 'Nhập kỳ báo cáo (ví dụ 2021-Q1) ở ô "Kỳ báo cáo".';
      return;
    }
    document.getElementById('period').value = r.period;
    var url = r.view === 'tinh' && r.code
      ? '/api/v1/national/province?province=' + encodeURIComponent(r.code) + '&period=' +
        encodeURIComponent(r.period) + (r.version ? '&version=' + encodeURIComponent(r.version) : '')
      : '/api/v1/national/ranking?period=' + encodeURIComponent(r.period);
    api(url).then(function (d) {
      var key = url + JSON.stringify(d);
      if (key === last) return;
      last = key;
      main.textContent = '';
      (r.view === 'tinh' ? province (d, r.period) : ranking (d, r.period)).forEach(function (el) {
        main.appendChild(el);
      });
      document.getElementById('updated').textContent = 'Cập nhật ' +
        new Date().toLocaleTimeString('vi-VN');
    }).catch(function (e) {
      last = null;
      main.textContent = 'Không tải được số liệu: ' + e.message;
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    var qs = new URLSearchParams(location.search);
    token = qs.get('token') || sessionStorage.getItem('cchc-token');
    if (qs.get('token')) {
      sessionStorage.setItem('cchc-token', qs.get('token'));
      qs.delete('token');
      history.replaceState(null, '', location.pathname + (qs.toString() ? '?' + qs : '') + location.hash);
    }
    if (qs.get('period')) document.getElementById('period').value = qs.get('period');
    document.getElementById('period').addEventListener('change', function (ev) {
      location.hash = '#/xep-hang?period=' + encodeURIComponent(ev.target.value.trim());
    });
    window.addEventListener('hashchange', draw);
    draw();
    setInterval(draw, POLL_MS);
  });
})();
