// Start ReDoc on /redoc (kept out of the page: the CSP allows no inline script).
Redoc.init("/openapi.json", {}, document.getElementById("redoc"));
