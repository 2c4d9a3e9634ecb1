"""Where things live, relative to the repository root (the folder holding tracker.yml)."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO_ROOT / "_build"
SITE_DIR = BUILD_DIR / "html"
STATIC_DIR = REPO_ROOT / "_static"
VENDOR_DIR = STATIC_DIR / "vendor"
