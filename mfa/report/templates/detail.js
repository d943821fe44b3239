/* The full detail of the park (mfa/report/detail.py): a table of every flow and process, a page at a time, and
   the Sankey of a chosen process, group or material, drawn as SVG from the rows embedded once as JSON.
   Hand-written, no library; every text from the park goes in through textContent or escaped attributes. */
(function () {
  "use strict";
  var holder = document.getElementById("mfa-detail-data");
  if (!holder) { return; }
  var D = JSON.parse(holder.textContent), T = D.t, P = D.processes, M = D.materials, F = D.flows;
  var nP = P.id.length, nF = F.v.length, SVG = "http://www.w3.org/2000/svg";
  var zh = D.lang === "zh";
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) { if (attrs.hasOwnProperty(k)) { e.setAttribute(k, attrs[k]); } }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) { if (attrs.hasOwnProperty(k)) { e.setAttribute(k, attrs[k]); } }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  /* numbers as mfa.formatting.number / tonnes and mfa.sankey_diagram.format_value write them */
  function fixed(x, d) {
    return x.toLocaleString("en-US", {minimumFractionDigits: d, maximumFractionDigits: d, useGrouping: true});
  }
  function strip(s) { return s.indexOf(".") >= 0 ? s.replace(/0+$/, "").replace(/\.$/, "") : s; }
  function number(x) {
    if (x === null || !isFinite(x)) { return ""; }
    var a = Math.abs(x);
    if (a >= 1e4) { return fixed(x, 0); }
    if (a === 0) { return "0"; }
    if (a < 1e-4) { return x.toExponential(2); }
    return fixed(x, Math.max(0, 3 - Math.floor(Math.log10(a))));
  }
  function significant(x, digits) {
    var s = x.toFixed(Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x)))));
    return strip(s);
  }
  function tonnes(x) {
    if (x === null || !isFinite(x)) { return ""; }
    if (Math.abs(x) < 1e-6) { return "0"; }
    if (D.unit === "t") { return Math.abs(x) >= 1000 ? fixed(x, 0) : significant(x, 4); }
    var s = strip(fixed(x / 1e4, 2));
    return (s === "0" || s === "-0") ? significant(x / 1e4, 2) : s;
  }
  function flowValue(v) {
    if (v === null || !isFinite(v)) { return "?"; }
    var steps = zh ? [[1e8, "亿t/a"], [1e4, "万t/a"]] : [[1e6, "Mt/a"], [1e3, "kt/a"]];
    for (var i = 0; i < steps.length; i++) {
      if (Math.abs(v) >= steps[i][0]) { return strip(number(v / steps[i][0])) + " " + steps[i][1]; }
    }
    return strip(number(v)) + " t/a";
  }
  function pname(i) { return P.name[i] || P.id[i]; }
  function flowId(j) { return F.id[j] || (P.id[F.s[j]] + ">" + P.id[F.t[j]] + ":" + M.id[F.m[j]]); }
  var kindIndex = {}, catIndex = {};
  D.kinds.forEach(function (k, i) { kindIndex[k] = i; });
  D.categories.forEach(function (c, i) { catIndex[c] = i; });
  var carrier = new Uint8Array(nF);
  D.carriers.forEach(function (j) { carrier[j] = 1; });
  var BOUNDARY = {"import": 1, "export": 1, "environment": 1, "landfill": 1};

  /* ---------------------------------------------------------------- the table */
  var VIEWS = {
    flows: {n: nF, cols: [
      ["id", function (j) { return flowId(j); }],
      ["from", function (j) { return pname(F.s[j]); }],
      ["to", function (j) { return pname(F.t[j]); }],
      ["material", function (j) { return M.name[F.m[j]]; }],
      ["tonnes", function (j) { return F.v[j]; }, tonnes],
      ["sigma", function (j) { return F.sd[j]; }, tonnes],
      ["status", function (j) { return T["st_" + D.statuses[F.st[j]]]; }]]},
    processes: {n: nP, cols: [
      ["process", function (i) { return P.id[i]; }],
      ["name", function (i) { return pname(i); }],
      ["kind", function (i) { return D.kindLabels[P.kind[i]]; }],
      ["group", function (i) { return P.group[i] >= 0 ? D.groups[P.group[i]] : ""; }],
      ["inputs", function (i) { return P["in"][i]; }, tonnes],
      ["outputs", function (i) { return P.out[i]; }, tonnes],
      ["stock_change", function (i) { return P.ds[i]; }, tonnes],
      ["residual", function (i) { return P.r[i]; }, tonnes]]}
  };
  var PAGE = 50, state = {view: "flows", rows: null, sort: -1, desc: false, page: 0, query: ""};
  var table = document.getElementById("mfa-detail-table");
  var search = document.getElementById("mfa-table-search");
  var count = document.getElementById("mfa-table-count");
  var pageLabel = document.getElementById("mfa-table-page");

  /* what a search looks in, built once per view: the text columns and the ids of the processes and
     materials shown by name */
  var searchText = {};
  VIEWS.flows.extra = function (j) { return P.id[F.s[j]] + " " + P.id[F.t[j]] + " " + M.id[F.m[j]]; };
  VIEWS.processes.extra = function () { return ""; };
  function haystack(view) {
    if (!searchText[view]) {
      var v = VIEWS[view], text = v.cols.filter(function (c) { return !c[2]; }), out = new Array(v.n);
      for (var i = 0; i < v.n; i++) {
        var parts = [v.extra(i)];
        for (var c = 0; c < text.length; c++) { parts.push(text[c][1](i)); }
        out[i] = parts.join("\u0001").toLowerCase();
      }
      searchText[view] = out;
    }
    return searchText[view];
  }
  function filterRows() {
    var v = VIEWS[state.view], q = state.query.toLowerCase().trim(), rows = [];
    var hay = q ? haystack(state.view) : null;
    for (var i = 0; i < v.n; i++) {
      if (q && hay[i].indexOf(q) < 0) { continue; }
      rows.push(i);
    }
    if (state.sort >= 0) {
      var get = v.cols[state.sort][1], num = !!v.cols[state.sort][2], sign = state.desc ? -1 : 1;
      var keys = new Array(v.n);
      rows.forEach(function (i) { keys[i] = get(i); });
      rows.sort(function (a, b) {
        var x = keys[a], y = keys[b];
        if (num) {
          if (x === null) { return y === null ? a - b : 1; }
          if (y === null) { return -1; }
          return (x - y) * sign || a - b;
        }
        return (x < y ? -1 : x > y ? 1 : 0) * sign || a - b;
      });
    }
    state.rows = rows;
  }
  function drawTable() {
    var v = VIEWS[state.view];
    table.textContent = "";
    var head = el("tr");
    v.cols.forEach(function (c, k) {
      var th = el("th", {"class": c[2] ? "num" : "", "data-col": c[0], "title": T.sort},
                  T["col_" + c[0]] + (state.sort === k ? (state.desc ? " ▼" : " ▲") : ""));
      th.addEventListener("click", function () {
        state.desc = state.sort === k ? !state.desc : !!c[2];
        state.sort = k; state.page = 0; filterRows(); drawTable();
      });
      head.appendChild(th);
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    var pages = Math.max(1, Math.ceil(state.rows.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    state.rows.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (i) {
      var tr = el("tr", {"data-row": i});
      v.cols.forEach(function (c) {
        var x = c[1](i);
        tr.appendChild(el("td", {"class": c[2] ? "num" : ""}, c[2] ? c[2](x) : x));
      });
      body.appendChild(tr);
    });
    count.textContent = T.rows.replace("{n}", state.rows.length.toLocaleString("en-US"))
      .replace("{total}", v.n.toLocaleString("en-US"));
    count.setAttribute("data-rows", state.rows.length);
    pageLabel.textContent = (state.page + 1) + " / " + pages;
  }
  if (table) {
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.query = search.value; state.page = 0; filterRows(); drawTable(); }, 120);
    });
    search.addEventListener("change", function () {
      clearTimeout(timer); state.query = search.value; state.page = 0; filterRows(); drawTable();
    });
    document.querySelectorAll("button[data-view]").forEach(function (b) {
      b.addEventListener("click", function () {
        state.view = b.getAttribute("data-view"); state.sort = -1; state.page = 0; filterRows(); drawTable();
      });
    });
    document.getElementById("mfa-table-prev").addEventListener("click", function () {
      state.page = Math.max(0, state.page - 1); drawTable(); });
    document.getElementById("mfa-table-next").addEventListener("click", function () {
      state.page += 1; drawTable(); });
    filterRows(); drawTable();
  }

  /* ---------------------------------------------------------------- the neighbourhood Sankey */
  var outStart = new Int32Array(nP + 1), inStart = new Int32Array(nP + 1);
  var outList = new Int32Array(nF), inList = new Int32Array(nF);
  (function () {
    var j;
    for (j = 0; j < nF; j++) { outStart[F.s[j] + 1]++; inStart[F.t[j] + 1]++; }
    for (j = 0; j < nP; j++) { outStart[j + 1] += outStart[j]; inStart[j + 1] += inStart[j]; }
    var o = outStart.slice(0, nP), n = inStart.slice(0, nP);
    for (j = 0; j < nF; j++) { outList[o[F.s[j]]++] = j; inList[n[F.t[j]]++] = j; }
  })();
  var members = {};  /* group index -> process indices */
  for (var i = 0; i < nP; i++) {
    if (P.group[i] >= 0) { (members[P.group[i]] = members[P.group[i]] || []).push(i); }
  }
  var choices = [];  /* [label, type, index] */
  for (i = 0; i < nP; i++) {
    choices.push([T.pick_process + pname(i) + (P.name[i] ? " [" + P.id[i] + "]" : ""), "p", i]);
  }
  D.groups.forEach(function (g, k) { choices.push([T.pick_group + g, "g", k]); });
  M.id.forEach(function (m, k) { choices.push([T.pick_material + M.name[k] + (M.name[k] !== m ? " [" + m + "]" : ""), "m", k]); });
  var byLabel = {};
  choices.forEach(function (c) { byLabel[c[0]] = c; });

  var MAX_MATERIAL_FLOWS = 60;
  function neighbourhood(choice, depth, carriers) {
    var keyOf = function (p) { return "p" + p; }, centre, label, note = [];
    var nodes = {}, links = {}, hidden = 0, unknown = 0;
    function node(key, name, kind, col) {
      if (!nodes[key]) { nodes[key] = {key: key, name: name, kind: kind, col: col, vin: 0, vout: 0}; }
      return nodes[key];
    }
    function link(s, t, cat, mat, v) {
      var k = s + "|" + t + "|" + mat;
      if (!links[k]) { links[k] = {s: s, t: t, cat: cat, mat: mat, v: 0}; }
      links[k].v += v;
    }
    function usable(j) {
      if (!carriers && carrier[j]) { hidden += F.v[j] || 0; return false; }
      if (F.v[j] === null) { unknown++; return false; }
      return F.v[j] > 0;
    }
    var matCat = function (m) { return D.categories[M.category[m]]; };
    if (choice[1] === "m") {
      carriers = true;  /* a material asked for is drawn, carrier or not (as sankey(park, material=…)) */
      var list = [];
      for (var j = 0; j < nF; j++) { if (F.m[j] === choice[2] && usable(j)) { list.push(j); } }
      list.sort(function (a, b) { return F.v[b] - F.v[a] || a - b; });
      var rest = list.slice(MAX_MATERIAL_FLOWS), restV = 0;
      rest.forEach(function (j) { restV += F.v[j]; });
      list.slice(0, MAX_MATERIAL_FLOWS).forEach(function (j) {
        link(keyOf(F.s[j]), keyOf(F.t[j]), matCat(F.m[j]), F.m[j], F.v[j]);
      });
      if (rest.length) { note.push(T.smaller.replace("{n}", rest.length).replace("{v}", flowValue(restV))); }
      centre = null; label = M.name[choice[2]];
    } else {
      var group = choice[1] === "g" ? choice[2] : -1;
      var inner = group >= 0 ? members[group] : [choice[2]];
      var isInner = {};
      inner.forEach(function (p) { isInner[p] = 1; });
      if (group >= 0) { keyOf = function (p) { return isInner[p] ? "centre" : "p" + p; }; }
      centre = keyOf(inner[0]);
      label = group >= 0 ? D.groups[group] : pname(choice[2]);
      /* processes within `depth` flows (carriers hidden do not widen it), by breadth-first search */
      var reached = {}, frontier = inner.slice(), procsOf = {};
      inner.forEach(function (p) { reached[p] = 1; });
      for (var d = 0; d < depth; d++) {
        var next = [];
        frontier.forEach(function (p) {
          var k, q, j2;
          for (k = outStart[p]; k < outStart[p + 1]; k++) {
            j2 = outList[k]; q = F.t[j2];
            if (!reached[q] && (carriers || !carrier[j2])) { reached[q] = 1; next.push(q); }
          }
          for (k = inStart[p]; k < inStart[p + 1]; k++) {
            j2 = inList[k]; q = F.s[j2];
            if (!reached[q] && (carriers || !carrier[j2])) { reached[q] = 1; next.push(q); }
          }
        });
        frontier = next;
      }
      var drawn = Object.keys(reached).map(Number);
      drawn.forEach(function (p) { (procsOf[keyOf(p)] = procsOf[keyOf(p)] || []).push(p); });
      drawn.forEach(function (p) {
        var k, j2, q;
        for (k = outStart[p]; k < outStart[p + 1]; k++) {
          j2 = outList[k]; q = F.t[j2];
          if (keyOf(q) === keyOf(p) || !usable(j2)) { continue; }
          link(keyOf(p), reached[q] ? keyOf(q) : "rest-out", matCat(F.m[j2]), F.m[j2], F.v[j2]);
        }
        for (k = inStart[p]; k < inStart[p + 1]; k++) {
          j2 = inList[k]; q = F.s[j2];
          if (reached[q] || !usable(j2)) { continue; }  /* flows inside were drawn from their source */
          link("rest-in", keyOf(p), matCat(F.m[j2]), F.m[j2], F.v[j2]);
        }
      });
      /* stock change and residual of each drawn process, so its tonnes in equal its tonnes out */
      Object.keys(procsOf).forEach(function (key) {
        var ds = 0, r = 0;
        procsOf[key].forEach(function (p) {
          if (BOUNDARY[D.kinds[P.kind[p]]]) { return; }
          ds += P.ds[p] || 0;
          if (P.bad[p]) { r += P.r[p] || 0; }
        });
        if (ds > 0) { link(key, "stock-in", "stock", -1, ds); } else if (ds < 0) { link("stock-out", key, "stock", -1, -ds); }
        if (r > 0) { link(key, "res-out", "residual", -2, r); } else if (r < 0) { link("res-in", key, "residual", -2, -r); }
      });
      note.push(T.around_note.replace("{n}", drawn.length));
    }
    if (hidden) { note.push(T.carriers_hidden.replace("{v}", flowValue(hidden))); }
    if (unknown) { note.push(T.unknown_hidden.replace("{n}", unknown)); }
    /* nodes of the links */
    var synthetic = {"rest-in": [T.rest_in, "rest"], "rest-out": [T.rest_out, "rest"],
                     "stock-in": [T.stock_in, "stock"], "stock-out": [T.stock_out, "stock"],
                     "res-out": [T.res_out, "residual"], "res-in": [T.res_in, "residual"]};
    var L = Object.keys(links).sort().map(function (k) { return links[k]; });
    L.forEach(function (l) {
      [l.s, l.t].forEach(function (key) {
        if (synthetic[key]) { node(key, synthetic[key][0], synthetic[key][1]); }
        else if (key === "centre") { node(key, label, "group"); }
        else { var p = Number(key.slice(1)); node(key, pname(p), D.kinds[P.kind[p]]); }
      });
      nodes[l.s].vout += l.v; nodes[l.t].vin += l.v;
    });
    return {nodes: nodes, links: L, centre: centre, label: label, note: note};
  }

  /* columns: the centre in the middle, what it receives from to the left, what it sends to to the right;
     entries from outside the drawing first, exits last */
  function columns(g) {
    var keys = Object.keys(g.nodes), col = {}, outs = {}, ins = {};
    g.links.forEach(function (l) { (outs[l.s] = outs[l.s] || []).push(l.t); (ins[l.t] = ins[l.t] || []).push(l.s); });
    var first = {"rest-in": 1, "stock-out": 1, "res-in": 1}, last = {"rest-out": 1, "stock-in": 1, "res-out": 1};
    var start = g.centre && g.nodes[g.centre] ? [g.centre] : keys.filter(function (k) { return !ins[k]; });
    if (!start.length && keys.length) { start = [keys[0]]; }
    start.forEach(function (k) { col[k] = 0; });
    var queue = start.slice();
    while (queue.length) {
      var k = queue.shift();
      (outs[k] || []).forEach(function (t) { if (col[t] === undefined && !first[t] && !last[t]) { col[t] = col[k] + 1; queue.push(t); } });
      (ins[k] || []).forEach(function (s) { if (col[s] === undefined && !first[s] && !last[s]) { col[s] = col[k] - 1; queue.push(s); } });
    }
    keys.forEach(function (k) { if (col[k] === undefined && !first[k] && !last[k]) { col[k] = 0; } });
    /* a link between two suppliers (or two customers) of the centre would run within a column: move its
       source further left (its target further right), a few columns at most, so links run left to right */
    for (var pass = 0; pass < 3; pass++) {
      g.links.forEach(function (l) {
        if (first[l.s] || last[l.t] || col[l.s] < col[l.t]) { return; }
        if (col[l.s] <= 0 && l.s !== g.centre && col[l.t] > -3) { col[l.s] = col[l.t] - 1; }
        else if (col[l.t] >= 0 && l.t !== g.centre && col[l.s] < 3) { col[l.t] = col[l.s] + 1; }
      });
    }
    var lo = 0, hi = 0;
    keys.forEach(function (k) {
      if (col[k] !== undefined) { lo = Math.min(lo, col[k]); hi = Math.max(hi, col[k]); }
    });
    keys.forEach(function (k) { if (first[k]) { col[k] = lo - 1; } if (last[k]) { col[k] = hi + 1; } });
    /* boundary sources to the far left, sinks to the far right, as in the main diagram */
    keys.forEach(function (k) {
      var kind = g.nodes[k].kind;
      if (kind === "import" && !ins[k]) { col[k] = Math.min(col[k], lo); }
      if ((kind === "export" || kind === "landfill" || kind === "environment") && !outs[k]) { col[k] = Math.max(col[k], hi); }
    });
    return col;
  }

  /* a node name cut to about 28 Latin characters (a Chinese character counts two), the whole in its hover */
  function short(name) {
    var width = 0;
    for (var i = 0; i < name.length; i++) {
      width += name.charCodeAt(i) > 0x2E80 ? 2 : 1;
      if (width > 28) { return name.slice(0, i) + "…"; }
    }
    return name;
  }
  function draw(g, title) {
    var col = columns(g), keys = Object.keys(g.nodes), byCol = {}, cmin = Infinity, cmax = -Infinity;
    keys.forEach(function (k) {
      var n = g.nodes[k]; n.value = Math.max(n.vin, n.vout); n.col = col[k];
      (byCol[n.col] = byCol[n.col] || []).push(n);
      cmin = Math.min(cmin, n.col); cmax = Math.max(cmax, n.col);
    });
    var GAP = 16, NODE_W = 10, COL_W = 300, TOP = 46, MIN_H = 1.5, maxSum = 0, maxN = 1;
    Object.keys(byCol).forEach(function (c) {
      var s = 0; byCol[c].forEach(function (n) { s += n.value; }); maxSum = Math.max(maxSum, s);
      maxN = Math.max(maxN, byCol[c].length);
    });
    var H = Math.max(260, Math.min(1400, maxN * 30 + 120)), scale = maxSum > 0 ? (H - GAP * maxN) / maxSum : 0;
    Object.keys(byCol).forEach(function (c) {
      var list = byCol[c].sort(function (a, b) { return (b.key === g.centre) - (a.key === g.centre) || b.value - a.value || (a.key < b.key ? -1 : 1); });
      var y = TOP;
      list.forEach(function (n) {
        n.x = (n.col - cmin) * COL_W + 20; n.h = Math.max(n.value * scale, MIN_H); n.y = y; y += n.h + GAP;
        n.oy = 0; n.iy = 0;
      });
    });
    var width = (cmax - cmin) * COL_W + 40 + 200, height = TOP;
    keys.forEach(function (k) { height = Math.max(height, g.nodes[k].y + g.nodes[k].h + 40); });
    height += 16 * g.note.length;
    var svg = sv("svg", {"class": "mfa-sankey-svg mfa-around-svg", "width": width, "height": height,
                         "viewBox": "0 0 " + width + " " + height, "role": "img", "font-size": "11"});
    svg.appendChild(sv("text", {"x": 20, "y": 20, "font-weight": "bold", "font-size": "14", "class": "sankey-title"}, title));
    /* ports in the order of the other end, so bands do not cross at their node */
    var L = g.links.slice().sort(function (a, b) { return g.nodes[a.t].y - g.nodes[b.t].y || g.nodes[a.s].y - g.nodes[b.s].y; });
    var linkLayer = svg.appendChild(sv("g")), nodeLayer = svg.appendChild(sv("g")), textLayer = svg.appendChild(sv("g"));
    L.forEach(function (l) {
      var s = g.nodes[l.s], t = g.nodes[l.t], w = Math.max(l.v * scale, 0.5);
      var x0 = s.x + NODE_W, y0 = s.y + s.oy + w / 2, x1 = t.x, y1 = t.y + t.iy + w / 2;
      s.oy += l.v * scale; t.iy += l.v * scale;
      var mx = (x0 + x1) / 2, back = x1 <= x0;
      if (back) { mx = Math.max(x0, x1) + 60; }
      var d = back
        ? "M" + x0 + "," + y0 + "C" + (x0 + 80) + "," + y0 + " " + (x1 - 80) + "," + y1 + " " + x1 + "," + y1
        : "M" + x0 + "," + y0 + "C" + mx + "," + y0 + " " + mx + "," + y1 + " " + x1 + "," + y1;
      var colour = D.categoryColors[catIndex[l.cat]] || "#C7C7C7";
      var path = sv("path", {"class": "sankey-link", "d": d, "fill": "none", "stroke": colour,
                              "stroke-width": w.toFixed(2), "stroke-opacity": "0.55", "data-value": l.v,
                              "data-source": l.s, "data-target": l.t});
      var matName = l.mat >= 0 ? M.name[l.mat] : (l.cat === "stock" ? T.stock_mat : T.res_mat);
      path.appendChild(sv("title", {}, s.name + " → " + t.name + "\n" + matName + " (" +
        D.categoryLabels[catIndex[l.cat]] + "): " + flowValue(l.v)));
      linkLayer.appendChild(path);
      /* the value where the band enters its target: node labels sit right of their nodes, so just left
         of a node there is room, and stacked bands 12 px or taller never share a line */
      if (w >= 12 && !back) {
        textLayer.appendChild(sv("text", {"class": "sankey-value", "x": x1 - 4, "y": y1,
          "text-anchor": "end", "dominant-baseline": "central", "fill": "#222"}, flowValue(l.v)));
      }
    });
    keys.forEach(function (k) {
      var n = g.nodes[k], gEl = sv("g", {"class": "sankey-node", "data-node": k});
      gEl.appendChild(sv("title", {}, n.name + " (" + D.kindLabels[kindIndex[n.kind]] + ")\n" +
        T.in_out.replace("{i}", flowValue(n.vin)).replace("{o}", flowValue(n.vout))));
      gEl.appendChild(sv("rect", {"x": n.x, "y": n.y, "width": NODE_W, "height": n.h.toFixed(2),
        "fill": D.kindColors[kindIndex[n.kind]] || "#777777", "stroke": "#333", "stroke-width": "0.5"}));
      nodeLayer.appendChild(gEl);
      var label = sv("text", {"class": "sankey-node-label", "x": n.x + NODE_W + 4, "y": n.y + n.h / 2,
        "text-anchor": "start", "dominant-baseline": "central", "font-weight": k === g.centre ? "bold" : "normal"});
      label.appendChild(sv("tspan", {}, short(n.name)));
      label.appendChild(sv("tspan", {"fill": "#555"}, " " + flowValue(n.value)));
      textLayer.appendChild(label);
    });
    g.note.forEach(function (line, k) {
      svg.appendChild(sv("text", {"x": 20, "y": height - 16 * (g.note.length - k) + 4, "class": "sankey-note", "fill": "#555"}, line));
    });
    return svg;
  }

  var input = document.getElementById("mfa-around-input");
  if (!input) { return; }
  var listEl = document.getElementById("mfa-around-list"), depthEl = document.getElementById("mfa-around-depth");
  var carriersEl = document.getElementById("mfa-around-carriers"), target = document.getElementById("mfa-around");
  var current = null;
  function suggest() {
    var q = input.value.toLowerCase(), shown = 0;
    listEl.textContent = "";
    for (var k = 0; k < choices.length && shown < 30; k++) {
      if (!q || choices[k][0].toLowerCase().indexOf(q) >= 0) { listEl.appendChild(el("option", {"value": choices[k][0]})); shown++; }
    }
  }
  function render() {
    if (!current) { return; }
    var g = neighbourhood(current, Number(depthEl.value), carriersEl.checked);
    var title = current[1] === "m" ? T.material_title.replace("{x}", g.label) : T.around_title.replace("{x}", g.label);
    target.textContent = "";
    if (!g.links.length) { target.appendChild(el("p", {"class": "note"}, T.nothing)); return; }
    target.appendChild(draw(g, title));
    target.setAttribute("data-links", g.links.length);
  }
  function pick() {
    var c = byLabel[input.value];
    if (!c) {
      var q = input.value.toLowerCase().trim();
      if (!q) { return; }
      for (var k = 0; k < choices.length && !c; k++) { if (choices[k][0].toLowerCase().indexOf(q) >= 0) { c = choices[k]; } }
      if (!c) { target.textContent = ""; target.appendChild(el("p", {"class": "note"}, T.no_match)); return; }
    }
    current = c; render();
  }
  /* a node of the report's own diagrams opens its neighbourhood here: a process, or the group an
     aggregated node stands for */
  var procIndex = {};
  P.id.forEach(function (p, k) { procIndex[p] = k; });
  document.querySelectorAll("svg.mfa-sankey-svg:not(.mfa-around-svg) g.sankey-node[data-node]").forEach(function (gEl) {
    var id = gEl.getAttribute("data-node").replace("⊕source", ""), c = null;
    if (D.nodeGroups.hasOwnProperty(id)) { c = choices[nP + D.nodeGroups[id]]; }
    else if (procIndex.hasOwnProperty(id)) { c = choices[procIndex[id]]; }
    if (!c) { return; }
    gEl.style.cursor = "pointer";
    gEl.addEventListener("click", function () {
      input.value = c[0]; current = c; render();
      document.getElementById("mfa-around-input").scrollIntoView();
    });
  });
  input.addEventListener("input", function () { suggest(); if (byLabel[input.value]) { pick(); } });
  input.addEventListener("change", pick);
  input.addEventListener("keydown", function (e) { if (e.key === "Enter") { pick(); } });
  depthEl.addEventListener("change", render);
  carriersEl.addEventListener("change", render);
  suggest();
})();
