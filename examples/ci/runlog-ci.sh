#!/bin/sh
# Runlog in CI, for any CI system: train the demo project, gate its model against the champion,
# publish the report, and promote it when the build is on the main branch. The same steps as
# github-workflow.yml, for GitLab, Jenkins, Buildkite or a cron job. Run it from the repository root.
#
# Every setting is an environment variable:
#   RUNLOG          how to run the CLI (default: runlog; from a clone: "node <clone>/dist/cli.js")
#   RUNLOG_CLIENT   a Runlog python/ folder to pip install first (default: none, the client is installed)
#   PYTHON          the interpreter that trains (default: python3)
#   PROJECT         the demo project's folder (default: examples/house-prices)
#   TRAIN_ARGS      arguments for train.py (default: none)
#   BRANCH          the branch being built (default: the checked-out branch)
#   MAIN_BRANCH     the branch whose builds deliver (default: main)
#   REPORT          where the Markdown report is written (default: runlog-report.md)
#   RUNLOG_DIR      the store (default: .runlog/ at the top of the repository). Keep it between builds
#                   (a cache, a shared folder) so there is a champion to beat, one build at a time.
#
# Exit status: 0 the new model passed (and, on the main branch, was promoted if better); 1 it is a
# regression; 2, 3, 4 as runlog check (a usage error, something missing, another error).
set -eu

RUNLOG=${RUNLOG:-runlog}
PYTHON=${PYTHON:-python3}
PROJECT=${PROJECT:-examples/house-prices}
TRAIN_ARGS=${TRAIN_ARGS:-}
BRANCH=${BRANCH:-$(git rev-parse --abbrev-ref HEAD)}
MAIN_BRANCH=${MAIN_BRANCH:-main}
REPORT=${REPORT:-runlog-report.md}
CHAMPION=models:/house-prices@champion

# 1. Install the Python client (pip needs no package index for it).
if [ -n "${RUNLOG_CLIENT:-}" ]; then
  "$PYTHON" -m pip install --quiet --no-index "$RUNLOG_CLIENT"
fi

# 2. Train. The run logs into the store and registers its model; the champion is left to step 4.
# shellcheck disable=SC2086 # TRAIN_ARGS is a list of arguments
(cd "$PROJECT" && "$PYTHON" train.py --no-promote $TRAIN_ARGS)

# 3. Gate: the new run against the champion's run. Exit 1 is a regression; the first build has no
# champion yet and passes (--allow-missing-baseline).
status=0
$RUNLOG check latest --metric rmse --better-than "$CHAMPION" --allow-missing-baseline --format md >"$REPORT" || status=$?
if $RUNLOG show "$CHAMPION" >/dev/null 2>&1; then
  $RUNLOG compare latest "$CHAMPION" --only-differences --format md >>"$REPORT"
fi
cat "$REPORT"
if [ "$status" -ne 0 ]; then
  echo "runlog check exited $status: the new model is not promoted" >&2
  exit "$status"
fi

# 4. Deliver: on the main branch the new model becomes the champion if it is still better than the
# champion at that moment (a compare-and-set: two builds finishing at once cannot both win).
if [ "$BRANCH" = "$MAIN_BRANCH" ]; then
  $RUNLOG promote runs:/latest/model --alias champion --if-better-than "$CHAMPION" --metric rmse --allow-missing-baseline
fi
