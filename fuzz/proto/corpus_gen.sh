#!/usr/bin/env bash
# corpus_gen.sh — regenerate the seed corpora of the proto fuzz targets from
# the test vectors of proto/PROTOCOL.md, plus a few hand-made variants.
# Usage: bash fuzz/proto/corpus_gen.sh   (from anywhere; rewrites the files)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
doc="$here/../../proto/PROTOCOL.md"
mkdir -p "$here/corpus_report" "$here/corpus_ack" "$here/corpus_figures"

unhex () { printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }

# name, kind and body of each vector block
awk '/^vector: /{name=$2} /^kind: /{kind=$2} /^body: /{print name, kind, $2}' "$doc" |
while read -r name kind body; do
  unhex "$body" > "$here/corpus_$kind/$name"
done

r1=$(awk '/^vector: report-int-float/{f=1} f&&/^body: /{print $2; exit}' "$doc")
# 0.875 as float 32 instead of float 64 (valid, non-canonical)
unhex "${r1/cb3fec000000000000/ca3f600000}" > "$here/corpus_report/variant-float32"
# seq 1 as uint 64 (valid, non-canonical)
unhex "${r1/a373657101/a3736571cf0000000000000001}" > "$here/corpus_report/variant-seq-u64"
# v = 2
unhex "${r1/86a17601/86a17602}" > "$here/corpus_report/variant-v2"
# the small refusal bodies of section 12.8
for h in 80 9101 810101 81a17601 82a17601a17601 82a17601a178c0 dfffffffff; do
  unhex "$h" > "$here/corpus_report/small-$h"
  unhex "$h" > "$here/corpus_ack/small-$h"
done
