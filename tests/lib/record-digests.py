#!/usr/bin/python3
"""Prints `export` lines with the digest, image ID and layers of each fixture image.

    record-digests.py HOST:PORT IMAGES.json...

Reads every pushed test/* image back from the plain registry at HOST:PORT, so the values are
what a client gets; an image pushed byte for byte must still have the digest the builder
computed (a difference means the push rewrote it, and is an error).
"""

import hashlib
import json
import shlex
import sys
import urllib.request

ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


def get(hostport, repo, ref):
    req = urllib.request.Request("http://%s/v2/%s/manifests/%s" % (hostport, repo, ref),
                                 headers={"Accept": ACCEPT})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()


def var(repo):
    return "DEN_TEST_" + repo.split("/", 1)[1].replace("-", "_").upper()


def export(name, value):
    print("export %s=%s" % (name, shlex.quote(value)))


def main(hostport, files):
    for path in files:
        with open(path) as f:
            images = json.load(f)
        for img in images:
            for p in img["pushes"]:
                if not p["repo"].startswith("test/"):
                    continue
                v = var(p["repo"])
                raw = get(hostport, p["repo"], p["tag"])
                digest = "sha256:" + hashlib.sha256(raw).hexdigest()
                want = img.get("digest")
                if p.get("format") is None and want and want != digest:
                    sys.exit("record-digests: %s:%s has %s in the registry, the builder made %s"
                             % (p["repo"], p["tag"], digest, want))
                export(v + "_DIGEST", digest)
                m = json.loads(raw)
                if "manifests" in m:
                    for d in m["manifests"]:
                        arch = d["platform"]["architecture"].upper()
                        sub = json.loads(get(hostport, p["repo"], d["digest"]))
                        export("%s_%s_DIGEST" % (v, arch), d["digest"])
                        export("%s_%s_ID" % (v, arch), sub["config"]["digest"][7:])
                else:
                    export(v + "_ID", m["config"]["digest"][7:])
                    export(v + "_LAYERS", " ".join(l["digest"] for l in m["layers"]))
            if img.get("tamper_blob"):
                export("DEN_TEST_TAMPERED_BLOB", img["tamper_blob"])


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
