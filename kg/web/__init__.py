"""What the web pages show, computed from the service layer (no HTML here, except the SVG
diagram): labels for IRIs, resource pages grouped and labelled, the governance picture, the
policy sentences, the home-page tier picture and the tool pages' view models.

``api/routes/web.py`` turns these into HTML with the templates in ``api/templates``.
"""
