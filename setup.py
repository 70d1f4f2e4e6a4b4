"""The wheel's runtime files that live outside desktop/: the icon and the cues
(assets/) and the model catalog (models/catalog.toml) go in as the data packages
`desktop.assets` and `desktop.catalog`, so an installed Hearth finds them with
importlib (desktop/core/paths.py). Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["desktop", "desktop.*"]), "desktop.assets", "desktop.catalog"],
    package_dir={"desktop.assets": "assets", "desktop.catalog": "models"},
    package_data={"desktop.assets": ["icon.png", "sounds/*.wav"], "desktop.catalog": ["catalog.toml"]},
)
