#!/bin/sh
# Regenerates imagenet_classes.txt: the 1000 ImageNet-1k class names, one per
# line in class-index order, from torchvision.models._meta._IMAGENET_CATEGORIES
# as Debian's python3-torchvision ships it (0.14.1). The list is read with
# Python's ast module, so torch itself is not imported (nor needed).
# Not run by CI; its output is committed.
set -eu
cd "$(dirname "$0")"
meta=$(dpkg -L python3-torchvision | grep '/torchvision/models/_meta.py$')
python3 - "$meta" > imagenet_classes.txt <<'PY'
import ast, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
for node in tree.body:
    if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_IMAGENET_CATEGORIES" for t in node.targets):
        names = ast.literal_eval(node.value)
        break
else:
    sys.exit("_IMAGENET_CATEGORIES not found in " + sys.argv[1])
if len(names) != 1000 or any("\n" in n for n in names):
    sys.exit("unexpected category list: %d names" % len(names))
sys.stdout.write("".join(n + "\n" for n in names))
PY
wc -l imagenet_classes.txt
