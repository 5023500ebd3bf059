// Swagger UI over the server's own description (a file, not inline: the pages' CSP allows no inline script).
window.ui = SwaggerUIBundle({
  url: '/openapi.yaml',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout'
});
