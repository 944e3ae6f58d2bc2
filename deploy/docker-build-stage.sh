#!/usr/bin/env bash
# The Dockerfile's build stage without Docker (there is no engine on CI machines): its own COPY and RUN lines, read
# from the Dockerfile, run in a fresh folder that stands for /src, with /app replaced by <out>. So CI publishes what
# the image would hold, from only the files the image copies, with the same commands.
#   deploy/docker-build-stage.sh <out>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:?usage: deploy/docker-build-stage.sh <out folder>}" && cd "$1" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/confab-docker-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The lines between "FROM ... AS build" and the next FROM.
stage=$(awk '/^FROM .* AS build$/ { on = 1; next } /^FROM / { on = 0 } on' "$root/Dockerfile")
[ -n "$stage" ] || { echo "docker-build-stage: no 'FROM ... AS build' stage in the Dockerfile" >&2; exit 1; }

# .dockerignore's "**/name" patterns (bin/, obj/, node_modules/...) keep those out of every copied folder.
excludes=()
while read -r pattern; do
  case "$pattern" in \*\*/*) name=${pattern#\*\*/}; excludes+=("--exclude=${name%/}") ;; esac
done <"$root/.dockerignore"

while read -r instruction rest; do
  case "$instruction" in
    COPY)
      read -r -a parts <<<"$rest"
      destination="$work/${parts[-1]}"
      mkdir -p "$destination"
      for source in "${parts[@]:0:${#parts[@]}-1}"; do
        if [ -d "$root/$source" ]; then
          tar -C "$root/$source" "${excludes[@]}" -cf - . | tar -C "$destination" -xf -
        else
          cp -a "$root/$source" "$destination"
        fi
      done
      ;;
    RUN)
      echo "+ ${rest//\/app/$out}"
      (cd "$work" && eval "${rest//\/app/$out}")
      ;;
    WORKDIR | "" | \#*) ;;
    *) echo "docker-build-stage: no emulation for '$instruction' in the build stage" >&2; exit 1 ;;
  esac
done <<<"$stage"
[ -e "$out/Confab.dll" ] || { echo "docker-build-stage: $out/Confab.dll was not published" >&2; exit 1; }
