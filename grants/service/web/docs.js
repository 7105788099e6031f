// The API page: Swagger UI from the service's own copy (/docs/assets), on the service's own
// OpenAPI document. No validator badge (it would ask validator.swagger.io), no other host.
"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
