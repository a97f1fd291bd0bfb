// Starts Swagger UI on /docs (api/docs.py). A file, not an inline script: the API's CSP
// (script-src 'self') forbids inline scripts. validatorUrl null: no badge image from
// swagger.io, which the CSP (img-src 'self' data:) would refuse.
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
