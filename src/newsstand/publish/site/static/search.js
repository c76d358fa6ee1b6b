// Search over the site's Pagefind bundles (one per chunk of entries), merged into one.
(function () {
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  document.addEventListener("DOMContentLoaded", async function () {
    var box = document.getElementById("search-results");
    var input = document.getElementById("search-input");
    if (!box || !input) return;
    var bundles = box.dataset.bundles.split(" ").filter(Boolean);
    var query = new URLSearchParams(location.search).get("q") || "";
    input.value = query;
    if (!query.trim()) return;
    if (!bundles.length) { box.replaceChildren(el("p", "empty", box.dataset.none)); return; }
    var pagefind = await import(bundles[0] + "pagefind.js");
    await pagefind.options({ baseUrl: box.dataset.base });
    for (var i = 1; i < bundles.length; i++) await pagefind.mergeIndex(bundles[i]);
    var search = await pagefind.search(query);
    var results = await Promise.all(search.results.slice(0, 30).map(function (r) { return r.data(); }));
    var nodes = [el("p", "count", search.results.length + " " + box.dataset.count)];
    if (!results.length) nodes = [el("p", "empty", box.dataset.none)];
    results.forEach(function (data) {
      var item = el("article", "result");
      var title = el("h2");
      var link = el("a", "", data.meta.title || data.url);
      link.href = data.url;
      title.appendChild(link);
      // where and when: the entry page's own metadata (data-pagefind-meta)
      var meta = el("p", "meta", [data.meta.source, data.meta.date].filter(Boolean).join(" · "));
      var excerpt = el("p", "excerpt");
      // Pagefind's excerpt is text with <mark> around the hits: rebuild it without innerHTML.
      data.excerpt.split(/(<mark>.*?<\/mark>)/).forEach(function (part) {
        var hit = part.match(/^<mark>(.*)<\/mark>$/);
        var text = (hit ? hit[1] : part).replace(/&lt;/g, "<").replace(/&gt;/g, ">")
          .replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
        excerpt.appendChild(hit ? el("mark", "", text) : document.createTextNode(text));
      });
      item.append(title, meta, excerpt);
      nodes.push(item);
    });
    box.replaceChildren.apply(box, nodes);
  });
})();
