"""Run by Debian's python3 (with ``python3-qgis``), not the project's venv: open a QGIS project
stored in PostgreSQL in headless QGIS and print its layers as JSON.

Usage: ``PGUSER=… PGPASSWORD=… python3 qgis_project_probe.py PROJECT_URI`` (the login comes
from the environment, as a planner's does from QGIS's login dialog).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    """Print ``{"read": bool, "layers": {id: {valid, name, count, aliases, renderer, …}}}``."""
    from qgis.core import QgsApplication, QgsProject

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    project = QgsProject.instance()
    out: dict[str, object] = {"read": project.read(sys.argv[1]), "layers": {}}
    for layer in project.mapLayers().values():
        info: dict[str, object] = {"valid": layer.isValid(), "name": layer.name()}
        if layer.isValid():
            names = layer.fields().names()
            info["count"] = sum(1 for _ in layer.getFeatures())
            info["aliases"] = {n: layer.attributeAlias(i) for i, n in enumerate(names)}
            renderer = layer.renderer()
            info["renderer"] = renderer.type() if renderer else None
            if info["renderer"] == "categorizedSymbol":
                info["categories"] = {
                    c.value(): c.symbol().color().name() for c in renderer.categories()
                }
            info["widgets"] = {n: layer.editorWidgetSetup(i).type() for i, n in enumerate(names)}
            info["editable"] = layer.startEditing()
            layer.rollBack()
        out["layers"][layer.id()] = info
    print(json.dumps(out, ensure_ascii=False), flush=True)
    app.exitQgis()


if __name__ == "__main__":
    main()
