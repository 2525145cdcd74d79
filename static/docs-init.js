// Starts Swagger UI on the app's own schema; no validator badge (it would call out).
window.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
});
