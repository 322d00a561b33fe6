import base64
import hashlib
from pathlib import Path

from shop.templating import ASSETS

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_the_local_fallback_is_the_file_the_cdn_integrity_hash_names():
    for name, asset in ASSETS.items():
        data = (STATIC / asset["local"]).read_bytes()
        digest = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
        assert digest == asset["integrity"], name
        version = asset["local"].split("-")[1].removesuffix(".min.js")
        assert f"@{version}/" in asset["cdn"], "CDN and local copy must be the same version"
