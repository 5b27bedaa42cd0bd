"""Recipes: the state a board should be in, read from TOML or made in Python.

:func:`load_recipe` reads a TOML file into a :class:`Recipe` (every problem named with its
file and line, before any traffic); :func:`prepare_recipe` reads the files a recipe names
(image packages, certificates, the list of OS releases) and its secrets, once for any number
of boards. :func:`~azsphere_async.planning.plan` and :func:`~azsphere_async.applying.apply`
take either. A recipe's ``[station]`` table (:class:`RecipeStation`) is the station's alone.
"""

from __future__ import annotations

from .loading import load_recipe, parse_recipe
from .model import Others, Recipe, RecipeApp, RecipeCertificate, RecipeWifi
from .prepared import PreparedApp, PreparedCertificate, PreparedRecipe, prepare_recipe
from .secrets import RecipeSecrets, Secret
from .source import RecipeSource
from .station_table import RecipeStation

__all__ = [
    "Others",
    "PreparedApp",
    "PreparedCertificate",
    "PreparedRecipe",
    "Recipe",
    "RecipeApp",
    "RecipeCertificate",
    "RecipeSecrets",
    "RecipeSource",
    "RecipeStation",
    "RecipeWifi",
    "Secret",
    "load_recipe",
    "parse_recipe",
    "prepare_recipe",
]
