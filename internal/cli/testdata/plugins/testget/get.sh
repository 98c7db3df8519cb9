#!/bin/sh
# Helm's arguments: certFile keyFile caFile URL
url="$4"
file="$HELM_PLUGIN_DIR/values/${url#test://}"
if [ ! -f "$file" ]; then
  echo "testget: no such file: ${url}" >&2
  exit 2
fi
cat "$file"
