// The flag list of a claimaudit report: filters, search, pages and each
// flag's explanation. The data is the JSON block of the page itself; the
// page makes no request. The filters live in the address (#rule=DUP-01&q=…)
// so a filtered list can be bookmarked or sent.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var rules = D.rules, flags = D.flags, providers = D.providers;
  var PAGE = 100;
  var SEV = { high: '高', medium: '中', low: '低' };
  var ACT = { reject: '拒付', review: '人工复核', warn: '提醒' };
  var GRAIN = { line: '明细', claim: '结算单', provider: '机构' };
  var $ = function (id) { return document.getElementById(id); };
  var esc = function (s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  };
  var field = { rule: $('f-rule'), region: $('f-region'), provider: $('f-provider'), min: $('f-min'), q: $('f-q') };
  var shown = flags, page = 0, byAmount = false;

  // A flag is [rule, claim, line, patient, provider, message, amount, evidence, visit date, seq].
  function providerName(p) { return (p && providers[p] && providers[p][0]) || ''; }
  function regionOf(p) { return (p && providers[p] && providers[p][1]) || '未知'; }
  var haystacks = null;
  function haystack(i) {
    if (!haystacks) { haystacks = new Array(flags.length); }
    if (haystacks[i] === undefined) {
      var x = flags[i], r = rules[x[0]];
      haystacks[i] = [r.id, r.name, x[1], x[2], x[3], x[4], providerName(x[4]), x[5]].join(' ').toLowerCase();
    }
    return haystacks[i];
  }

  function fillChoices() {
    rules.forEach(function (r) {
      var o = document.createElement('option');
      o.value = r.id; o.textContent = r.id + ' ' + r.name;
      field.rule.appendChild(o);
    });
    var regions = {};
    flags.forEach(function (x) { regions[regionOf(x[4])] = true; });
    Object.keys(regions).sort().forEach(function (g) {
      var o = document.createElement('option');
      o.value = g; o.textContent = g;
      field.region.appendChild(o);
    });
  }

  function apply() {
    var rule = field.rule.value, region = field.region.value;
    var p = field.provider.value.trim().toLowerCase();
    var min = parseFloat(field.min.value), q = field.q.value.trim().toLowerCase();
    var picked = [];
    for (var i = 0; i < flags.length; i++) {
      var x = flags[i];
      if (rule && rules[x[0]].id !== rule) continue;
      if (region && regionOf(x[4]) !== region) continue;
      if (p && (x[4] || '').toLowerCase().indexOf(p) < 0 && providerName(x[4]).toLowerCase().indexOf(p) < 0) continue;
      if (!isNaN(min) && (x[6] === null || parseFloat(x[6]) < min)) continue;
      if (q && haystack(i).indexOf(q) < 0) continue;
      picked.push(x);
    }
    if (byAmount) {
      picked.sort(function (a, b) { return (parseFloat(b[6]) || 0) - (parseFloat(a[6]) || 0) || a[9] - b[9]; });
    }
    shown = picked; page = 0;
    render(); remember();
  }

  function render() {
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    var rows = shown.slice(page * PAGE, page * PAGE + PAGE).map(function (x) {
      var r = rules[x[0]];
      return '<tr class="flag" tabindex="0" data-seq="' + x[9] + '">' +
        '<td><span class="sev sev-' + esc(r.severity) + '">' + esc(SEV[r.severity] || r.severity) + '</span> ' +
        '<b>' + esc(r.id) + '</b> ' + esc(r.name) + '</td>' +
        '<td>' + esc(x[1]) + (x[2] === null ? '' : ' / ' + esc(x[2])) + '</td>' +
        '<td>' + esc(x[3]) + '</td>' +
        '<td>' + esc(providerName(x[4]) || x[4]) + '</td>' +
        '<td>' + esc(regionOf(x[4])) + '</td>' +
        '<td>' + esc(x[8]) + '</td>' +
        '<td class="num">' + (x[6] === null ? '' : esc(x[6])) + '</td>' +
        '<td>' + esc(x[5]) + '</td></tr>';
    });
    $('flag-rows').innerHTML = rows.join('');
    var count = $('shown-count');
    count.textContent = shown.length.toLocaleString('zh-CN');
    count.setAttribute('data-value', String(shown.length));
    $('page-of').textContent = '第 ' + (page + 1) + ' / ' + pages + ' 页';
    $('prev').disabled = page === 0;
    $('next').disabled = page >= pages - 1;
  }

  function remember(open) {
    var h = new URLSearchParams();
    ['rule', 'region', 'provider', 'min', 'q'].forEach(function (k) {
      if (field[k].value) h.set(k, field[k].value);
    });
    if (byAmount) h.set('sort', 'amount');
    if (open) h.set('flag', open);
    var text = h.toString();
    history.replaceState(null, '', text ? '#' + text : location.pathname + location.search);
  }

  function table(headers, rows) {
    return '<table><thead><tr>' + headers.map(function (h) { return '<th>' + esc(h) + '</th>'; }).join('') +
      '</tr></thead><tbody>' + rows.map(function (r) {
        return '<tr>' + r.map(function (c) { return '<td>' + esc(c) + '</td>'; }).join('') + '</tr>';
      }).join('') + '</tbody></table>';
  }

  function explain(x) {
    var r = rules[x[0]], ev = x[7] || {};
    var values = ev.values || {}, partners = ev.rows || [], more = ev.more_rows || 0;
    var known = ev.known || [], moreKnown = ev.more_known || 0;
    var where = [['结算单', x[1]], ['明细行号', x[2]], ['人员编号', x[3]],
      ['机构', (x[4] || '') + (providerName(x[4]) ? ' ' + providerName(x[4]) : '')],
      ['统筹区', regionOf(x[4])], ['就诊日期', x[8]], ['涉及金额 (元)', x[6]]]
      .filter(function (p) { return p[1] !== null && p[1] !== undefined && p[1] !== ''; });
    var html = '<h2><span class="sev sev-' + esc(r.severity) + '">' + esc(SEV[r.severity] || r.severity) + '</span> ' +
      esc(r.id) + ' ' + esc(r.name) + '</h2>' +
      '<p class="message">' + esc(x[5]) + '</p>' +
      '<h3>标记对象 (' + esc(GRAIN[r.grain] || r.grain) + ')</h3>' + table(['项目', '值'], where) +
      '<h3>判定取值</h3>' + (Object.keys(values).length
        ? table(['表达式', '取值'], Object.keys(values).map(function (k) {
          var v = values[k];
          return [k, v !== null && typeof v === 'object' ? JSON.stringify(v) : v];
        }))
        : '<p class="muted">无</p>') +
      '<h3>关联记录 (' + (partners.length + more) + ')</h3>' + (partners.length
        ? table(Object.keys(partners[0]), partners.map(function (p) {
          return Object.keys(partners[0]).map(function (k) { return p[k]; });
        })) + (more ? '<p class="muted">另有 ' + more + ' 条未列出</p>' : '')
        : '<p class="muted">无 (本规则只看这一行)</p>') +
      (known.length ? '<h3>知识库依据 (' + (known.length + moreKnown) + ')</h3>' +
        table(Object.keys(known[0]), known.map(function (p) {
          return Object.keys(known[0]).map(function (k) { return p[k]; });
        })) + (moreKnown ? '<p class="muted">另有 ' + moreKnown + ' 条未列出</p>' : '') : '') +
      '<h3>规则</h3>' + table(['项目', '内容'], [
        ['类别', r.category], ['严重程度', SEV[r.severity] || r.severity], ['处理方式', ACT[r.action] || r.action],
        ['依据', r.basis || ''], ['国家规则编码', r.national_code || ''], ['适用范围', r.looks_at || ''],
        ['形式', r.form || ''], ['规则位置', r.source]
      ].filter(function (p) { return p[1]; })) +
      (r.fires_when ? '<h3>触发条件</h3><pre>' + esc(r.fires_when) + '</pre>' : '') +
      (r.params && r.params.length ? '<h3>参数</h3><ul>' + r.params.map(function (p) { return '<li>' + esc(p) + '</li>'; }).join('') + '</ul>' : '') +
      (x[1] ? '<h3>完整判定过程</h3><pre>claimaudit explain --data ' + esc(D.dataset) + ' --claim ' + esc(x[1]) +
        ' --rule ' + esc(r.id) + '</pre>' : '');
    $('explain-body').innerHTML = html;
    var dialog = $('explain');
    if (!dialog.open) dialog.showModal();
    remember(String(x[9]));
  }

  function openSeq(seq) {
    for (var i = 0; i < flags.length; i++) {
      if (String(flags[i][9]) === String(seq)) { explain(flags[i]); return; }
    }
  }

  function restore() {
    var h = new URLSearchParams(location.hash.slice(1));
    ['rule', 'region', 'provider', 'min', 'q'].forEach(function (k) {
      if (h.has(k)) field[k].value = h.get(k);
    });
    byAmount = h.get('sort') === 'amount';
    apply();
    if (h.has('flag')) openSeq(h.get('flag'));
  }

  fillChoices();
  ['rule', 'region'].forEach(function (k) { field[k].addEventListener('change', apply); });
  ['provider', 'min', 'q'].forEach(function (k) { field[k].addEventListener('input', apply); });
  $('clear').addEventListener('click', function () {
    ['rule', 'region', 'provider', 'min', 'q'].forEach(function (k) { field[k].value = ''; });
    byAmount = false; apply();
  });
  $('sort-amount').addEventListener('click', function () { byAmount = !byAmount; apply(); });
  $('prev').addEventListener('click', function () { page--; render(); });
  $('next').addEventListener('click', function () { page++; render(); });
  $('flag-rows').addEventListener('click', function (e) {
    var tr = e.target.closest('tr.flag');
    if (tr) openSeq(tr.getAttribute('data-seq'));
  });
  $('flag-rows').addEventListener('keydown', function (e) {
    var tr = e.target.closest('tr.flag');
    if (tr && e.key === 'Enter') openSeq(tr.getAttribute('data-seq'));
  });
  $('explain').addEventListener('close', function () { remember(); });
  $('close-explain').addEventListener('click', function () { $('explain').close(); });
  document.querySelectorAll('[data-filter-rule]').forEach(function (a) {
    a.addEventListener('click', function (e) {
      e.preventDefault();
      field.rule.value = a.getAttribute('data-filter-rule');
      apply();
      $('flags').scrollIntoView();
    });
  });
  document.querySelectorAll('[data-filter-provider]').forEach(function (a) {
    a.addEventListener('click', function (e) {
      e.preventDefault();
      field.provider.value = a.getAttribute('data-filter-provider');
      apply();
      $('flags').scrollIntoView();
    });
  });
  restore();
  document.body.setAttribute('data-ready', 'yes');
})();
