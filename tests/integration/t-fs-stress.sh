#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth-fs under load: 4 concurrent workers (2 writers, 1 renamer, 1
# reader) on one writable mount for BERTH_STRESS_SECONDS (60); then every
# worker's subtree must equal its model, the daemon must still answer,
# and (in the sanitizer build) it must have reported nothing.
. "$(dirname "$0")/../lib.sh"
require_fixtures
SECONDS_RUN=${BERTH_STRESS_SECONDS:-60}

require_fuse
STRESS=$(user_script fs-stress.py)
mnt="$T/mnt"
as_user mkdir -p "$mnt"
pre_cleanup() { as_user fusermount3 -u "$mnt" 2>/dev/null; }
# a sanitizer report of the daemon (which has no terminal) lands here
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/san"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/san"

check "load hc-whiteout" -- berth load -q -i "$FIXTURES/hc-whiteout"
check "mount it writable" -- bfs image mount --upper "$T/up" localhost/hc-whiteout:latest "$mnt"
check "4 workers for ${SECONDS_RUN} s: every subtree equals its model" -- as_user python3 "$STRESS" "$mnt" "$SECONDS_RUN"
diag "$(cat "$T/check.out")"
check "the daemon still answers" -- as_user stat "$mnt/etc/keep.conf"
check "unmount" -- as_user fusermount3 -u "$mnt"
check "the daemon reported no sanitizer error" -- bash -c "! ls '$T'/san.* 2>/dev/null | grep -q ."
check "the berth-fs daemons reported no sanitizer error" -- bfs_log_clean
finish
