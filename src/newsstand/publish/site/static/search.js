// Search over the site's own index (newsstand/publish/site/search.py writes it): one
// bundle per chunk of entries, each a set of postings files and of result files.
(function () {
  // tokens() and shard() are twins of search.py's: change both
  var CJK = /([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u{20000}-\u{2fa1f}]+)/u;
  var WORD = /[\p{L}\p{N}]+/gu;
  var PER_FILE = 100; // results per file (search.DOCS_PER_FILE)
  var SHOWN = 30;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A query's tokens: its words, and every pair of neighbouring CJK characters (a lone
  // character alone), so that an entry matches when it holds every pair.
  function tokens(text) {
    var found = new Set();
    text.normalize("NFKC").toLowerCase().split(CJK).forEach(function (part, odd) {
      if (odd % 2) {
        var chars = Array.from(part);
        if (chars.length === 1) found.add(chars[0]);
        for (var i = 0; i + 1 < chars.length; i++) found.add(chars[i] + chars[i + 1]);
      } else {
        (part.match(WORD) || []).forEach(function (word) { found.add(word); });
      }
    });
    return Array.from(found);
  }

  function shard(token, shards) { // FNV-1a over code points
    var h = 0x811c9dc5;
    for (var ch of token) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
    return h % shards;
  }

  var files = {};
  function load(url) {
    return files[url] || (files[url] = fetch(url).then(function (response) {
      if (!response.ok) throw new Error(url + ": HTTP " + response.status);
      return response.json();
    }));
  }

  // entry number -> whether the title holds the token, from delta-encoded postings
  function postings(deltas) {
    var found = new Map(), value = 0;
    deltas.forEach(function (delta) { value += delta; found.set(value >> 1, value & 1); });
    return found;
  }

  // The entries of one bundle holding every token: {bundle, entry, title}.
  async function matches(bundle, at, words, shards) {
    var loaded = await Promise.all(words.map(function (word) {
      return load(bundle + shard(word, shards) + ".json");
    }));
    var lists = words.map(function (word, i) {
      return postings(Object.prototype.hasOwnProperty.call(loaded[i], word) ? loaded[i][word] : []);
    }).sort(function (a, b) { return a.size - b.size; });
    var found = [];
    lists[0].forEach(function (title, entry) {
      for (var i = 1; i < lists.length; i++) {
        if (!lists[i].has(entry)) return;
        title &= lists[i].get(entry);
      }
      found.push({ bundle: at, entry: entry, title: title });
    });
    return found;
  }

  // The text with the query's words and CJK runs marked, without innerHTML.
  function marked(node, text, pattern) {
    if (!pattern) { node.textContent = text; return node; }
    text.split(pattern).forEach(function (part, odd) {
      if (part) node.appendChild(odd % 2 ? el("mark", "", part) : document.createTextNode(part));
    });
    return node;
  }

  function highlighter(query) {
    var parts = query.normalize("NFKC").split(CJK).flatMap(function (part, odd) {
      return odd % 2 ? [part] : part.match(WORD) || [];
    });
    if (!parts.length) return null;
    parts.sort(function (a, b) { return b.length - a.length; });
    var escaped = parts.map(function (p) { return p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
    return new RegExp("(" + escaped.join("|") + ")", "iu");
  }

  async function run(box, query) {
    var bundles = box.dataset.bundles.split(" ").filter(Boolean);
    var shards = Number(box.dataset.shards);
    var words = tokens(query);
    var found = [];
    if (words.length && bundles.length) {
      found = (await Promise.all(bundles.map(function (bundle, at) {
        return matches(bundle, at, words, shards);
      }))).flat();
    }
    if (!found.length) { box.replaceChildren(el("p", "empty", box.dataset.none)); return; }
    // entries whose title matches first, then the newest (newer bundles, then by number)
    found.sort(function (a, b) { return b.title - a.title || b.bundle - a.bundle || a.entry - b.entry; });
    var shown = await Promise.all(found.slice(0, SHOWN).map(async function (hit) {
      var page = await load(bundles[hit.bundle] + "d" + Math.floor(hit.entry / PER_FILE) + ".json");
      return page[hit.entry % PER_FILE];
    }));
    var pattern = highlighter(query);
    var nodes = [el("p", "count", found.length + " " + box.dataset.count)];
    shown.forEach(function (result) { // [href, title, where, when, excerpt]
      var item = el("article", "result");
      var title = el("h2");
      var link = el("a", "", result[1]);
      link.href = result[0];
      title.appendChild(link);
      item.append(title, el("p", "meta", result[2] + " · " + result[3]),
        marked(el("p", "excerpt"), result[4], pattern));
      nodes.push(item);
    });
    box.replaceChildren.apply(box, nodes);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("search-results");
    var input = document.getElementById("search-input");
    if (!box || !input) return;
    var query = new URLSearchParams(location.search).get("q") || "";
    input.value = query;
    if (!query.trim()) return;
    run(box, query).catch(function (error) {
      console.error(error);
      box.replaceChildren(el("p", "empty", box.dataset.failed));
    });
  });
})();
