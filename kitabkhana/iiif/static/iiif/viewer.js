/* The page viewer of the OPAC record page: reads the item's IIIF manifest, shows its pages with OpenSeadragon
   (installed from npm, served as static/vendor/openseadragon/), turns pages right to left for right-to-left
   books, searches inside the book (IIIF Content Search 2.0) and offers the current page as JPEG.
   Without OpenSeadragon or fetch the plain page links of the record page stay as they are. */
(function () {
  "use strict";
  var root = document.getElementById("page-viewer");
  if (!root || typeof window.OpenSeadragon !== "function" || !window.fetch) {
    return;
  }
  var text = JSON.parse(document.getElementById("viewer-text").textContent);
  var rtl = root.getAttribute("data-direction") === "right-to-left";
  // A page is offered for download only where the item's rights allow downloads (as the PDF form is).
  var downloadable = root.getAttribute("data-downloadable") === "true";
  var language = (document.documentElement.lang || "en").split("-")[0];

  function pick(map) {
    if (!map) { return ""; }
    var values = map[language] || map.none || map.en || map[Object.keys(map)[0]] || [];
    return values.join(" ");
  }

  function make(tag, attributes, content) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (content !== undefined) { node.textContent = content; }
    return node;
  }

  function imageService(canvas) {
    var body = canvas.items[0].items[0].body;
    var service = (body.service || [])[0];
    return { body: body.id, service: service ? service.id || service["@id"] : null };
  }

  function build(manifest) {
    var canvases = manifest.items || [];
    if (!canvases.length) { return; }
    var images = canvases.map(imageService);
    var indexOf = {};
    canvases.forEach(function (canvas, index) { indexOf[canvas.id] = index; });
    var links = root.querySelector(".page-links");

    // The bar is laid out left to right whatever the page's direction, so "next" can sit where the book turns.
    var bar = make("div", { "class": "viewer-bar", dir: "ltr" });
    var previous = make("button", { type: "button", "class": "viewer-previous" }, rtl ? "→" : "←");
    var next = make("button", { type: "button", "class": "viewer-next" }, rtl ? "←" : "→");
    previous.setAttribute("aria-label", text.previous);
    next.setAttribute("aria-label", text.next);
    var choose = make("select", { "aria-label": text.page });
    canvases.forEach(function (canvas, index) {
      choose.appendChild(make("option", { value: String(index) }, text.page + " " + (pick(canvas.label) || index + 1)));
    });
    var jpeg = make("a", { "class": "viewer-jpeg", download: "" }, text.jpeg);
    if (rtl) { bar.append(next, choose, previous); } else { bar.append(previous, choose, next); }
    if (downloadable) { bar.append(jpeg); }
    var stage = make("div", { "class": "viewer-stage", tabindex: "0", "aria-label": pick(manifest.label) });
    var status = make("p", { "class": "visually-hidden", "aria-live": "polite" });
    root.insertBefore(bar, root.firstChild);
    root.insertBefore(stage, bar.nextSibling);
    root.appendChild(status);
    if (links) { links.setAttribute("dir", rtl ? "rtl" : "ltr"); }

    var viewer = window.OpenSeadragon({
      element: stage,
      prefixUrl: root.getAttribute("data-osd-images"),
      tileSources: images.map(function (image) {
        return image.service ? image.service + "/info.json" : { type: "image", url: image.body };
      }),
      sequenceMode: true,
      showSequenceControl: false,
      showNavigator: false,
      showRotationControl: true,
      preserveViewport: false,
      crossOriginPolicy: false
    });
    var current = 0;
    var hitsByCanvas = {};

    function goTo(index) {
      if (index >= 0 && index < canvases.length && index !== current) { viewer.goToPage(index); }
    }
    previous.addEventListener("click", function () { goTo(current - 1); });
    next.addEventListener("click", function () { goTo(current + 1); });
    choose.addEventListener("change", function () { goTo(parseInt(choose.value, 10)); });
    // Arrow keys follow the book: in a right-to-left book the left arrow turns to the next page.
    root.addEventListener("keydown", function (event) {
      if (event.target.tagName === "INPUT" || event.target.tagName === "SELECT") { return; }
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") { return; }
      var forward = (event.key === "ArrowLeft") === rtl;
      event.preventDefault();
      event.stopPropagation();
      goTo(current + (forward ? 1 : -1));
    }, true);
    if (links) {
      Array.prototype.forEach.call(links.querySelectorAll("a[data-page]"), function (link) {
        link.addEventListener("click", function (event) {
          event.preventDefault();
          goTo(parseInt(link.getAttribute("data-page"), 10));
          stage.focus();
        });
      });
    }

    function showHits() {
      var item = viewer.world.getItemAt(0);
      (hitsByCanvas[canvases[current].id] || []).forEach(function (box) {
        if (!item) { return; }
        viewer.addOverlay({ element: make("div", { "class": "viewer-hit" }),
                            location: item.imageToViewportRectangle(box[0], box[1], box[2], box[3]) });
      });
    }

    function update(index) {
      current = index;
      choose.value = String(index);
      previous.disabled = index === 0;
      next.disabled = index === canvases.length - 1;
      var image = images[index];
      jpeg.href = image.service ? image.service + "/full/max/0/default.jpg" : image.body;
      status.textContent = text.page + " " + (pick(canvases[index].label) || index + 1);
      if (links) {
        Array.prototype.forEach.call(links.querySelectorAll("a[data-page]"), function (link) {
          if (parseInt(link.getAttribute("data-page"), 10) === index) { link.setAttribute("aria-current", "page"); }
          else { link.removeAttribute("aria-current"); }
        });
      }
    }
    viewer.addHandler("page", function (event) { update(event.page); });
    viewer.addHandler("open", showHits);
    update(0);

    var search = (manifest.service || []).filter(function (s) { return s.type === "SearchService2"; })[0];
    if (search) { searchForm(search.id, goTo, function (hits) { hitsByCanvas = hits; viewer.clearOverlays(); showHits(); }, indexOf, canvases); }
  }

  // Search inside the book: the hits are listed by page and highlighted on the page they are on.
  function searchForm(endpoint, goTo, highlight, indexOf, canvases) {
    var form = make("form", { "class": "viewer-search", role: "search" });
    var input = make("input", { type: "search", name: "q", "aria-label": text.search, dir: "auto" });
    var button = make("button", { type: "submit" }, text.search);
    var results = make("ol", { "class": "viewer-hits", "aria-live": "polite" });
    form.append(input, button);
    root.appendChild(form);
    root.appendChild(results);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var q = input.value.trim();
      if (!q) { return; }
      var hits = {};
      results.textContent = "";
      // A common word in a long book fills several result pages: follow "next" up to a thousand hits.
      function load(url, shown) {
        return fetch(url, { credentials: "same-origin" })
          .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
          .then(function (page) {
            (page.items || []).forEach(function (annotation) {
              var target = typeof annotation.target === "string" ? annotation.target
                : (annotation.target.source && (annotation.target.source.id || annotation.target.source)) +
                  (annotation.target.selector && annotation.target.selector.value ? "#" + annotation.target.selector.value : "");
              var parts = String(target).split("#xywh=");
              var index = indexOf[parts[0]];
              if (index === undefined) { return; }
              if (parts[1]) {
                (hits[parts[0]] = hits[parts[0]] || []).push(parts[1].split(",").map(Number));
              }
              var body = annotation.body || {};
              var item = make("li");
              var link = make("button", { type: "button", "class": "link", dir: "auto" },
                              text.page + " " + (canvases[index].label ? (canvases[index].label.none || [index + 1])[0] : index + 1) +
                              (body.value ? " — " + body.value : ""));
              link.addEventListener("click", function () { goTo(index); });
              item.appendChild(link);
              results.appendChild(item);
            });
            shown += (page.items || []).length;
            var next = page.next && (page.next.id || page.next);
            if (next && shown < 1000) { return load(String(next), shown); }
            return null;
          });
      }
      load(endpoint + "?q=" + encodeURIComponent(q), 0)
        .then(function () {
          if (!results.childNodes.length) { results.appendChild(make("li", {}, text.noHits)); }
          highlight(hits);
        })
        .catch(function () { results.textContent = ""; results.appendChild(make("li", {}, text.searchFailed)); });
    });
  }

  fetch(root.getAttribute("data-manifest"), { credentials: "same-origin", headers: { Accept: "application/ld+json" } })
    .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
    .then(build)
    .catch(function () { /* the plain page links stay */ });
}());
