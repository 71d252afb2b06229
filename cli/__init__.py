"""The ``gis-app`` command line: an adapter over :mod:`gis_app.services`, like :mod:`api`.

It lives outside the core package so that the core never imports the adapters: the CLI may
call :mod:`api` (``serve``) and :mod:`maps` (``render-map``); :mod:`gis_app` may import
neither.
"""
