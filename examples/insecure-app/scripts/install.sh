#!/bin/sh
# Stands in for a vendor's "curl | sh" installer (fetched from file:// so the build runs offline).
mkdir -p /opt/vendor && echo "vendor tool 1.0" > /opt/vendor/VERSION
