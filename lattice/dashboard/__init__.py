"""``lattice dashboard``: a web page of the lattice, served by aiohttp, steering it through the control client.

* :mod:`~lattice.dashboard.snapshot` — hosts, actors per host, providers, links, claims and apps in one JSON;
* :mod:`~lattice.dashboard.feed` — lifecycle events (live, server-sent) and invocation rates from rpc events;
* :mod:`~lattice.dashboard.actions` — the page's actions, with the checks and errors of the CLI;
* :mod:`~lattice.dashboard.server` — the app: routes, token, same-origin guard, static files in ``static/``.
"""
