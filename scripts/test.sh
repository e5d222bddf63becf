#!/usr/bin/env bash
# The one test command (README quick start; .ci/run calls it). Installs what the tests need, then:
#   stage asan     AddressSanitizer + UBSan build, unit and integration tests (reduced scale)
#   stage e2e-deps npm ci for the node-redis / ioredis end-to-end tests
#   stage release  release build, scale, end-to-end and release-only tests
#   stage package  the Debian package from the release build, installed with dpkg and checked
#                  (scripts/package-test.sh: systemd-analyze verify, sd_notify, the installed binary)
#   stage fuzz     clang libFuzzer targets, each for FUNNEL_FUZZ_SECONDS (default 60)
# Every stage runs even if an earlier one failed, so one run shows everything that is broken;
# the exit status is non-zero if any stage failed.
#
#   scripts/test.sh              everything (what CI runs)
#   scripts/test.sh --quick      only the asan build and its unit tests, for a fast local loop
#   scripts/test.sh --only NAME  one stage (asan, e2e-deps, release, package or fuzz)
# Environment: FUNNEL_FUZZ_SECONDS (60), FUNNEL_TEST_TIMEOUT per test (300 s), FUNNEL_TEST_JOBS
# (nproc) tests run at once.
# Stage functions and the trap handler are called indirectly, which shellcheck cannot see.
# shellcheck disable=SC2317
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

usage() { sed -n '2,16p' scripts/test.sh | sed 's/^# \{0,1\}//'; }

quick=0
only=""
while (($# > 0)); do
  case "$1" in
    --quick) quick=1 ;;
    --only)
      only="${2:-}"
      shift
      case "$only" in
        asan | e2e-deps | release | package | fuzz) ;;
        *)
          echo "test: --only takes asan, e2e-deps, release, package or fuzz, not '$only'" >&2
          exit 2
          ;;
      esac
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "test: unknown argument '$1' (try --help)" >&2
      exit 2
      ;;
  esac
  shift
done

jobs="$(nproc)"
test_jobs="${FUNNEL_TEST_JOBS:-$jobs}"
test_timeout="${FUNNEL_TEST_TIMEOUT:-300}"
fuzz_seconds="${FUNNEL_FUZZ_SECONDS:-60}"
# Sanitizer reports must fail the test that caused them, with a stack to read.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

# ctest totals over all stages, for the closing "N passed, N failed" line.
total_passed=0
total_failed=0
summary=()
any_failed=0

# run_ctest PRESET LABEL_REGEX: runs the tests and adds their counts to the totals. A ctest that
# finds no test for the label is reported, not hidden.
run_ctest() {
  local preset="$1" labels="$2" log
  log="build/$preset/ctest-$(tr -c 'a-z0-9' '_' <<<"$labels" | sed 's/_*$//').log"
  local status=0
  ctest --preset "$preset" -L "$labels" --output-on-failure --timeout "$test_timeout" \
    --parallel "$test_jobs" 2>&1 | tee "$log" || status=$?
  local line
  line="$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1 || true)"
  if [[ -n "$line" ]]; then
    local failed total
    failed="$(sed -E 's/.*, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")"
    total="$(sed -E 's/.*failed out of ([0-9]+).*/\1/' <<<"$line")"
    echo "$((total - failed)) $failed" >>"$counts_file"
  elif grep -q 'No tests were found' "$log"; then
    echo "test: NOTE: no tests labelled '$labels' in preset $preset yet"
  fi
  return "$status"
}

configure_and_build() {
  local preset="$1"
  shift
  cmake --preset "$preset"
  cmake --build --preset "$preset" -j "$jobs" "$@"
}

stage_asan() {
  configure_and_build asan
  # Integration tests read this to shrink client counts and durations under the sanitizers.
  export FUNNEL_TEST_SCALE=reduced
  if ((quick)); then
    run_ctest asan 'unit'
  else
    run_ctest asan 'unit|integration'
  fi
}

stage_e2e_deps() {
  # Installed before the release stage: its e2e tests (wired through ctest) run node from here.
  local dir=tests/e2e/node
  if [[ ! -f "$dir/package.json" ]]; then
    echo "test: no $dir/package.json; nothing to install"
    return 0
  fi
  (cd "$dir" && npm ci --no-audit --no-fund)
}

stage_release() {
  configure_and_build release
  run_ctest release 'scale|e2e|release'
}

stage_fuzz() {
  cmake --preset fuzz
  local targets=()
  # The fuzz targets are whatever tests/fuzz/CMakeLists.txt defines: ask the build system.
  mapfile -t targets < <(cmake --build --preset fuzz --target help |
    sed -nE 's/^(fuzz_[A-Za-z0-9_]+): .*/\1/p' | sort -u)
  if ((${#targets[@]} == 0)); then
    echo "test: no fuzz targets in tests/fuzz/CMakeLists.txt yet; stage passes with nothing to run"
    return 0
  fi
  cmake --build --preset fuzz -j "$jobs" --target "${targets[@]}"
  local target binary work seeds status=0
  for target in "${targets[@]}"; do
    binary="$(find build/fuzz -type f -perm -u+x -name "$target" | head -1)"
    if [[ -z "$binary" ]]; then
      echo "test: fuzz target $target was built but its binary is not under build/fuzz" >&2
      status=1
      continue
    fi
    work="build/fuzz/corpus/$target"
    mkdir -p "$work" build/fuzz/artifacts
    # New inputs go to the first corpus dir (build/, not git); a checked-in seed corpus, if
    # any, is read from tests/fuzz/corpus/<target>.
    seeds=()
    [[ -d "tests/fuzz/corpus/$target" ]] && seeds=("tests/fuzz/corpus/$target")
    echo "test: fuzzing $target for ${fuzz_seconds}s"
    if ! "$binary" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$target-" \
      "$work" "${seeds[@]}"; then
      echo "test: FUZZ FINDING in $target; the input is in build/fuzz/artifacts/" >&2
      status=1
    fi
  done
  return "$status"
}

# run_stage NAME FUNCTION: times one stage and records its result without stopping the run.
run_stage() {
  local name="$1" fn="$2" start status=0
  start="$(date +%s)"
  echo
  echo "== stage $name: start"
  # A subshell with its own errexit: a failing command ends the stage, not the whole run.
  # (Not inside 'if': bash ignores set -e in a condition's subshell.)
  set +e
  (
    set -e
    "$fn"
  )
  status=$?
  set -e
  local seconds=$(($(date +%s) - start))
  if ((status == 0)); then
    summary+=("== stage $name: $seconds s, passed")
  else
    summary+=("== stage $name: $seconds s, FAILED (exit $status)")
    any_failed=1
  fi
  echo "== stage $name: $seconds s"
}

counts_file="$(mktemp -t funnel-test-counts.XXXXXX)"
trap 'rm -f "$counts_file"' EXIT

run_start="$(date +%s)"
run_stage deps scripts/install-deps.sh
if ((any_failed)); then
  echo "test: installing dependencies failed; a missing dependency fails the run" >&2
  exit 1
fi

# wanted NAME: true if this run includes stage NAME.
wanted() { [[ -z "$only" || "$only" == "$1" ]] && { ((!quick)) || [[ "$1" == asan ]]; }; }

if wanted asan; then run_stage asan stage_asan; fi
if wanted e2e-deps; then run_stage e2e-deps stage_e2e_deps; fi
if wanted release; then run_stage release stage_release; fi
if wanted package; then run_stage package scripts/package-test.sh; fi
if wanted fuzz; then run_stage fuzz stage_fuzz; fi

while read -r passed failed; do
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
done <"$counts_file"

echo
echo "== summary ($(($(date +%s) - run_start)) s)"
printf '%s\n' "${summary[@]}"
echo "tests: $total_passed passed, $total_failed failed"
exit "$any_failed"
