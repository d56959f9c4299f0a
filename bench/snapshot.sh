#!/bin/sh
# Export a commit of the repository (default HEAD) to a folder importable as `gongzhi`, so the
# benchmarks measure a committed engine even while the working tree is being edited.
#   eval "$(bench/snapshot.sh [COMMIT] [DEST])"   # sets PYTHONPATH for this shell; then python bench/run.py ...
set -eu
commit=${1:-HEAD}
dest=${2:-/tmp/gongzhi-bench-$(git rev-parse --short "$commit")}
rm -rf "$dest" && mkdir -p "$dest/src"
git archive "$commit" | tar -x -C "$dest/src"
# the package layout of pyproject.toml: gongzhi = engine/, gongzhi.plugins = plugins/, ...
ln -s "$dest/src/engine" "$dest/gongzhi"
for sub in plugins adapters bpmn; do ln -sfn "$dest/src/$sub" "$dest/src/engine/$sub"; done
echo "export PYTHONPATH=$dest${PYTHONPATH:+:$PYTHONPATH}"
echo "# measuring $(git rev-parse --short "$commit") from $dest" >&2
