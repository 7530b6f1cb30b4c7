"""The web pages' parts other than the routes (``api.routes.web``): the templates and the
resource page (``templates``), the caches of one app (``state``) and the middleware that
makes the REST URLs browsable (``middleware``)."""
