/* fhai-plotly-lazy: a JupyterLab mime extension for plotly figures (application/vnd.plotly.v1+json) on fhai_nb's Voila
   pages. JupyterLab's plotly extension is one 4.8 MB script that every page would load, parse and run at start, even a
   page whose first view has no plot. This extension is a few kilobytes: it claims the plotly mime type at start and
   loads the installed jupyterlab-plotly extension (its package.json says which script) only when a figure is first
   shown, then hands every figure to that renderer unchanged. Hand-written to the module-federation container
   interface JupyterLab loads extensions through (`init(shareScope)`, `get(module)`); no build step. */
(function () {
  "use strict";
  var MIME = "application/vnd.plotly.v1+json", REAL = "jupyterlab-plotly";
  var shareScope = null, lumino = null, real = null;

  function config(key) {
    var el = document.getElementById("jupyter-config-data");
    return el ? JSON.parse(el.textContent)[key] : undefined;
  }
  function join(a, b) { return a.replace(/\/+$/, "") + "/" + b.replace(/^\/+/, ""); }
  function script(url) {
    return new Promise(function (ok, fail) {
      var s = document.createElement("script");
      s.onload = ok; s.onerror = function () { fail(new Error("could not load " + url)); };
      s.async = true; s.src = url; document.head.appendChild(s);
    });
  }
  function realFactory() {  // jupyterlab-plotly's renderer factory, loaded once per page
    if (real) return real;
    var base = join(config("fullLabextensionsUrl") || "/voila/labextensions", REAL);
    real = fetch(join(base, "package.json"), {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(REAL + " is not installed (" + r.status + ")"); return r.json(); })
      .then(function (pkg) {
        var build = (pkg.jupyterlab || {})._build || {};
        return script(join(base, build.load)).then(function () {
          var c = window._JUPYTERLAB[REAL];
          return Promise.resolve(c.init(shareScope)).then(function () { return c.get(build.mimeExtension); });
        });
      })
      .then(function (factory) {
        var m = factory(), exts = Object.prototype.hasOwnProperty.call(m, "__esModule") ? m["default"] : m;
        exts = Array.isArray(exts) ? exts : [exts];
        for (var i = 0; i < exts.length; i++) {
          var f = exts[i].rendererFactory;
          if (f && f.mimeTypes.indexOf(MIME) >= 0) return f;
        }
        throw new Error(REAL + " has no renderer for " + MIME);
      });
    real.catch(function () { real = null; });  // a failed load is tried again by the next figure
    return real;
  }

  function extension() {
    var W = lumino;
    class LazyPlotly extends W.Widget {
      constructor(options) {
        super();
        this.options = options; this.inner = null;
        this.addClass("fhai-plotly-lazy");
        this.layout = new W.PanelLayout();
      }
      renderModel(model) {
        var self = this;
        return realFactory().then(function (f) {
          if (!self.inner) { self.inner = f.createRenderer(self.options); self.layout.addWidget(self.inner); }
          return self.inner.renderModel(model);
        }, function (e) {
          self.node.textContent = "Plot unavailable: " + e.message;
        });
      }
    }
    return {
      id: "fhai-plotly-lazy:factory",
      rendererFactory: {safe: true, mimeTypes: [MIME], createRenderer: function (o) { return new LazyPlotly(o); }},
      rank: 2,
      dataType: "json"
    };
  }

  window._JUPYTERLAB = window._JUPYTERLAB || {};
  window._JUPYTERLAB["fhai-plotly-lazy"] = {
    init: function (scope) {
      shareScope = scope;
      var versions = scope["@lumino/widgets"], keys = Object.keys(versions || {});
      if (!keys.length) return Promise.reject(new Error("fhai-plotly-lazy: @lumino/widgets is not shared on this page"));
      keys.sort(function (a, b) { return a.localeCompare(b, undefined, {numeric: true}); });
      return Promise.resolve(versions[keys[keys.length - 1]].get()).then(function (f) { lumino = f(); });
    },
    get: function (module) {
      if (module !== "./mimeExtension") return Promise.reject(new Error("fhai-plotly-lazy has no module " + module));
      return Promise.resolve(function () { return {__esModule: true, "default": [extension()]}; });
    }
  };
})();
