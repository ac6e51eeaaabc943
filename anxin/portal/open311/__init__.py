"""Open311 GeoReport v2 at ``/open311/v2/`` (issue 6, item 2) — see docs/open311.md.

- :mod:`.catalogue`: the services (petition categories and public hazard report types), their
  definitions and attributes, and how a request's attributes are read;
- :mod:`.intake`: ``POST requests`` → the petitions intake service or the public hazard report
  service, with ``actor=None`` as the portal does;
- :mod:`.selectors`: ``GET requests`` / ``requests/{id}`` / ``tokens/{token}``, with the privacy
  rules (public fields only without a key in scope, accusations never listed);
- :mod:`.render`: XML and JSON in the spec's shapes, errors included;
- :mod:`.views`, :mod:`.urls`: the endpoints.
"""
