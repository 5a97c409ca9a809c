/* app.js — the CCHC dashboard: a small single-page app over the JSON API
   (docs/api.md).  No framework, no network access beyond this server.

   Routes (hash): #/tong-quan, #/xep-hang/<so|huyen|xa>, #/don-vi/<code>,
   #/tinh-hinh-bao-cao, #/bao-cao — each with ?period=<id> (also honoured in
   the page's own query string on first load, with ?token= for servers that
   require an access token: kept in sessionStorage, removed from the address
   bar at once, sent only as "Authorization: Bearer", never put in a link).  Every view re-polls its data every few seconds
   and redraws only when the data changed. */
'use strict';
(function () {
  var POLL_MS = 5000;
  var SVG = 'http://www.w3.org/2000/svg';
  var LEVELS = [
    { code: 'so', name: 'Sở, ban, ngành' },
    { code: 'huyen', name: 'UBND huyện, thành phố' },
    { code: 'xa', name: 'UBND xã, phường, thị trấn' }
  ];
  var AREA_SHORT = {
    chi_dao: 'Chỉ đạo, điều hành', the_che: 'Thể chế', tthc: 'Thủ tục hành chính',
    bo_may: 'Bộ máy', cong_vu: 'Công vụ', tai_chinh: 'Tài chính công',
    cpdt: 'Chính phủ điện tử', hai_long: 'Sự hài lòng'
  };
  var KIND_GROUPS = [
    { kind: 'quarter', label: 'Quý' }, { kind: 'half', label: '6 tháng' },
    { kind: 'nine_months', label: '9 tháng' }, { kind: 'year', label: 'Năm' },
    { kind: 'month', label: 'Tháng' }
  ];

  var S = {
    token: null, periods: null, catalogue: null, defaultPeriod: null,
    lastKey: null, sort: {}, filter: '', problemsOnly: false, trendCode: 'index',
    busy: false, province: null
  };

  /* ---------------------------------------------------------------- helpers */

  function h(tag, attrs) {
    var el = tag.indexOf('svg:') === 0 ? document.createElementNS(SVG, tag.slice(4))
                                       : document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') el.textContent = v;
        else if (k === 'cls') el.setAttribute('class', v);
        else if (k === 'style') Object.keys(v).forEach(function (p) { el.style[p] = v[p]; });
        else if (k.indexOf('on') === 0) el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : v);
      });
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { add(el, x); }); return; }
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

  var nf0 = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 0 });
  var nf1 = new Intl.NumberFormat('vi-VN', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var nf2 = new Intl.NumberFormat('vi-VN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function fIndex(v) { return isNum(v) ? nf2.format(v) : '–'; }
  function fRate(v) { return isNum(v) ? nf1.format(v * 100) + '%' : '–'; }
  function fNum(v) {
    if (!isNum(v)) return '–';
    return Math.abs(v - Math.round(v)) < 1e-9 ? nf0.format(v) : nf2.format(v);
  }
  function fVal(v, rate) { return rate ? fRate(v) : fNum(v); }
  function fChange(v) {
    if (!isNum(v)) return '–';
    if (Math.abs(v) < 0.005) return '= 0,00';
    return (v > 0 ? '▲ +' : '▼ −') + nf2.format(Math.abs(v));
  }
  function fDate(iso) {
    if (!iso) return '–';
    var p = iso.slice(0, 10).split('-');
    return p[2] + '/' + p[1] + '/' + p[0];
  }
  /* An agent's clock against the collector's, from its reports (ms: > 0 ahead;
     < 0 behind, or its reports waited in its outbox).  Under 2 s: agrees. */
  var SKEW_WARN_MS = 60000;
  function fSkew(ms) {
    if (ms === null || ms === undefined) return '–';
    var a = Math.abs(ms);
    if (a < 2000) return 'Khớp';
    var m = Math.floor(a / 60000), sec = Math.round((a % 60000) / 1000);
    var t = a >= 86400000 ? nf0.format(Math.round(a / 3600000)) + ' giờ'
          : (m ? nf0.format(m) + ' phút ' : '') + sec + ' giây';
    return (ms > 0 ? 'nhanh ' : 'chậm ') + t;
  }
  function skewCell(ms) {
    var off = ms !== null && ms !== undefined && Math.abs(ms) >= SKEW_WARN_MS;
    return h('td', { cls: 'skew', title: 'Đồng hồ máy đơn vị so với máy chủ tỉnh, theo giờ ghi trong bản tin gần nhất' },
      off ? h('span', { cls: 'tag warn', text: fSkew(ms) }) : fSkew(ms));
  }
  function fTime(iso) {
    if (!iso) return '–';
    return fDate(iso) + ' ' + iso.slice(11, 16);
  }
  function pct(v) { return Math.max(0, Math.min(100, v * 100)) + '%'; }
  function levelName(code) {
    for (var i = 0; i < LEVELS.length; i++) if (LEVELS[i].code === code) return LEVELS[i].name;
    return code;
  }
  function shortPeriod(p) {
    var m = /^(\d{4})-Q(\d)$/.exec(p);
    if (m) return 'Q' + m[2] + '/' + m[1];
    m = /^(\d{4})-H(\d)$/.exec(p);
    if (m) return '6T' + (m[2] === '1' ? ' đầu ' : ' cuối ') + m[1];
    m = /^(\d{4})-9M$/.exec(p);
    if (m) return '9T ' + m[1];
    m = /^(\d{4})-(\d{2})$/.exec(p);
    if (m) return 'T' + Number(m[2]) + '/' + m[1];
    return 'Năm ' + p;
  }
  function indicatorInfo(code) {
    var list = (S.catalogue && S.catalogue.indicators) || [];
    for (var i = 0; i < list.length; i++) if (list[i].code === code) return list[i];
    return null;
  }

  /* ------------------------------------------------------------------ data */

  /* The access token travels only in the Authorization header, never in a
     link: a link with ?token= ends up in the history, bookmarks, copied
     addresses, proxies' logs.  An export with a token is fetched with the
     header and handed to the browser as a file (an object URL). */
  function download(url, ev) {
    if (!S.token) return;               /* no token: the plain link works */
    ev.preventDefault();
    fetch(url, { headers: { Authorization: 'Bearer ' + S.token }, cache: 'no-cache' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        var cd = r.headers.get('Content-Disposition') || '';
        var m = /filename="([^"]+)"/.exec(cd);
        return r.blob().then(function (b) { return { blob: b, name: m ? m[1] : 'cchc-export' }; });
      })
      .then(function (f) {
        var href = URL.createObjectURL(f.blob);
        var a = h('a', { href: href, download: f.name, style: { display: 'none' } });
        document.body.appendChild(a);
        a.click();
        document.body.removeChild(a);
        setTimeout(function () { URL.revokeObjectURL(href); }, 60000);
      })
      .catch(function (e) { window.alert('Không tải được tệp: ' + e.message); });
  }
  function api(path) {
    var headers = {};
    if (S.token) headers.Authorization = 'Bearer ' + S.token;
    return fetch(path, { headers: headers, cache: 'no-cache' }).then(function (r) {
      return r.text().then(function (text) {
        var json = null;
        try { json = JSON.parse(text); } catch (e) { json = null; }
        if (!r.ok || !json) {
          var msg = json && json.error ? json.error : ('HTTP ' + r.status);
          var err = new Error(msg);
          err.status = r.status;
          throw err;
        }
        return { json: json, text: text };
      });
    });
  }
  function loadAll(paths) {
    return Promise.all(paths.map(api));
  }

  /* ---------------------------------------------------------------- routing */

  function route() {
    var raw = location.hash.replace(/^#\/?/, '');
    var q = raw.indexOf('?');
    var path = q < 0 ? raw : raw.slice(0, q);
    var params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    var parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    var view = parts[0] || 'tong-quan';
    return { view: view, arg: parts[1] || null, period: params.get('period') };
  }
  function currentPeriod() {
    return route().period || S.defaultPeriod;
  }
  function link(view, arg, period) {
    return '#/' + view + (arg ? '/' + encodeURIComponent(arg) : '') +
           '?period=' + encodeURIComponent(period || currentPeriod());
  }
  function periodInfo(id) {
    var list = (S.periods && S.periods.periods) || [];
    for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i];
    return null;
  }

  /* --------------------------------------------------------------- chrome */

  function fillPeriodSelect() {
    var sel = document.getElementById('period');
    var cur = currentPeriod();
    clear(sel);
    var list = S.periods.periods;
    var found = false;
    KIND_GROUPS.forEach(function (g) {
      var group = h('optgroup', { label: g.label });
      list.filter(function (p) { return p.kind === g.kind; }).forEach(function (p) {
        var label = p.name + (p.state === 'locked' ? ' — đã khóa' : ' — tạm tính');
        var opt = h('option', { value: p.id, text: label });
        if (p.id === cur) { opt.selected = true; found = true; }
        group.appendChild(opt);
      });
      if (group.childNodes.length) sel.appendChild(group);
    });
    if (!found && cur) {
      var extra = h('option', { value: cur, text: cur });
      extra.selected = true;
      sel.insertBefore(extra, sel.firstChild);
    }
  }
  function updateChrome(period) {
    var r = route();
    Array.prototype.forEach.call(document.querySelectorAll('#nav a'), function (a) {
      var v = a.getAttribute('data-view');
      a.classList.toggle('active', v === r.view || (v === 'xep-hang' && r.view === 'don-vi'));
      var arg = v === 'xep-hang' ? (r.view === 'xep-hang' && r.arg ? r.arg : 'so') : null;
      a.setAttribute('href', link(v, arg, period.id));
    });
    var badge = document.getElementById('state');
    badge.className = 'badge ' + period.state;
    badge.textContent = period.state === 'locked'
      ? (period.after_lock_units > 0 ? 'ĐÃ KHÓA · có điều chỉnh sau khóa sổ' : 'ĐÃ KHÓA SỐ LIỆU')
      : period.state === 'closed' ? 'TẠM TÍNH · chờ khóa ' + fDate(period.lock_day)
      : 'TẠM TÍNH · kỳ đang diễn ra';
    var sel = document.getElementById('period');
    if (sel.value !== period.id) fillPeriodSelect();
  }
  /* each level's due day (Decree 09/2019 Art. 8), "18/03/2021" when they agree */
  function dueDays(period) {
    var d = period.due_days;
    if (!d || (d.so === d.huyen && d.huyen === d.xa)) return fDate(d ? d.so : period.due_day);
    return 'sở ' + fDate(d.so) + ', huyện ' + fDate(d.huyen) + ', xã ' + fDate(d.xa);
  }
  function unitDue(period, level) {
    return period.due_days && period.due_days[level] ? period.due_days[level] : period.due_day;
  }
  function stateBanner(period, asOf) {
    var text;
    if (period.state === 'locked') {
      text = 'Số liệu ' + period.name + ' đã khóa ngày ' + fDate(period.lock_day) +
             ': đây là số liệu chính thức.';
      if (period.after_lock_units > 0)
        text += ' Có điều chỉnh sau khóa sổ: ' + period.after_lock_units +
                ' đơn vị gửi số liệu điều chỉnh sau khi khóa, đang chờ — số liệu đã khóa không đổi ' +
                'cho đến khi Sở Nội vụ mở lại kỳ (cchcctl period reopen).';
    }
    else if (period.state === 'closed')
      text = 'Số liệu TẠM TÍNH: kỳ ' + period.name + ' đã kết thúc ngày ' + fDate(period.last_day) +
             '; số liệu gửi bổ sung vẫn được cập nhật đến khi khóa ngày ' + fDate(period.lock_day) + '.';
    else
      text = 'Số liệu TẠM TÍNH: kỳ ' + period.name + ' đang diễn ra (' + fDate(period.first_day) +
             ' – ' + fDate(period.last_day) + '), hạn gửi số liệu: ' + dueDays(period) + '.';
    return h('div', { cls: 'banner ' + period.state },
             text, asOf ? ' Tính đến ' + fTime(asOf) + '.' : '');
  }
  function pageHead(title, period) {
    return h('div', { cls: 'page-head' }, h('h2', { text: title }),
             h('span', { cls: 'period-name', text: period.name }));
  }
  function showError(err) {
    var main = document.getElementById('main');
    clear(main);
    var msg = err.status === 401 ? 'Máy chủ yêu cầu mã truy cập: mở trang với địa chỉ có ?token=…'
      : err.status === 404 ? 'Không tìm thấy kỳ báo cáo hoặc đơn vị này.'
      : err.status === 503 ? 'Số liệu đang được tổng hợp; trang sẽ tự tải lại sau ít giây.'
      : err.status ? 'Máy chủ báo lỗi (' + err.status + ').'
      : 'Không kết nối được với máy chủ; trang sẽ tự thử lại.';
    main.appendChild(h('div', { cls: 'error' },
      h('b', { text: 'Không tải được dữ liệu. ' }), msg,
      err.message ? h('div', { cls: 'muted', text: 'Chi tiết: ' + err.message }) : null));
  }

  /* ------------------------------------------------------------- overview */

  function progress(value, target, met, small) {
    var bar = h('div', { cls: 'bar' + (small ? ' small' : '') });
    var cls = !isNum(value) ? 'fill na' : met ? 'fill met' : 'fill';
    bar.appendChild(h('div', { cls: cls, style: { width: isNum(value) ? pct(value) : '0%' } }));
    if (isNum(target))
      bar.appendChild(h('div', { cls: 'mark', title: 'Mục tiêu ' + fRate(target),
                                 style: { left: 'calc(' + pct(target) + ' - 1px)' } }));
    return bar;
  }
  function goalText(t, target) {
    if (!isNum(target)) return 'Mục tiêu theo từng cấp';
    return 'Mục tiêu ' + (t.better === 'lower' ? '≤ ' : t.rate && target < 1 ? '≥ ' : '') +
           fVal(target, t.rate);
  }
  function targetCard(t) {
    var levelsDiffer = !isNum(t.target);
    var lvMet = (t.levels || []).filter(function (l) { return l.met; }).length;
    var lvData = (t.levels || []).filter(function (l) { return l.value !== null; }).length;
    var met = levelsDiffer ? lvData > 0 && lvMet === lvData : t.met;
    var state = t.value === null ? 'nodata' : met ? 'met' : 'unmet';
    var card = h('div', { cls: 'target ' + state, 'data-indicator': t.indicator },
      h('div', { cls: 't-name', text: t.name }),
      h('div', { cls: 't-area', text: t.area_name }),
      h('div', { cls: 't-figures' },
        h('span', { cls: 't-value', text: fVal(t.value, t.rate) }),
        h('span', { cls: 't-goal', text: goalText(t, t.target) }),
        h('span', { cls: 't-verdict', text: state === 'nodata' ? 'Chưa có số liệu'
          : levelsDiffer ? (met ? 'Đạt' : 'Chưa đạt') + ' (' + lvMet + '/' + lvData + ' cấp)'
          : met ? 'Đạt' : 'Chưa đạt' })),
      t.rate ? progress(t.value, t.target, met, false) : null);
    var lv = h('div', { cls: 'levels' });
    (t.levels || []).forEach(function (l) {
      lv.appendChild(h('span', { text: l.level_name }));
      lv.appendChild(t.rate ? progress(l.value, l.target, l.met, true) : h('span'));
      lv.appendChild(h('span', { cls: 'lv-val', text: fVal(l.value, t.rate) }));
      lv.appendChild(h('span', { cls: 'lv-goal', text: isNum(l.target) ? fVal(l.target, t.rate) : '' }));
    });
    card.appendChild(lv);
    card.appendChild(h('div', { cls: 't-foot' },
      'Tính trên ' + nf0.format(t.units) + ' đơn vị có số liệu' +
      (t.units_missing ? '; ' + nf0.format(t.units_missing) + ' đơn vị thiếu số liệu' : '') +
      (isNum(t.denominator) ? ' · ' + fNum(t.numerator) + ' / ' + fNum(t.denominator) : '')));
    return card;
  }
  function card(label, value, note, cls) {
    return h('div', { cls: 'card ' + (cls || '') }, h('div', { cls: 'label', text: label }),
             h('div', { cls: 'value', text: value }), note ? h('div', { cls: 'note', text: note }) : null);
  }
  function viewOverview(main, d) {
    var s = d[0].json;
    var p = s.period;
    var all = s.reporting.all;
    main.appendChild(pageHead('Tổng quan kết quả cải cách hành chính', p));
    main.appendChild(stateBanner(p, s.as_of));
    main.appendChild(h('div', { cls: 'cards' },
      card('Đơn vị được đánh giá', nf0.format(all.units), nf0.format(all.ranked) + ' đơn vị có chỉ số'),
      card('Đủ số liệu', nf0.format(all.complete) + '/' + nf0.format(all.units),
           'Tỷ lệ ' + fRate(all.completeness), all.complete === all.units ? 'good' : 'warn'),
      card('Gửi đúng hạn', nf0.format(all.on_time) + '/' + nf0.format(all.units),
           'Tỷ lệ ' + fRate(all.timeliness), all.late ? 'warn' : 'good'),
      card('Trễ hạn / thiếu', nf0.format(all.late), nf0.format(all.no_data) + ' đơn vị chưa gửi số liệu',
           all.late ? 'bad' : 'good'),
      card('Chỉ số CCHC bình quân', fIndex(s.distribution.all.mean),
           'Trung vị ' + fIndex(s.distribution.all.median))));
    var met = s.targets.filter(function (t) {
      if (isNum(t.target)) return t.met;
      var lv = t.levels.filter(function (l) { return l.value !== null; });
      return lv.length > 0 && lv.every(function (l) { return l.met; });
    }).length;
    main.appendChild(h('h3', { text: 'Chỉ tiêu của Kế hoạch CCHC (' + met + '/' + s.targets.length + ' đạt)' }));
    var grid = h('div', { cls: 'targets' });
    s.targets.forEach(function (t) { grid.appendChild(targetCard(t)); });
    main.appendChild(grid);

    main.appendChild(h('h3', { text: 'Tình hình gửi số liệu và chỉ số theo cấp' }));
    var tbl = h('table', null, h('thead', null, h('tr', null,
      ['Cấp', 'Số đơn vị', 'Đủ số liệu', 'Đúng hạn', 'Trễ hạn', 'Chưa đến hạn', 'Chỉ số bình quân',
       'Cao nhất', 'Thấp nhất'].map(function (x, i) { return h('th', { cls: i ? 'num' : '', text: x }); }))));
    var tb = h('tbody');
    s.reporting.levels.forEach(function (r, i) {
      var dist = s.distribution.levels[i];
      tb.appendChild(h('tr', null, h('td', null, h('a', { href: link('xep-hang', r.level), text: levelName(r.level) })),
        h('td', { cls: 'num', text: nf0.format(r.units) }),
        h('td', { cls: 'num', text: nf0.format(r.complete) + ' (' + fRate(r.completeness) + ')' }),
        h('td', { cls: 'num', text: nf0.format(r.on_time) + ' (' + fRate(r.timeliness) + ')' }),
        h('td', { cls: 'num', text: nf0.format(r.late) }),
        h('td', { cls: 'num', text: nf0.format(r.pending) }),
        h('td', { cls: 'num', text: fIndex(dist.mean) }),
        h('td', { cls: 'num', text: fIndex(dist.max) }),
        h('td', { cls: 'num', text: fIndex(dist.min) })));
    });
    tbl.appendChild(tb);
    main.appendChild(h('div', { cls: 'table-wrap' }, tbl));

    if (s.indicators.length) {
      main.appendChild(h('h3', { text: 'Các tiêu chí khác (toàn tỉnh)' }));
      var t2 = h('table', null, h('thead', null, h('tr', null,
        ['Tiêu chí', 'Lĩnh vực', 'Kết quả', 'Mục tiêu', 'Đánh giá'].map(function (x, i) {
          return h('th', { cls: i >= 2 && i < 4 ? 'num' : '', text: x }); }))));
      var b2 = h('tbody');
      s.indicators.forEach(function (t) {
        b2.appendChild(h('tr', null, h('td', { text: t.name }), h('td', { text: t.area_name }),
          h('td', { cls: 'num', text: fVal(t.value, t.rate) }),
          h('td', { cls: 'num', text: isNum(t.target) ? fVal(t.target, t.rate) : 'theo cấp' }),
          h('td', null, t.value === null ? h('span', { cls: 'tag grey', text: 'Chưa có số liệu' })
            : h('span', { cls: 'tag ' + (t.met ? 'ok' : 'bad'), text: t.met ? 'Đạt' : 'Chưa đạt' }))));
      });
      t2.appendChild(b2);
      main.appendChild(h('div', { cls: 'table-wrap' }, t2));
    }
    return p;
  }

  /* -------------------------------------------------------------- ranking */

  /* Rows with equal keys keep the API's order (Array.prototype.sort is
     stable): sorted by rank, tied units stand as the API lists them, in the
     one ranking order of every output (collector/figures/rollup.h, cchc_rollup_ranking). */
  function sortRows(rows, key, dir, getter) {
    return rows.slice().sort(function (a, b) {
      var x = getter(a, key), y = getter(b, key);
      var nx = x === null || x === undefined, ny = y === null || y === undefined;
      if (nx || ny) return nx && ny ? 0 : nx ? 1 : -1;
      var c = typeof x === 'string' ? x.localeCompare(y, 'vi') : x - y;
      return dir === 'desc' ? -c : c;
    });
  }
  function sortableHead(cols, sortState, onSort) {
    return h('thead', null, h('tr', null, cols.map(function (c) {
      var cls = 'sortable' + (c.num ? ' num' : '') + (c.wrap ? ' wrap' : '') +
        (sortState.key === c.key ? ' sorted-' + sortState.dir : '');
      return h('th', { cls: cls, title: c.title || null, onclick: function () { onSort(c.key); } }, c.label);
    })));
  }
  function toggleSort(view, key, defDir) {
    var s = S.sort[view] || {};
    if (s.key === key) s.dir = s.dir === 'asc' ? 'desc' : 'asc';
    else { s.key = key; s.dir = defDir || 'asc'; }
    S.sort[view] = s;
    render(true);
  }
  function exportLink(cls, url, text) {
    return h('a', { cls: cls, href: url, download: '', text: text,
                    onclick: function (ev) { download(url, ev); } });
  }
  function exportButtons(table, extra) {
    var q = 'period=' + encodeURIComponent(currentPeriod()) + (extra || '');
    return [
      exportLink('btn', '/export/' + table + '.csv?' + q, 'Tải CSV'),
      exportLink('btn primary', '/export/' + table + '.xlsx?' + q, 'Tải Excel (XLSX)')
    ];
  }
  function viewRanking(main, d, level) {
    var r = d[0].json;
    var p = r.period;
    main.appendChild(pageHead('Xếp hạng Chỉ số CCHC — ' + levelName(level), p));
    main.appendChild(stateBanner(p, r.as_of));
    var search = h('input', { type: 'search', placeholder: 'Tìm đơn vị…', value: S.filter,
      'aria-label': 'Tìm đơn vị' });
    search.addEventListener('input', function () { S.filter = search.value; render(true, true); });
    main.appendChild(h('div', { cls: 'toolbar' },
      h('div', { cls: 'tabs' }, LEVELS.map(function (l) {
        return h('a', { href: link('xep-hang', l.code), cls: l.code === level ? 'active' : '', text: l.name });
      })), search, h('span', { cls: 'spacer' }),
      exportButtons('ranking', '&level=' + level)));
    var areas = r.areas;
    var cols = [
      { key: 'rank', label: 'Hạng', num: true },
      { key: 'name', label: 'Đơn vị' }
    ];
    if (level === 'xa') cols.push({ key: 'parent_name', label: 'Huyện, thành phố' });
    cols.push({ key: 'index', label: 'Chỉ số', num: true },
              { key: 'grade', label: 'Xếp loại' },
              { key: 'change', label: 'Thay đổi', num: true, title: 'So với ' + (r.previous || 'kỳ trước') });
    areas.forEach(function (a, i) {
      cols.push({ key: 'area' + i, label: AREA_SHORT[a.code] || a.name, num: true, wrap: true,
                  title: a.name + ' (tối đa ' + fNum(a.points) + ' điểm)' });
    });
    cols.push({ key: 'data', label: 'Số liệu' });
    var st = S.sort.ranking || { key: 'rank', dir: 'asc' };
    S.sort.ranking = st;
    var getter = function (u, key) {
      if (key.indexOf('area') === 0) return u.areas[Number(key.slice(4))].earned;
      if (key === 'data') return (u.on_time ? 2 : u.pending ? 1 : 0) + (u.complete ? 4 : 0);
      return u[key];
    };
    var filter = S.filter.trim().toLowerCase();
    var rows = r.units.filter(function (u) {
      return !filter || u.name.toLowerCase().indexOf(filter) >= 0 || u.code.toLowerCase().indexOf(filter) >= 0 ||
             (u.parent_name || '').toLowerCase().indexOf(filter) >= 0;
    });
    rows = sortRows(rows, st.key, st.dir, getter);
    var tbody = h('tbody');
    rows.forEach(function (u) {
      var ch = u.change;
      var tr = h('tr', { cls: 'clickable', 'data-code': u.code,
                         onclick: function () { location.hash = link('don-vi', u.code); } },
        h('td', { cls: 'num', text: u.rank === null ? '–' : String(u.rank) }),
        h('td', { cls: 'name' }, h('a', { href: link('don-vi', u.code), text: u.name })),
        level === 'xa' ? h('td', { cls: 'name', text: u.parent_name || '' }) : null,
        h('td', { cls: 'num' }, h('div', { cls: 'index-cell' },
          h('div', { cls: 'bar small' }, h('div', { cls: 'fill met', style: { width: isNum(u.index) ? u.index + '%' : '0%' } })),
          h('b', { text: fIndex(u.index) }))),
        h('td', { cls: 'name', text: u.grade || '–' }),
        h('td', { cls: 'num ' + (!isNum(ch) ? 'same' : ch > 0.005 ? 'up' : ch < -0.005 ? 'down' : 'same'),
                  text: fChange(ch),
                  title: u.previous_rank ? 'Hạng kỳ trước: ' + u.previous_rank : null }));
      u.areas.forEach(function (a) {
        tr.appendChild(h('td', { cls: 'num', text: a.applicable > 0 ? nf2.format(a.earned) : '–',
                                 title: nf2.format(a.earned) + ' / ' + nf2.format(a.applicable) }));
      });
      tr.appendChild(h('td', null, u.complete ? null : h('span', { cls: 'tag warn', text: 'Thiếu' }), ' ',
        u.on_time ? h('span', { cls: 'tag ok', text: 'Đúng hạn' })
        : u.pending ? h('span', { cls: 'tag info', text: 'Chưa đến hạn' })
        : h('span', { cls: 'tag bad', text: 'Trễ hạn' })));
      tbody.appendChild(tr);
    });
    var table = h('table', { id: 'ranking' },
      sortableHead(cols, st, function (key) {
        toggleSort('ranking', key, key === 'index' || key === 'change' || key.indexOf('area') === 0 ? 'desc' : 'asc');
      }), tbody);
    main.appendChild(h('div', { cls: 'table-wrap' }, table));
    main.appendChild(h('p', { cls: 'muted', text: nf0.format(rows.length) + ' đơn vị. Chỉ số = 100 × điểm đạt / điểm tối đa của các tiêu chí áp dụng; bấm vào tên cột để sắp xếp, vào đơn vị để xem chi tiết.' }));
    return p;
  }

  /* ---------------------------------------------------------- trend chart */

  function trendChart(t, rate, target) {
    var W = 720, H = 250, L = 56, R = 48, T = 34, B = 34;
    var pts = t.points;
    var vals = pts.map(function (p) { return p.value; }).filter(isNum);
    var max = t.code === 'index' ? 100 : rate ? 1 : Math.max.apply(null, vals.concat([1])) * 1.15;
    if (rate && vals.length && Math.max.apply(null, vals) > 1) max = Math.max.apply(null, vals) * 1.1;
    var svg = h('svg:svg', { cls: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img',
                             'aria-label': 'Biểu đồ ' + t.name });
    function x(i) { return L + 24 + (pts.length === 1 ? (W - L - R - 48) / 2 : i * (W - L - R - 48) / (pts.length - 1)); }
    function y(v) { return T + (H - T - B) * (1 - v / max); }
    for (var g = 0; g <= 4; g++) {
      var gv = max * g / 4;
      svg.appendChild(h('svg:line', { cls: 'grid', x1: L, x2: W - R, y1: y(gv), y2: y(gv) }));
      svg.appendChild(h('svg:text', { cls: 'axis', x: L - 6, y: y(gv) + 4, 'text-anchor': 'end',
        text: t.code === 'index' ? nf0.format(gv) : rate ? nf0.format(gv * 100) + '%' : fNum(gv) }));
    }
    if (isNum(target) && target <= max) {
      svg.appendChild(h('svg:line', { cls: 'target-line', x1: L, x2: W - R, y1: y(target), y2: y(target) }));
      svg.appendChild(h('svg:text', { cls: 'target-lab', x: W - R, y: y(target) - 5, 'text-anchor': 'end',
                                      text: 'Mục tiêu ' + fVal(target, rate) }));
    }
    var seg = [];
    function flush() {
      if (seg.length > 1) svg.appendChild(h('svg:polyline', { cls: 'line', points: seg.join(' ') }));
      seg = [];
    }
    pts.forEach(function (p, i) {
      svg.appendChild(h('svg:text', { cls: 'axis', x: x(i), y: H - 12, 'text-anchor': 'middle', text: shortPeriod(p.period) }));
      if (isNum(p.value)) seg.push(x(i) + ',' + y(p.value)); else flush();
    });
    flush();
    pts.forEach(function (p, i) {
      if (!isNum(p.value)) return;
      svg.appendChild(h('svg:circle', { cls: 'dot', cx: x(i), cy: y(p.value), r: 4.5 },
        h('svg:title', { text: p.name + ': ' + fVal(p.value, rate) })));
      svg.appendChild(h('svg:text', { cls: 'lab', x: x(i), y: y(p.value) - 9, 'text-anchor': 'middle',
        text: t.code === 'index' ? fIndex(p.value) : fVal(p.value, rate) }));
    });
    return svg;
  }

  /* ------------------------------------------------------------ unit page */

  function trendCount(periodId) {
    var p = periodInfo(periodId);
    if (!p || !S.periods) return 8;
    var n = S.periods.periods.filter(function (q) {
      return q.kind === p.kind && q.first_day <= p.first_day;
    }).length;
    return Math.max(2, Math.min(8, n));
  }
  function stateTag(ind) {
    if (ind.state === 'ok') return h('span', { cls: 'tag ok', text: 'Có số liệu' });
    if (ind.state === 'missing') return h('span', { cls: 'tag bad', text: 'Thiếu số liệu' });
    return h('span', { cls: 'tag grey', text: 'Không áp dụng' });
  }
  function viewUnit(main, d) {
    var j = d[0].json, t = d[1].json;
    var u = j.unit, p = j.period;
    main.appendChild(h('div', { cls: 'toolbar' },
      h('a', { cls: 'btn', href: link('xep-hang', u.level), text: '← Xếp hạng ' + levelName(u.level) })));
    main.appendChild(h('div', { cls: 'unit-head' }, h('h2', { text: u.name }),
      h('span', { cls: 'muted', text: levelName(u.level) + (u.parent_name ? ' · ' + u.parent_name : '') + ' · mã ' + u.code + ' · ' + p.name })));
    main.appendChild(stateBanner(p, j.as_of));
    var ch = u.change;
    main.appendChild(h('div', { cls: 'cards' },
      card('Chỉ số CCHC', fIndex(u.index), nf2.format(u.earned) + ' / ' + nf2.format(u.applicable) + ' điểm'),
      card('Xếp hạng', u.rank ? u.rank + '/' + u.ranked_in_level : '–', u.previous_rank ? 'Kỳ trước: ' + u.previous_rank : 'Trong ' + levelName(u.level)),
      card('Xếp loại', u.grade || '–'),
      card('Thay đổi', fChange(ch), j.previous ? 'So với ' + shortPeriod(j.previous) : '', !isNum(ch) ? '' : ch >= 0 ? 'good' : 'bad'),
      card('Số liệu', u.metrics_reported + '/' + u.metrics_expected,
           u.on_time ? 'Gửi đủ, đúng hạn' : u.pending ? 'Chưa đến hạn gửi' : 'Trễ hạn hoặc thiếu',
           u.on_time ? 'good' : u.pending ? '' : 'bad')));

    /* trend */
    var sel = h('select', { 'aria-label': 'Chỉ số của biểu đồ' });
    sel.appendChild(h('option', { value: 'index', text: 'Chỉ số CCHC' }));
    u.indicators.forEach(function (ind) {
      if (ind.rule !== 'on_time') sel.appendChild(h('option', { value: ind.code, text: ind.name }));
    });
    sel.value = S.trendCode;
    sel.addEventListener('change', function () { S.trendCode = sel.value; render(true); });
    var info = indicatorInfo(t.code);
    var rate = info ? info.rate : false;
    var tgt = info ? info.targets[u.level] : null;
    main.appendChild(h('div', { cls: 'two' },
      h('div', { cls: 'panel' }, h('h3', { text: 'Diễn biến qua các kỳ' }), sel, trendChart(t, rate, tgt)),
      h('div', { cls: 'panel' }, h('h3', { text: 'Điểm theo lĩnh vực' }), (function () {
        var tbl = h('table', null, h('thead', null, h('tr', null, h('th', { text: 'Lĩnh vực' }),
          h('th', { cls: 'num', text: 'Điểm' }), h('th', { text: '' }))));
        var tb = h('tbody');
        u.areas.forEach(function (a) {
          tb.appendChild(h('tr', null, h('td', { text: a.name }),
            h('td', { cls: 'num', text: nf2.format(a.earned) + ' / ' + nf2.format(a.applicable) }),
            h('td', { cls: 'area-bar' }, progress(a.applicable > 0 ? a.earned / a.applicable : null, null,
                                   a.applicable > 0 && a.earned >= a.applicable - 1e-9, true))));
        });
        tbl.appendChild(tb);
        return tbl;
      })())));

    /* indicators */
    main.appendChild(h('h3', { text: 'Tiêu chí và số liệu tính điểm' }));
    var tbl = h('table', { id: 'indicators' }, h('thead', null, h('tr', null,
      ['Tiêu chí', 'Lĩnh vực', 'Tử số', 'Mẫu số', 'Kết quả', 'Mục tiêu', 'Điểm', 'Trạng thái'].map(function (x, i) {
        return h('th', { cls: i >= 2 && i <= 6 ? 'num' : '', text: x }); }))));
    var tb = h('tbody');
    u.indicators.forEach(function (ind) {
      var onTime = ind.rule === 'on_time';
      tb.appendChild(h('tr', { 'data-indicator': ind.code },
        h('td', null, ind.name, h('div', { cls: 'muted', text: onTime ? 'Gửi đủ số liệu đúng hạn' :
          (ind.numerator_metric || '') + (ind.denominator_metric ? ' / ' + ind.denominator_metric : '') })),
        h('td', { text: ind.area_name }),
        h('td', { cls: 'num', text: onTime ? (ind.numerator === 1 ? 'Có' : ind.numerator === 0 ? 'Không' : '–') : fNum(ind.numerator) }),
        h('td', { cls: 'num', text: fNum(ind.denominator) }),
        h('td', { cls: 'num', text: onTime ? '–' : fVal(ind.value, ind.rate) }),
        h('td', { cls: 'num', text: onTime ? 'Đúng hạn' : fVal(ind.target, ind.rate) }),
        h('td', { cls: 'num', text: nf2.format(ind.points) + ' / ' + fNum(ind.points_max) }),
        h('td', null, stateTag(ind))));
    });
    tbl.appendChild(tb);
    main.appendChild(h('div', { cls: 'table-wrap' }, tbl));

    /* metrics */
    main.appendChild(h('h3', { text: 'Số liệu gốc trong kỳ' }));
    var mt = h('table', null, h('thead', null, h('tr', null,
      ['Chỉ tiêu thống kê', 'Mã', 'Giá trị', 'Từ ngày', 'Đến ngày', 'Số bản ghi', 'Nhận lúc'].map(function (x, i) {
        return h('th', { cls: i >= 2 && i !== 6 ? 'num' : '', text: x }); }))));
    var mb = h('tbody');
    u.metrics.filter(function (m) { return m.expected || m.present; }).forEach(function (m) {
      mb.appendChild(h('tr', { cls: m.expected && !m.present ? 'row-late' : '' },
        h('td', { text: m.name }), h('td', { cls: 'muted', text: m.code + (m.kind === 'gauge' ? ' (thời điểm)' : '') }),
        h('td', { cls: 'num', text: m.present ? fNum(m.value) : 'Chưa có' }),
        h('td', { cls: 'num', text: fDate(m.first_day) }), h('td', { cls: 'num', text: fDate(m.last_day) }),
        h('td', { cls: 'num', text: nf0.format(m.rows) }), h('td', { text: fTime(m.received) })));
    });
    mt.appendChild(mb);
    main.appendChild(h('div', { cls: 'table-wrap' }, mt));

    /* agents */
    main.appendChild(h('h3', { text: 'Phần mềm gửi số liệu của đơn vị' }));
    var at = h('table', null, h('thead', null, h('tr', null,
      ['Tên', 'Khóa', 'Đăng ký', 'Lần gửi gần nhất', 'Tin nhận', 'Tin trùng', 'Tin bị từ chối', 'Lệch đồng hồ', 'Trạng thái'].map(function (x, i) {
        return h('th', { cls: i >= 4 && i <= 6 ? 'num' : '', text: x }); }))));
    var ab = h('tbody');
    j.agents.forEach(function (a) {
      ab.appendChild(h('tr', { cls: a.silent ? 'row-silent' : '' },
        h('td', { text: a.name }), h('td', { cls: 'muted', text: a.key.slice(0, 16) + '…' }),
        h('td', { text: fDate(a.enrolled_at) }), h('td', { text: fTime(a.last_seen) }),
        h('td', { cls: 'num', text: nf0.format(a.accepted) }), h('td', { cls: 'num', text: nf0.format(a.duplicates) }),
        h('td', { cls: 'num', text: nf0.format(a.rejected) }), skewCell(a.clock_skew_ms),
        h('td', null, !a.active ? h('span', { cls: 'tag grey', text: 'Đã thu hồi' })
          : a.silent ? h('span', { cls: 'tag bad', text: a.days_silent === null ? 'Chưa gửi lần nào' : 'Không gửi ' + a.days_silent + ' ngày' })
          : h('span', { cls: 'tag ok', text: 'Hoạt động' }))));
    });
    if (!j.agents.length) ab.appendChild(h('tr', null, h('td', { colspan: 9, text: 'Đơn vị chưa đăng ký phần mềm gửi số liệu.' })));
    at.appendChild(ab);
    main.appendChild(h('div', { cls: 'table-wrap' }, at));
    return p;
  }

  /* ------------------------------------------------------------- status */

  function severity(u) { return u.silent || u.no_data ? 3 : u.late ? 2 : u.pending ? 1 : 0; }
  function viewStatus(main, d) {
    var s = d[0].json, p = s.period;
    main.appendChild(pageHead('Tình hình gửi số liệu', p));
    main.appendChild(stateBanner(p, s.as_of));
    var a = s.all;
    main.appendChild(h('div', { cls: 'cards' },
      card('Đúng hạn', nf0.format(a.on_time) + '/' + nf0.format(a.units), 'Hạn gửi: ' + dueDays(p), a.on_time === a.units ? 'good' : ''),
      card('Trễ hạn hoặc thiếu', nf0.format(a.late), '', a.late ? 'bad' : 'good'),
      card('Chưa đến hạn', nf0.format(a.pending), 'Còn trong hạn gửi', ''),
      card('Không gửi tin', nf0.format(a.silent), '≥ ' + s.silent_days + ' ngày và lỡ kỳ gửi đã đến hạn, hoặc chưa có phần mềm', a.silent ? 'bad' : 'good'),
      card('Có tin bị từ chối', nf0.format(a.with_rejected), 'Sai chữ ký, sai định dạng…', a.with_rejected ? 'warn' : 'good')));
    var chk = h('input', { type: 'checkbox', id: 'problems' });
    chk.checked = S.problemsOnly;
    chk.addEventListener('change', function () { S.problemsOnly = chk.checked; render(true); });
    main.appendChild(h('div', { cls: 'toolbar' }, h('label', null, chk, ' Chỉ hiện đơn vị chậm, thiếu hoặc không gửi'),
      h('span', { cls: 'spacer' }), exportButtons('status', '')));
    var st = S.sort.status || { key: 'severity', dir: 'desc' };
    S.sort.status = st;
    var cols = [
      { key: 'name', label: 'Đơn vị' }, { key: 'level', label: 'Cấp' },
      { key: 'last_seen', label: 'Lần gửi gần nhất' }, { key: 'days_silent', label: 'Số ngày không gửi', num: true },
      { key: 'metrics_reported', label: 'Chỉ tiêu đã gửi', num: true },
      { key: 'severity', label: 'Tình trạng' }, { key: 'rejected', label: 'Tin bị từ chối', num: true },
      { key: 'clock_skew_ms', label: 'Lệch đồng hồ', num: true }
    ];
    var rows = s.units.filter(function (u) { return !S.problemsOnly || severity(u) >= 2 || u.rejected > 0; });
    rows = sortRows(rows, st.key, st.dir, function (u, k) {
      if (k === 'severity') return severity(u) * 1000 + (u.days_silent || 0);
      if (k === 'level') return ['so', 'huyen', 'xa'].indexOf(u.level);
      if (k === 'clock_skew_ms') return u.clock_skew_ms === null ? -1 : Math.abs(u.clock_skew_ms);
      return u[k];
    });
    var tb = h('tbody');
    rows.forEach(function (u) {
      var sev = severity(u);
      tb.appendChild(h('tr', { cls: 'clickable ' + (sev === 3 ? 'row-silent' : sev === 2 ? 'row-late' : sev === 1 ? 'row-pending' : ''),
                               'data-code': u.code, onclick: function () { location.hash = link('don-vi', u.code); } },
        h('td', null, h('a', { href: link('don-vi', u.code), text: u.name }),
          u.parent_name && u.level === 'xa' ? h('div', { cls: 'muted', text: u.parent_name }) : null),
        h('td', { text: levelName(u.level) }),
        h('td', { text: u.last_seen ? fTime(u.last_seen) : 'Chưa gửi lần nào' }),
        h('td', { cls: 'num', text: u.days_silent === null ? '–' : nf0.format(u.days_silent) }),
        h('td', { cls: 'num', text: u.metrics_reported + '/' + u.metrics_expected }),
        h('td', null, u.silent ? h('span', { cls: 'tag bad', text: u.agents ? 'Không gửi tin' : 'Chưa có phần mềm' }) : null, ' ',
          u.no_data ? h('span', { cls: 'tag bad', text: 'Chưa có số liệu kỳ này' })
          : u.on_time ? h('span', { cls: 'tag ok', text: 'Đúng hạn' })
          : u.pending ? h('span', { cls: 'tag info', text: 'Chưa đến hạn' })
          : h('span', { cls: 'tag warn', text: u.complete ? 'Gửi muộn' : 'Thiếu số liệu' })),
        h('td', { cls: 'num' + (u.rejected ? ' down' : ''), text: nf0.format(u.rejected) }),
        skewCell(u.clock_skew_ms)));
    });
    main.appendChild(h('div', { cls: 'table-wrap' }, h('table', { id: 'status' },
      sortableHead(cols, st, function (k) { toggleSort('status', k, k === 'severity' || k === 'days_silent' || k === 'rejected' ? 'desc' : 'asc'); }), tb)));
    return p;
  }

  /* ------------------------------------------------------------- report */

  function lowerFirst(s) { return s.charAt(0).toLowerCase() + s.slice(1); }
  function viewReport(main, d) {
    var s = d[0].json, st = d[4].json, p = s.period;
    var prov = S.province || 'TỈNH';
    var now = (S.periods && S.periods.today) || new Date().toISOString().slice(0, 10);
    var ymd = now.split('-').map(Number);
    main.appendChild(h('div', { cls: 'toolbar' },
      h('button', { cls: 'btn primary', type: 'button', onclick: function () { window.print(); }, text: 'In báo cáo' }),
      exportButtons('summary', ''), h('span', { cls: 'muted', text: 'Khổ A4; có thể lưu thành PDF từ hộp thoại in.' })));
    var r = h('article', { cls: 'report' });
    r.appendChild(h('div', { cls: 'r-head' },
      h('div', null, h('b', { text: 'ỦY BAN NHÂN DÂN' }), h('b', { text: prov.toUpperCase() }), h('span', { text: 'Số:      /BC-UBND' })),
      h('div', null, h('b', { text: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM' }), h('b', { text: 'Độc lập - Tự do - Hạnh phúc' }),
        h('i', { text: 'ngày ' + ymd[2] + ' tháng ' + ymd[1] + ' năm ' + ymd[0] }))));
    r.appendChild(h('h2', { text: 'BÁO CÁO' }));
    r.appendChild(h('div', { cls: 'r-sub', text: 'Kết quả thực hiện công tác cải cách hành chính ' + lowerFirst(p.name) }));
    r.appendChild(h('div', { cls: 'draft', text: p.state === 'locked' ? 'SỐ LIỆU ĐÃ KHÓA' : 'DỰ THẢO — SỐ LIỆU TẠM TÍNH' }));
    r.appendChild(h('p', { text: 'Số liệu từ ngày ' + fDate(p.first_day) + ' đến ngày ' + fDate(p.last_day) +
      ' do ' + nf0.format(s.reporting.all.units) + ' cơ quan, đơn vị gửi qua phần mềm, tổng hợp tự động; tính đến ' + fTime(s.as_of) + '.' }));

    r.appendChild(h('h3', { text: 'I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA KẾ HOẠCH' }));
    var t1 = h('table', null, h('thead', null, h('tr', null, ['TT', 'Chỉ tiêu', 'Mục tiêu', 'Kết quả', 'Đánh giá'].map(function (x) { return h('th', { text: x }); }))));
    var b1 = h('tbody');
    var n = 0;
    s.targets.forEach(function (t) {
      if (isNum(t.target) || !t.levels.length) {
        b1.appendChild(h('tr', null, h('td', { text: String(++n) }), h('td', { text: t.name }),
          h('td', { cls: 'num', text: fVal(t.target, t.rate) }), h('td', { cls: 'num', text: fVal(t.value, t.rate) }),
          h('td', { text: t.value === null ? 'Chưa có số liệu' : t.met ? 'Đạt' : 'Chưa đạt' })));
      } else {
        t.levels.forEach(function (l, i) {
          b1.appendChild(h('tr', null, h('td', { text: i ? '' : String(++n) }), h('td', { text: t.name + ' — ' + l.level_name }),
            h('td', { cls: 'num', text: fVal(l.target, t.rate) }), h('td', { cls: 'num', text: fVal(l.value, t.rate) }),
            h('td', { text: l.value === null ? 'Chưa có số liệu' : l.met ? 'Đạt' : 'Chưa đạt' })));
        });
      }
    });
    t1.appendChild(b1);
    r.appendChild(t1);

    r.appendChild(h('h3', { text: 'II. TÌNH HÌNH GỬI SỐ LIỆU' }));
    var t2 = h('table', null, h('thead', null, h('tr', null, ['Cấp', 'Hạn gửi', 'Số đơn vị', 'Đủ số liệu', 'Đúng hạn', 'Trễ hạn, thiếu'].map(function (x) { return h('th', { text: x }); }))));
    var b2 = h('tbody');
    s.reporting.levels.concat([s.reporting.all]).forEach(function (l) {
      b2.appendChild(h('tr', null, h('td', { text: l.level === 'all' ? 'Tổng cộng' : levelName(l.level) }),
        h('td', { text: l.level === 'all' ? '' : fDate(unitDue(p, l.level)) }),
        h('td', { cls: 'num', text: nf0.format(l.units) }), h('td', { cls: 'num', text: nf0.format(l.complete) }),
        h('td', { cls: 'num', text: nf0.format(l.on_time) }), h('td', { cls: 'num', text: nf0.format(l.late) })));
    });
    t2.appendChild(b2);
    r.appendChild(t2);

    r.appendChild(h('h3', { text: 'III. XẾP HẠNG CHỈ SỐ CẢI CÁCH HÀNH CHÍNH' }));
    LEVELS.forEach(function (l, i) {
      var rk = d[1 + i].json;
      r.appendChild(h('p', null, h('b', { text: (i + 1) + '. ' + l.name })));
      var t3 = h('table', null, h('thead', null, h('tr', null, ['Hạng', 'Đơn vị', 'Chỉ số', 'Xếp loại', 'Thay đổi'].map(function (x) { return h('th', { text: x }); }))));
      var b3 = h('tbody');
      rk.units.forEach(function (u) {
        b3.appendChild(h('tr', null, h('td', { cls: 'num', text: u.rank === null ? '–' : String(u.rank) }),
          h('td', { text: u.name }), h('td', { cls: 'num', text: fIndex(u.index) }),
          h('td', { text: u.grade || '–' }), h('td', { cls: 'num', text: fChange(u.change) })));
      });
      t3.appendChild(b3);
      r.appendChild(t3);
    });

    r.appendChild(h('h3', { text: 'IV. CƠ QUAN, ĐƠN VỊ CHƯA GỬI ĐỦ HOẶC GỬI MUỘN SỐ LIỆU' }));
    var late = st.units.filter(function (u) { return u.late || u.silent; });
    if (!late.length) r.appendChild(h('p', { text: 'Tất cả cơ quan, đơn vị gửi đủ số liệu đúng hạn.' }));
    else {
      var t4 = h('table', null, h('thead', null, h('tr', null, ['TT', 'Đơn vị', 'Cấp', 'Tình trạng'].map(function (x) { return h('th', { text: x }); }))));
      var b4 = h('tbody');
      late.forEach(function (u, i) {
        b4.appendChild(h('tr', null, h('td', { text: String(i + 1) }), h('td', { text: u.name }), h('td', { text: levelName(u.level) }),
          h('td', { text: u.no_data ? 'Chưa gửi số liệu' : !u.complete ? 'Thiếu số liệu (' + u.metrics_reported + '/' + u.metrics_expected + ' chỉ tiêu)' : 'Gửi sau hạn ' + fDate(unitDue(p, u.level)) })));
      });
      t4.appendChild(b4);
      r.appendChild(t4);
    }
    main.appendChild(r);
    return p;
  }

  /* --------------------------------------------------------------- render */

  function dataPaths(r, period) {
    var q = 'period=' + encodeURIComponent(period);
    switch (r.view) {
      case 'xep-hang': return ['/api/v1/ranking?' + q + '&level=' + (r.arg || 'so')];
      case 'don-vi': return ['/api/v1/units/' + encodeURIComponent(r.arg || '') + '?' + q,
        '/api/v1/trend?unit=' + encodeURIComponent(r.arg || '') + '&code=' + encodeURIComponent(S.trendCode) +
        '&to=' + encodeURIComponent(period) + '&count=' + trendCount(period)];
      case 'tinh-hinh-bao-cao': return ['/api/v1/status?' + q];
      case 'bao-cao': return ['/api/v1/summary?' + q].concat(LEVELS.map(function (l) {
        return '/api/v1/ranking?' + q + '&level=' + l.code; }), ['/api/v1/status?' + q]);
      default: return ['/api/v1/summary?' + q];
    }
  }
  function draw(r, d) {
    var main = document.getElementById('main');
    var scroll = window.scrollY;
    var focused = document.activeElement && document.activeElement.type === 'search';
    clear(main);
    var p;
    if (r.view === 'xep-hang') {
      var lv = ['so', 'huyen', 'xa'].indexOf(r.arg) >= 0 ? r.arg : 'so';
      p = viewRanking(main, d, lv);
    } else if (r.view === 'don-vi') p = viewUnit(main, d);
    else if (r.view === 'tinh-hinh-bao-cao') p = viewStatus(main, d);
    else if (r.view === 'bao-cao') p = viewReport(main, d);
    else p = viewOverview(main, d);
    updateChrome(p);
    window.scrollTo(0, scroll);
    if (focused) {
      var s = main.querySelector('input[type=search]');
      if (s) { s.focus(); s.setSelectionRange(s.value.length, s.value.length); }
    }
    document.title = 'CCHC · ' + p.name;
  }
  var lastData = null, lastRoute = null;
  function render(force, local) {
    var r = route();
    var period = r.period || S.defaultPeriod;
    if (local && lastData && lastRoute === location.hash) { draw(r, lastData); return Promise.resolve(); }
    if (S.busy && !force) return Promise.resolve();
    S.busy = true;
    var paths = dataPaths(r, period);
    return loadAll(paths).then(function (d) {
      S.busy = false;
      var key = location.hash + '\n' + d.map(function (x) { return x.text; }).join('\n');
      var now = new Date();
      document.getElementById('updated').textContent = 'Cập nhật lúc ' + now.toLocaleTimeString('vi-VN');
      if (!force && key === S.lastKey) return;
      S.lastKey = key;
      lastData = d;
      lastRoute = location.hash;
      draw(r, d);
    }).catch(function (err) {
      S.busy = false;
      S.lastKey = null;
      showError(err);
    });
  }

  /* The demonstration clock (deploy/demo.sh): the simulated date in the
     header, periods reloaded often, and the page follows the quarter in
     progress unless someone picked another period. */
  function simNow() {
    var c = S.periods && S.periods.clock;
    if (!c || !c.demo || !S.clockAt) return null;
    return new Date(Date.parse(S.periods.now) + (Date.now() - S.clockAt) * (c.speed || 1));
  }
  function showSimClock() {
    var el = document.getElementById('simclock');
    var t = simNow();
    if (!el) return;
    if (!t) { el.hidden = true; return; }
    var local = new Date(t.getTime() + 7 * 3600 * 1000).toISOString();
    el.hidden = false;
    el.textContent = 'Thời gian mô phỏng: ' + local.slice(8, 10) + '/' + local.slice(5, 7) + '/' +
      local.slice(0, 4) + ' ' + local.slice(11, 16);
  }
  function loadPeriods() {
    return api('/api/v1/periods').then(function (res) {
      var before = S.defaultPeriod;
      S.periods = res.json;
      S.clockAt = Date.now();
      S.defaultPeriod = res.json['default'];
      showSimClock();
      if (before && before !== S.defaultPeriod && route().period === before) {
        /* following live: the quarter in progress moved on */
        var r = route();
        location.hash = link(r.view, r.arg, S.defaultPeriod);
      }
      S.province = res.json.province && res.json.province.name;
      if (S.province) document.getElementById('title').textContent = 'Chỉ số Cải cách hành chính — ' + S.province;
      fillPeriodSelect();
    });
  }

  function start() {
    var qs = new URLSearchParams(location.search);
    S.token = qs.get('token') || sessionStorage.getItem('cchc-token');
    if (qs.get('token')) {
      /* kept for this tab only, and taken out of the address bar at once */
      sessionStorage.setItem('cchc-token', qs.get('token'));
      qs.delete('token');
      var rest = qs.toString();
      history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
    }
    var sel = document.getElementById('period');
    sel.addEventListener('change', function () {
      var r = route();
      location.hash = link(r.view, r.arg, sel.value);
    });
    window.addEventListener('hashchange', function () { S.filter = ''; render(true); });
    Promise.all([loadPeriods(), api('/api/v1/catalogue')]).then(function (res) {
      S.catalogue = res[1].json;
      document.getElementById('subtitle').textContent = S.catalogue.name;
      if (!route().period) {
        var r = route();
        var p = qs.get('period') || S.defaultPeriod;
        history.replaceState(null, '', location.pathname + location.search + link(r.view, r.arg, p));
      }
      return render(true);
    }).catch(showError);
    var lastRender = Date.now();
    setInterval(function () {
      /* every POLL_MS; every 2 s on the demonstration clock (days go by fast) */
      var demo = S.periods && S.periods.clock && S.periods.clock.demo;
      if (Date.now() - lastRender < (demo ? 2000 : POLL_MS)) return;
      lastRender = Date.now();
      render(false);
    }, 500);
    setInterval(function () {
      var demo = S.periods && S.periods.clock && S.periods.clock.demo;
      if (demo || !S.lastPeriods || Date.now() - S.lastPeriods >= 60000) {
        S.lastPeriods = Date.now();
        loadPeriods().catch(function () {});
      }
    }, 2000);
    setInterval(showSimClock, 1000);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
