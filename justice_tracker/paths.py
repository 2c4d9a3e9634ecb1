"""Where things live.

The project root is the folder that holds the config file (tracker.yml): data, notebooks, book pages and build
output are all found relative to it. It is the repository by default; `justice-tracker --config PATH` makes the
folder of PATH the root for the whole run, including the notebook kernels and the Sphinx build it starts (they
inherit JCT_PROJECT_ROOT and JCT_CONFIG from the environment, which the command sets before anything reads them).
The package's own code is always found beside this file, wherever the project root is.
"""
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT_ENV = "JCT_PROJECT_ROOT"
CONFIG_ENV = "JCT_CONFIG"

REPO_ROOT = Path(os.environ.get(PROJECT_ROOT_ENV) or PACKAGE_DIR.parent).resolve()
CONFIG_FILE = Path(os.environ.get(CONFIG_ENV) or REPO_ROOT / "tracker.yml").resolve()
BUILD_DIR = REPO_ROOT / "_build"
SITE_DIR = BUILD_DIR / "html"
STATIC_DIR = REPO_ROOT / "_static"
VENDOR_DIR = STATIC_DIR / "vendor"
PARSE_CACHE_DIR = BUILD_DIR / "parsed"
# Chart images by the sha256 of what each was drawn from. An edition, built in a tree of its own, is handed the
# working tree's cache: the key is what was drawn, so sharing the cache cannot change a picture.
CHART_CACHE_ENV = "JCT_CHART_CACHE"
CHART_CACHE_DIR = Path(os.environ.get(CHART_CACHE_ENV) or BUILD_DIR / "chart-cache")
