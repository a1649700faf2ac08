#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The dependency rule (docs/architecture.md), as TAP: every #include "..."
# goes down the layers, and no file circle. See tests/check-deps.py.
exec python3 "$(dirname "$0")/check-deps.py" "$(dirname "$0")/.."
