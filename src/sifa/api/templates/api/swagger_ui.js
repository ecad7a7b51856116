{% comment %}drf-spectacular's start-up script, with one Swagger UI plugin of ours added: an h2
(接口列表) before the operations, so the headings run h1 → h2 → h3 (axe: heading-order), and the
API's title and description in a named region (axe: region; Swagger UI's main#operations is the
main landmark).{% endcomment %}
"use strict";
(() => {
  const original = window.SwaggerUIBundle;
  const sifaHeadings = () => ({
    wrapComponents: {
      InfoContainer: (InfoContainer, system) => (props) =>
        system.React.createElement(
          "section",
          { "aria-label": "接口说明" },
          system.React.createElement(InfoContainer, props),
        ),
      operations: (Operations, system) => (props) =>
        system.React.createElement(
          "div",
          null,
          system.React.createElement("h2", { className: "sifa-swagger-heading" }, "接口列表"),
          system.React.createElement(Operations, props),
        ),
    },
  });
  const withOurPlugins = (options) =>
    original({ ...options, plugins: [...(options.plugins || []), sifaHeadings] });
  window.SwaggerUIBundle = Object.assign(withOurPlugins, original);
})();
{% include "drf_spectacular/swagger_ui.js" %}
