#!/usr/bin/env bash
# shellcheck disable=SC2016  # backticks in printf formats are Markdown, not expansions
# The shell side of the threatc GitHub Action (action.yml runs one subcommand per step).
# Everything comes in through environment variables (never `${{ }}` in the step's script),
# so it runs the same way locally: tests/action.rs drives it with a temporary git repository,
# fake GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files and a fake `gh`.
#
#   run.sh setup     version, release target, asset name and install folder -> GITHUB_OUTPUT
#   run.sh install   download the release asset, verify it against SHA256SUMS, unpack it
#   run.sh check     threatc check --format sarif (file) and --format github (annotations)
#   run.sh build     threatc build MODEL --out OUT
#   run.sh diff      threatc diff --git BASE MODEL --out DIFF --fail-on-regression
#   run.sh comment   post the diff as one pull-request comment, or update the previous one
#   run.sh gate      fail when the pull request lowers coverage (fail-on-regression)
#
# Inputs (set by action.yml from `with:`): INPUT_MODEL, INPUT_VERSION, INPUT_THREATC,
# INPUT_OUT, INPUT_DIFF_DIR, INPUT_BASE, INPUT_FAIL_ON_REGRESSION, INPUT_DOWNLOAD_URL.
# Runner variables used: GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_PATH, GITHUB_EVENT_NAME,
# GITHUB_EVENT_PATH, GITHUB_BASE_REF, GITHUB_REPOSITORY, GITHUB_ACTION_PATH, RUNNER_OS,
# RUNNER_ARCH, RUNNER_TEMP, RUNNER_TOOL_CACHE; GH_TOKEN for the comment.
set -euo pipefail

MARKER='<!-- threatc-diff -->'
BOT_LOGIN='github-actions[bot]'
DEFAULT_DOWNLOAD_URL='https://github.com/threatc/threatc/releases/download'

die() {
  printf '::error title=threatc action::%s\n' "$1"
  exit "${2:-1}"
}

# `key=value` to the step's outputs (multi-line values are not used).
output() {
  printf '%s=%s\n' "$1" "$2" >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
}

summary() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat >> "$GITHUB_STEP_SUMMARY"
  else
    cat > /dev/null
  fi
}

# The functions below set globals (MODEL, TARGET, VERSION, BASE) rather than print: a
# `die` inside `$(...)` would lose its message.
require_model() {
  MODEL=${INPUT_MODEL:-}
  [ -n "$MODEL" ] || die "the input \`model\` is required (the path of the model file)"
}

threatc_bin() {
  if [ -n "${INPUT_THREATC:-}" ]; then
    printf '%s' "$INPUT_THREATC"
  else
    printf 'threatc'
  fi
}

# The release target (Rust triple) of the runner, from RUNNER_OS and RUNNER_ARCH.
resolve_target() {
  case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) TARGET='x86_64-unknown-linux-musl' ;;
    Linux/ARM64) TARGET='aarch64-unknown-linux-musl' ;;
    macOS/X64) TARGET='x86_64-apple-darwin' ;;
    macOS/ARM64) TARGET='aarch64-apple-darwin' ;;
    # Windows on Arm runs x86_64 programs under emulation.
    Windows/X64 | Windows/ARM64) TARGET='x86_64-pc-windows-msvc' ;;
    *) die "no threatc release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: build it with \`cargo install --locked threatc\` and pass its path as the input \`threatc\`" ;;
  esac
}

# The version to download: the input, else the version in the action's own Cargo.toml (the
# action used at tag v0.3.1, or at v0 pointing to it, downloads threatc 0.3.1).
resolve_version() {
  local v=${INPUT_VERSION:-}
  if [ -z "$v" ]; then
    local manifest="${GITHUB_ACTION_PATH:-.}/Cargo.toml"
    [ -f "$manifest" ] || die "no input \`version\` and no $manifest to read it from"
    v=$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$manifest" | head -n 1)
    [ -n "$v" ] || die "no version in $manifest"
  fi
  v=${v#v}
  case "$v" in
    *[!0-9A-Za-z.+-]* | '') die "invalid version \`$v\`" ;;
  esac
  VERSION=$v
}

# Release asset names; scripts/package-release.sh writes them, the release workflow uploads them.
asset_name() { # version target
  case "$2" in
    *windows*) printf 'threatc-%s-%s.zip' "$1" "$2" ;;
    *) printf 'threatc-%s-%s.tar.gz' "$1" "$2" ;;
  esac
}

sha256_of() {
  if command -v sha256sum > /dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

cmd_setup() {
  if [ -n "${INPUT_THREATC:-}" ]; then
    [ -x "$INPUT_THREATC" ] || die "the input \`threatc\` ($INPUT_THREATC) is not an executable file"
    output skip-download true
    output path "$INPUT_THREATC"
    output version "$("$INPUT_THREATC" --version | sed 's/^threatc //')"
    return
  fi
  resolve_version
  resolve_target
  output skip-download false
  output version "$VERSION"
  output target "$TARGET"
  output asset "$(asset_name "$VERSION" "$TARGET")"
  output dir "${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/threatc/$VERSION/$TARGET"
}

cmd_install() {
  local v t asset dir base exe
  resolve_version
  resolve_target
  v=$VERSION
  t=$TARGET
  asset=$(asset_name "$v" "$t")
  dir=${INSTALL_DIR:?INSTALL_DIR is not set}
  exe=threatc
  case "$t" in *windows*) exe=threatc.exe ;; esac
  if [ -x "$dir/$exe" ]; then
    echo "threatc $v ($t) restored from the cache: $dir/$exe"
  else
    base="${INPUT_DOWNLOAD_URL:-$DEFAULT_DOWNLOAD_URL}/v$v"
    local tmp
    tmp=$(mktemp -d "${RUNNER_TEMP:-/tmp}/threatc-download.XXXXXX")
    echo "downloading $base/$asset"
    curl --fail --silent --show-error --location --retry 3 -o "$tmp/$asset" "$base/$asset" \
      || die "could not download $base/$asset (is there a release v$v with a binary for $t?)"
    curl --fail --silent --show-error --location --retry 3 -o "$tmp/SHA256SUMS" "$base/SHA256SUMS" \
      || die "could not download $base/SHA256SUMS"
    local want got
    want=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
    [ -n "$want" ] || die "SHA256SUMS of v$v has no line for $asset"
    got=$(sha256_of "$tmp/$asset")
    [ "$want" = "$got" ] || die "checksum mismatch for $asset: SHA256SUMS says $want, the download is $got"
    echo "sha256 $got verified against SHA256SUMS"
    mkdir -p "$dir"
    case "$asset" in
      *.zip)
        if command -v unzip > /dev/null 2>&1; then
          unzip -q -o "$tmp/$asset" -d "$dir"
        else
          7z x -y "-o$dir" "$tmp/$asset" > /dev/null
        fi
        ;;
      *) tar -xzf "$tmp/$asset" -C "$dir" ;;
    esac
    rm -rf "$tmp"
    [ -x "$dir/$exe" ] || die "$asset holds no $exe"
  fi
  if [ -n "${GITHUB_PATH:-}" ]; then
    printf '%s\n' "$dir" >> "$GITHUB_PATH"
  fi
  output path "$dir/$exe"
  "$dir/$exe" --version
}

cmd_check() {
  local m bin out sarif code=0
  require_model
  m=$MODEL
  bin=$(threatc_bin)
  out=${INPUT_OUT:-threatc-out}
  mkdir -p "$out"
  sarif="$out/threatc.sarif"
  "$bin" --color never check --format sarif "$m" > "$sarif" || code=$?
  output sarif "$sarif"
  output check-code "$code"
  # Workflow commands on stdout: one annotation per diagnostic, on the model's lines.
  "$bin" --color never check --format github "$m" || true
  if [ "$code" -ne 0 ]; then
    printf '### threatc check: `%s` is invalid (exit %s)\n\nSee the annotations.\n' "$m" "$code" | summary
    die "threatc check found errors in $m (exit $code; see the annotations)" "$code"
  fi
}

cmd_build() {
  local m bin out
  require_model
  m=$MODEL
  bin=$(threatc_bin)
  out=${INPUT_OUT:-threatc-out}
  "$bin" --color never build "$m" --out "$out/build"
  output out "$out/build"
}

# The base revision: the input, else origin/<base branch> of the pull request (fetched when
# the checkout does not have it, e.g. actions/checkout's default fetch-depth 1).
resolve_base() {
  BASE=${INPUT_BASE:-}
  [ -z "$BASE" ] || return 0
  [ -n "${GITHUB_BASE_REF:-}" ] || return 0
  local rev="origin/$GITHUB_BASE_REF"
  if ! git rev-parse --verify --quiet "$rev^{commit}" > /dev/null; then
    # Only the tip of the base branch is needed (`git archive` of one commit).
    local refspec="+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF"
    if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
      git fetch --quiet --no-tags --depth=1 origin "$refspec" >&2
    else
      git fetch --quiet --no-tags origin "$refspec" >&2
    fi || die "could not fetch the base branch $GITHUB_BASE_REF"
  fi
  BASE=$rev
}

cmd_diff() {
  local m bin base dir code=0
  require_model
  m=$MODEL
  bin=$(threatc_bin)
  dir=${INPUT_DIFF_DIR:-${INPUT_OUT:-threatc-out}/diff}
  resolve_base
  base=$BASE
  if [ -z "$base" ]; then
    echo "not a pull request and no input \`base\`: no coverage diff"
    output diff-code skipped
    output regression false
    return
  fi
  mkdir -p "$dir"
  # On the pull request that adds the model, threatc compares against an empty base
  # (everything new, no regression, `"no_base"` in coverage-diff.json).
  "$bin" --color never diff --git "$base" "$m" --out "$dir" --fail-on-regression || code=$?
  output diff-dir "$dir"
  output comment-file "$dir/coverage-diff.md"
  output diff-code "$code"
  case "$code" in
    0) output regression false ;;
    1) output regression true ;;
    *) die "threatc diff failed (exit $code)" "$code" ;;
  esac
  if grep -q '"no_base"' "$dir/coverage-diff.json"; then
    output no-base true
  else
    output no-base false
  fi
  summary < "$dir/coverage-diff.md"
}

cmd_comment() {
  local file=${COMMENT_FILE:-} repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set} pr body_json id
  if [ -z "$file" ] || [ ! -f "$file" ]; then
    echo "no diff comment to post"
    return 0
  fi
  pr=$(jq -r '.pull_request.number // .issue.number // empty' "${GITHUB_EVENT_PATH:?GITHUB_EVENT_PATH is not set}")
  [ -n "$pr" ] || { echo "not a pull request: no comment"; return 0; }
  body_json=$(jq -n --rawfile body "$file" '{body: $body}')
  # The previous comment is ours only if it carries the marker AND github-actions[bot]
  # (type Bot) wrote it: anyone can post a comment that starts with the marker.
  local listing
  if ! listing=$(gh api --paginate "repos/$repo/issues/$pr/comments?per_page=100"); then
    echo "::warning title=threatc action::could not list the pull request's comments (a pull request from a fork has a read-only token); the diff is in the job summary"
    return 0
  fi
  id=$(printf '%s' "$listing" | jq -s -r --arg marker "$MARKER" --arg login "$BOT_LOGIN" '
    [ .[] | if type == "array" then .[] else . end
      | select(.user.login == $login and .user.type == "Bot"
               and ((.body // "") | startswith($marker))) ]
    | first | .id // empty')
  if [ -n "$id" ]; then
    if printf '%s' "$body_json" | gh api --method PATCH "repos/$repo/issues/comments/$id" --input - > /dev/null; then
      echo "updated comment $id"
      output comment-id "$id"
      return 0
    fi
  elif id=$(printf '%s' "$body_json" | gh api --method POST "repos/$repo/issues/$pr/comments" --input - --jq .id); then
    echo "posted comment $id"
    output comment-id "$id"
    return 0
  fi
  echo "::warning title=threatc action::could not post the diff comment (a pull request from a fork has a read-only token); the diff is in the job summary"
}

cmd_gate() {
  case "${INPUT_FAIL_ON_REGRESSION:-true}" in
    true | True | TRUE | yes | 1) ;;
    *) return 0 ;;
  esac
  if [ "${REGRESSION:-false}" = true ]; then
    die "coverage regression: see the threatc diff comment and the job summary"
  fi
}

case "${1:-}" in
  setup) cmd_setup ;;
  install) cmd_install ;;
  check) cmd_check ;;
  build) cmd_build ;;
  diff) cmd_diff ;;
  comment) cmd_comment ;;
  gate) cmd_gate ;;
  *)
    echo "usage: run.sh setup|install|check|build|diff|comment|gate" >&2
    exit 2
    ;;
esac
