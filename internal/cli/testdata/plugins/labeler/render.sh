#!/bin/sh
# A post-renderer: labels each object with the label it is given as its
# first argument.
sed "s/^metadata:\$/metadata:\n  labels:\n    rendered-by: ${1:-labeler}/"
